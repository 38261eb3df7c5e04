/**
 * `npm run seed`: loads the demo catalog (64 products with options, variants, prices in USD and EUR, stock, categories,
 * collections, attributes and images; images go to the configured image storage) into
 * DATABASE_URL, once: a database that already has products is left as it is, so re-running is safe.
 */
import { closeOrm, createOrm, type MikroORM } from '../db/orm';
import { loadConfigOrExit } from '../config';
import { seedDemoCatalogOnce } from '../db/demo-catalog';
import { createImageStorage, defaultImageDir } from '../integrations/image-storage';
import { databaseUrl, redact } from './migrate';

async function main(): Promise<number> {
  const url = databaseUrl();
  let orm: MikroORM | undefined;
  try {
    orm = await createOrm(url, 1);
    const pending = await orm.getMigrator().getPendingMigrations();
    if (pending.length > 0) {
      console.error(`[seed] ${redact(url)} has ${pending.length} pending migration(s): run \`npm run migrate\` first.`);
      return 1;
    }
    const inserted = await seedDemoCatalogOnce(orm.em.fork(), createImageStorage(loadConfigOrExit('seed', []), defaultImageDir()));
    console.log(inserted > 0
      ? `[seed] added ${inserted} demo products to ${redact(url)}.`
      : `[seed] ${redact(url)} already has products; left as it is.`);
    return 0;
  } catch (err) {
    console.error(`[seed] failed on ${redact(url)}: ${(err as Error).message}`);
    return 1;
  } finally {
    if (orm) await closeOrm(orm);
  }
}

void main().then((code) => process.exit(code));
