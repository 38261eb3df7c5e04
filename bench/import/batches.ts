/**
 * `npx tsx bench/import/batches.ts --snapshot DIR [--batches N] [--against MIGRATION]`: what a batch
 * of the import costs PostgreSQL at the end of a 100,000-product import, where a batch costs most.
 * Starts from a copy of a loaded catalog (bench:catalog's snapshot, made by the same generator),
 * then writes N batches of 250 new products (the generator's products after the snapshot's) through
 * the import's own writer, one at a time, and prints PostgreSQL's CPU milliseconds per product (all
 * of its processes: the connection, the WAL writer, the checkpointer, autovacuum).
 *
 * `--against MIGRATION`: a second copy, migrated only up to MIGRATION, gets the same batches, taking
 * turns with the first, so a later migration is weighed side by side (both copies see the same
 * machine at the same moments: other work on it weighs on both alike).
 * `--statements N`: the N statements (nested ones included) that took most of PostgreSQL's time.
 * `--explain-rebuild`: EXPLAIN (ANALYZE) of search_rebuild's statements for the last batch's products.
 * With two copies, the batches' search documents, cards and terms and the variants' option keys
 * are compared between them: a change of schema must leave what the storefront reads as it was.
 * A tool to weigh a change, not a test.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { closeOrm, createOrm, migrate } from '../../src/db/orm';
import { sqlRows } from '../../src/db/sql';
import { GENERATED_HEADER, generatedCatalogCsv } from '../../src/db/generated-catalog';
import { ImportSplitter, productsOfChunk, type ImportChunk } from '../../src/domain/catalog-import-upload';
import { storeImportUpload } from '../../src/store/catalog-imports';
import { writeImportChunk } from '../../src/store/catalog-import-batches';
import { childrenOf, processSeconds, postmasterPid, reapedChildrenSeconds } from '../lib/proc';
import { benchTempDir, startBenchPostgres } from '../lib/postgres';
import { runBench } from '../lib/run';
import { argument, slowestStatements, STATEMENT_SETTINGS, STATEMENTS } from './statements';

const PG_SETTINGS: Record<string, string> = { shared_buffers: '1GB', max_wal_size: '4GB', ...STATEMENT_SETTINGS };

interface Copy { name: string; em: EntityManager; cpu: () => number; close: () => Promise<void>; perProduct: number[] }

const stops: (() => Promise<void>)[] = [];

/** A copy of the snapshot on a PostgreSQL of its own, migrated to `to` (or fully), with the batches' file stored as import `importId`. */
async function copyOf(snapshot: string, to: string | undefined, importId: string, chunks: ImportChunk[], rows: number, products: number): Promise<Copy> {
  const dir = benchTempDir('commerce-bench-batches-');
  execFileSync('cp', ['-a', join(snapshot, 'pg'), join(dir, 'pg')]);
  const db = await startBenchPostgres(join(dir, 'pg'), { settings: PG_SETTINGS });
  stops.push(async () => { await db.stop(); execFileSync('rm', ['-rf', dir]); });
  const orm = await createOrm(db.url, 1);
  if (to) await orm.getMigrator().up({ to });
  else await migrate(orm);
  const em = orm.em.fork();
  await storeImportUpload(em, { id: importId, idempotencyKey: importId, mode: 'all', currency: 'USD', who: { actor: 'bench' } }, async (add) => {
    for (const c of chunks) await add(c);
    return { sha256: '0'.repeat(64), bytes: 0, format: 'csv', header: GENERATED_HEADER, rowsTotal: rows, productsTotal: products, chunksTotal: chunks.length,
      ignoredColumns: [] };
  });
  if (STATEMENTS) await sqlRows(em, 'create extension if not exists pg_stat_statements; select pg_stat_statements_reset()');
  const pg = postmasterPid(join(dir, 'pg')) as number;
  return {
    name: to ? `migrated to ${to}` : 'migrated fully', em, perProduct: [], close: () => closeOrm(orm),
    cpu: () => reapedChildrenSeconds(pg) + [pg, ...childrenOf(pg)].reduce((s, pid) => s + processSeconds(pid), 0),
  };
}

