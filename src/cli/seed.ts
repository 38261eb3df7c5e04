/**
 * `npm run seed`: loads the demo catalog (64 products with options, variants, prices in USD and EUR, stock, categories,
 * collections, attributes and images; images go to the configured image storage) into
 * DATABASE_URL, once: a database that already has products is left as it is, so re-running is safe.
 *
 * `npm run seed -- --products 100000 [--seed 7]`: a generated catalog of that many products (about six
 * variants each, USD and EUR prices, categories, brands, tags, materials, collections, image URLs),
 * imported as a bulk import through the same path as POST /admin/catalog/imports: the workflow
 * catalog-import-<id> on TEMPORAL_ADDRESS, which a worker must be polling (`npm run dev`, or
 * `npm run worker`). Running it again with the same numbers answers the same import (its key is
 * made from them) and writes nothing twice.
 */
import { Readable } from 'node:stream';
import { closeOrm, createOrm, type MikroORM } from '../db/orm';
import { loadConfigOrExit } from '../config';
import { seedDemoCatalogOnce } from '../db/demo-catalog';
import { generatedCatalogCsv } from '../db/generated-catalog';
import { createImageStorage, defaultImageDir } from '../integrations/image-storage';
import { acceptImport } from '../catalog/imports';
import { importById } from '../store/catalog-imports';
import { connectClient, targetFromConfig } from '../temporal/client';
import { databaseUrl, redact } from './migrate';

const DEV_TEMPORAL = '127.0.0.1:7233';

async function main(): Promise<number> {
  const url = databaseUrl();
  const generated = numberArg('--products');
  let orm: MikroORM | undefined;
  try {
    orm = await createOrm(url, 2);
    const pending = await orm.getMigrator().getPendingMigrations();
    if (pending.length > 0) {
      console.error(`[seed] ${redact(url)} has ${pending.length} pending migration(s): run \`npm run migrate\` first.`);
      return 1;
    }
    if (generated !== undefined) return await importGenerated(orm, generated, numberArg('--seed') ?? 20261207);
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

async function importGenerated(orm: MikroORM, products: number, seed: number): Promise<number> {
  const config = loadConfigOrExit('seed', []);
  const temporal = await connectClient(targetFromConfig(config, DEV_TEMPORAL));
  try {
    const started = Date.now();
    const { created, row } = await acceptImport(orm.em.fork(), { client: temporal.client, taskQueue: config.TEMPORAL_TASK_QUEUE }, {
      idempotencyKey: `seed-generated-${products}-${seed}`, mode: 'all', currency: 'USD', who: { actor: 'npm run seed' },
      body: Readable.from(generatedCatalogCsv(products, seed)), maxBytes: Number.MAX_SAFE_INTEGER,
    });
    console.log(`[seed] ${created ? 'uploaded' : 'already uploaded:'} ${row.products_total} products, ${row.rows_total} rows (${(Number(row.bytes) / 1e6).toFixed(1)} MB) `
      + `in ${((Date.now() - started) / 1000).toFixed(1)} s; import ${row.id} runs as catalog-import-${row.id}.`);
    for (;;) {
      const now = await importById(orm.em.fork(), row.id);
      if (!now) throw new Error(`import ${row.id} disappeared`);
      const done = now.rows_done + now.rows_failed;
      if (['completed', 'rejected', 'failed'].includes(now.status)) {
        console.log(`[seed] ${now.status}: ${now.products_created} products created, ${now.products_updated} updated, ${now.variants_written} variants, `
          + `${now.error_count} errors, in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
        return now.status === 'completed' ? 0 : 1;
      }
      console.log(`[seed] ${now.status}: ${now.status === 'validating' ? now.rows_checked : done} of ${now.rows_total} rows`
        + (now.status === 'uploaded' && Date.now() - started > 30_000 ? ' (is a worker polling? `npm run dev` or `npm run worker`)' : ''));
      await new Promise((r) => setTimeout(r, 2000));
    }
  } finally {
    await temporal.connection.close();
  }
}

function numberArg(name: string): number | undefined {
  const at = process.argv.indexOf(name);
  if (at < 0) return undefined;
  const value = Number(process.argv[at + 1]);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} takes a whole number, e.g. ${name} 100000`);
  return value;
}

void main().then((code) => process.exit(code));
