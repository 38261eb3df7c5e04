/**
 * `npm run migrate`: applies pending migrations to DATABASE_URL and says which. Run it once per
 * deploy, before the new API and workers start; the API and workers never migrate themselves
 * (several replicas would race for the same schema change).
 */
import { ConfigError, loadConfig } from '../config';
import { closeOrm, createOrm, migrate, type MikroORM } from '../db/orm';

async function main(): Promise<number> {
  const url = databaseUrl();
  let orm: MikroORM | undefined;
  try {
    orm = await createOrm(url, 1);
    const applied = await migrate(orm);
    if (applied.length === 0) console.log(`[migrate] ${redact(url)} is up to date; nothing to apply.`);
    for (const name of applied) console.log(`[migrate] applied ${name}`);
    if (applied.length > 0) console.log(`[migrate] ${applied.length} migration(s) applied to ${redact(url)}.`);
    return 0;
  } catch (err) {
    // All-or-nothing (see ormOptions): a failure leaves the schema as it was.
    console.error(`[migrate] failed on ${redact(url)}; nothing was changed: ${(err as Error).message}`);
    return 1;
  } finally {
    if (orm) await closeOrm(orm);
  }
}

export function databaseUrl(): string {
  try {
    const url = loadConfig().DATABASE_URL;
    if (url) return url;
    console.error('DATABASE_URL is not set: point it at the PostgreSQL database to use, e.g. ' +
      'DATABASE_URL=postgres://user:password@host:5432/commerce (`npm run dev` migrates its embedded database itself).');
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
  }
  process.exit(1);
}

/** The password stays out of terminal scrollback and CI logs. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}

if (require.main === module) void main().then((code) => process.exit(code));