async function main(): Promise<number> {
  const snapshot = argument('--snapshot') ?? process.env.BENCH_CATALOG_SNAPSHOT;
  if (!snapshot) throw new Error('--snapshot DIR (a bench:catalog snapshot) is required');
  const loaded = (JSON.parse(readFileSync(join(snapshot, 'catalog.json'), 'utf8')) as { products: number }).products;
  const batches = Number(argument('--batches') ?? 40);

  // The generator's products after the snapshot's: the same kind, new handles and SKUs.
  const splitter = new ImportSplitter();
  const chunks: ImportChunk[] = [];
  let first = 0;
  for (const piece of generatedCatalogCsv(loaded + batches * 250)) {
    // Pieces of 500 products, the header at the start of the first: the snapshot's products are skipped, the header kept.
    const text = first + 500 <= loaded ? (first === 0 ? piece.slice(0, piece.indexOf('\n') + 1) : '') : piece;
    first += 500;
    if (text) chunks.push(...splitter.push(text));
  }
  chunks.push(...splitter.end());
  const importId = randomUUID();
  const against = argument('--against');
  const copies = [await copyOf(snapshot, undefined, importId, chunks, splitter.rowsTotal, splitter.productsTotal)];
  if (against) copies.push(await copyOf(snapshot, against, importId, chunks, splitter.rowsTotal, splitter.productsTotal));
  console.log(`${copies.length} copies of a catalog of ${loaded} products (${snapshot}): ${copies.map((c) => c.name).join(', ')}`);

  for (const [i, chunk] of chunks.entries()) {
    const products = productsOfChunk('csv', chunk.records, GENERATED_HEADER, 'USD').flatMap((r) => (r.product ? [r.product] : []));
    // Each copy in turn, the order alternating, so neither always follows the other.
    for (const copy of i % 2 ? [...copies].reverse() : copies) {
      const before = copy.cpu();
      await writeImportChunk(copy.em, { importId, seq: chunk.seq, who: { actor: 'bench' }, products });
      copy.perProduct.push(((copy.cpu() - before) * 1000) / products.length);
    }
  }
  for (const copy of copies) {
    const ms = copy.perProduct;
    const sorted = [...ms].sort((a, b) => a - b);
    console.log(`${copy.name.padEnd(60)} ${ms.length} batches: PostgreSQL CPU per product mean ${(ms.reduce((s, x) => s + x, 0) / ms.length).toFixed(3)} ms, `
      + `median ${sorted[Math.floor(sorted.length / 2)].toFixed(3)} ms`);
  }
  if (copies.length === 2) {
    const ratios = copies[0].perProduct.map((x, i) => x / copies[1].perProduct[i]).sort((a, b) => a - b);
    console.log(`ratio per batch (fully / ${against}): median ${ratios[Math.floor(ratios.length / 2)].toFixed(3)}, `
      + `quartiles ${ratios[Math.floor(ratios.length / 4)].toFixed(3)}-${ratios[Math.floor((ratios.length * 3) / 4)].toFixed(3)}`);
  }
  if (copies.length === 2) {
    const [a, b] = await Promise.all(copies.map((c) => digest(c.em, importId)));
    for (const key of Object.keys(a) as (keyof typeof a)[]) console.log(`${key.padEnd(22)} ${a[key] === b[key] ? 'same' : `DIFFERENT (${a[key]} / ${b[key]})`}`);
  }
  for (const copy of STATEMENTS ? copies : []) {
    console.log(`\n${copy.name}:`);
    for (const line of await slowestStatements(copy.em, 160)) console.log(line);
  }
  if (process.argv.includes('--explain-rebuild')) await explainRebuild(copies[0].em);
  for (const copy of copies) await copy.close();
  return 0;
}

/**
 * What the storefront reads of the products the batches wrote, as digests that two copies can
 * compare (ids left out: each copy made its own; a document's words with their weights but not
 * their positions, which follow the order of rows the database read, and so the ids): documents and cards by handle, all search terms,
 * and how many variants' option keys or counts differ from their choices (0 when right).
 */
async function digest(em: EntityManager, importId: string): Promise<{ documents: string; cards: string; terms: string; staleKeys: string; products: string }> {
  const [row] = await sqlRows<{ documents: string; cards: string; terms: string; stale_keys: string; products: string }>(em, `
    with batch as (select id, handle from products where id in (select product_id from catalog_audit where action = 'product.imported' and changes->>'import' = $1))
    select (select md5(string_agg(concat_ws('|', b.handle, d.in_stock, d.facets, d.prices,
              (select string_agg(w.lexeme || ':' || array_to_string(array(select distinct x from unnest(w.weights) x order by x), ''), ' ' order by w.lexeme) from unnest(d.tsv) w)), E'\n' order by b.handle))
              from batch b join search_documents d on d.product_id = b.id) as documents,
           (select md5(string_agg(concat_ws('|', b.handle, c.card - 'id'), E'\n' order by b.handle))
              from batch b join search_cards c on c.product_id = b.id) as cards,
           (select md5(string_agg(term, ',' order by term)) from search_terms) as terms,
           (select count(*) from variants v,
                   lateral (select coalesce(string_agg(x.value_id::text, ',' order by x.option_id), '') as k, count(*)::smallint as n
                              from variant_option_values x where x.variant_id = v.id) c
             where v.product_id in (select id from batch) and (v.option_key, v.option_count) is distinct from (c.k, c.n))::text as stale_keys,
           (select count(*) from batch)::text as products`, [importId]);
  return { documents: row.documents, cards: row.cards, terms: row.terms, staleKeys: row.stale_keys, products: row.products };
}

/** EXPLAIN (ANALYZE) of search_rebuild's statements for the last batch's products, as the function runs them (its settings, its text). */
async function explainRebuild(em: EntityManager): Promise<void> {
  const [fn] = await sqlRows<{ src: string; config: string[] }>(em, `select prosrc as src, proconfig as config from pg_proc where proname = 'search_rebuild'`);
  const ids = (await sqlRows<{ id: string }>(em, 'select id from products order by created_at desc limit 250')).map((r) => r.id);
  const body = fn.src.replace(/^\s*begin/, '').replace(/end\s*$/, '');
  await sqlRows(em, 'begin');
  for (const c of fn.config) await sqlRows(em, `set local ${c.replace('=', ' = ')}`);
  for (const stmt of body.split(/;\s*\n/).map((x) => x.trim()).filter(Boolean)) {
    const text = stmt.replace(/\bids\b/g, '$1::uuid[]').replace(/\bv\b(?=\s+from gone|,\s*created_at)/g, '999').replace(/set version = v,/, 'set version = 999,');
    const plan = await sqlRows<{ 'QUERY PLAN': string }>(em, `explain (analyze, buffers, costs off) ${text}`, [ids]);
    console.log(plan.map((r) => r['QUERY PLAN']).join('\n'));
  }
  await sqlRows(em, 'rollback');
}

runBench({ stop: async () => { for (const stop of stops.splice(0)) await stop().catch(() => undefined); } }, main, 30 * 60_000);
