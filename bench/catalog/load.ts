/**
 * The benchmark's bulk loader: the seed's set-based insert (src/db/seed.ts) with the search
 * triggers off, then the documents of every published product built in chunks, as the search
 * migration builds them for an existing catalog. With the triggers on, each batch of 2,000
 * products took 8-13 s instead of 6 s on this machine (loaded): noting what every statement
 * touched and rebuilding at each commit. For a benchmark database only: it changes triggers (DDL)
 * and assumes nobody else writes meanwhile.
 */
import type { MikroORM } from '../../src/db/orm';
import { insertProducts, insertTaxonomy, type SeedProduct, type SeedTaxonomy } from '../../src/db/seed';
import { sqlRows } from '../../src/db/sql';

const CHUNK = 5000;

export interface LoadTimes { products: number; insertSeconds: number; documentsSeconds: number }

export async function bulkLoad(orm: MikroORM, taxonomy: SeedTaxonomy, products: SeedProduct[]): Promise<LoadTimes> {
  const em = orm.em.fork();
  await insertTaxonomy(em, taxonomy);
  const t0 = Date.now();
  const triggers = await sqlRows<{ tab: string; name: string }>(em,
    `select tgrelid::regclass::text as tab, tgname as name from pg_trigger where not tgisinternal and (tgname like '%search%')`);
  const toggle = async (how: 'enable' | 'disable') => {
    for (const t of triggers) await sqlRows(em, `alter table ${t.tab} ${how} trigger ${t.name}`);
  };
  await toggle('disable');
  let inserted: number;
  try {
    inserted = await insertProducts(em, products, 2000);
  } finally {
    await toggle('enable');
  }
  const t1 = Date.now();
  const [{ version }] = await sqlRows<{ version: string }>(em, 'update catalog_state set version = version + 1 returning version');
  const ids = await sqlRows<{ id: string }>(em, `select id from products where status = 'published' order by id`);
  for (let start = 0; start < ids.length; start += CHUNK) {
    await sqlRows(em, 'select search_rebuild($1::uuid[], $2)', [ids.slice(start, start + CHUNK).map((r) => r.id), version]);
  }
  return { products: inserted, insertSeconds: (t1 - t0) / 1000, documentsSeconds: (Date.now() - t1) / 1000 };
}
