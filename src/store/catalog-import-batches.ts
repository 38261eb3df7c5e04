/**
 * Writes a batch of imported products, set-based: a few statements per batch whatever its size
 * (arrays unnested by PostgreSQL), in one transaction with the claim of the batch's chunk, so a
 * batch is written whole, once, or not at all. Products are matched by handle and variants by SKU:
 * writing the same batch again leaves the catalog as it was.
 *
 * What a product in the file replaces: its title, description and status (when given), its options
 * (an option or value it no longer names is removed), the variants it lists (title, option values,
 * position, weight and stock when given, prices in the currencies given), its images (when the file
 * has an image column), categories and collections (when it has those columns), and the values of
 * the attributes it names. Variants it does not list, prices in other currencies and attributes it
 * does not name stay as they are. Categories, collections, attributes and values the file names are
 * created when missing.
 *
 * When the database refuses the batch (a rule a product breaks at write time, e.g. a SKU that
 * another product took since validation), the batch is written again product by product, each in a
 * savepoint, and the refused products are reported with their rows; the others are written.
 */
import { handleOf } from '../domain/catalog';
import { DomainError, ErrorCode } from '../domain/errors';
import { rowError, type ImportedProduct, type RowError } from '../domain/catalog-import';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { QueryResultRow } from 'pg';
import { sqlTransaction, type Sql } from '../db/sql';
import { asDomainError, type CatalogActor } from './catalog-writes';
import { recordImportErrors } from './catalog-imports';

export interface BatchOutcome { written: boolean; created: number; updated: number; variants: number; rowsDone: number; rowsFailed: number }

/**
 * Claims chunk `seq` of import `importId` and writes its products (those validation let through),
 * recording the refusals; a chunk already done is skipped (written: false).
 */
export async function writeImportChunk(em: EntityManager, c: { importId: string; seq: number; who: CatalogActor; products: ImportedProduct[] }): Promise<BatchOutcome> {
  return sqlTransaction(em, (sql) => writeBatch(sql, c));
}

async function writeBatch(sql: Sql, c: { importId: string; seq: number; who: CatalogActor; products: ImportedProduct[] }): Promise<BatchOutcome> {
  const [claimed] = await sql.rows('update catalog_import_chunks set done_at = now() where import_id = $1 and seq = $2 and done_at is null returning seq',
    [c.importId, c.seq]);
  if (!claimed) return { written: false, created: 0, updated: 0, variants: 0, rowsDone: 0, rowsFailed: 0 };
  const outcome = { written: true, created: 0, updated: 0, variants: 0, rowsDone: 0, rowsFailed: 0 };
  const refused: RowError[] = [];
  const add = (r: Written, ps: ImportedProduct[]) => {
    outcome.created += r.created;
    outcome.updated += r.updated;
    outcome.variants += ps.reduce((n, p) => n + p.variants.length, 0);
    outcome.rowsDone += ps.reduce((n, p) => n + p.rows.length, 0);
  };
  if (c.products.length > 0) {
    await sql.rows('savepoint batch');
    try {
      add(await upsertProducts(sql, c.products, c.who, c.importId), c.products);
      await sql.rows('release savepoint batch');
    } catch (err) {
      await sql.rows('rollback to savepoint batch');
      if (!(asDomainError(err) instanceof DomainError)) throw err;
      for (const p of c.products) {
        await sql.rows('savepoint product');
        try {
          add(await upsertProducts(sql, [p], c.who, c.importId), [p]);
          await sql.rows('release savepoint product');
        } catch (one) {
          await sql.rows('rollback to savepoint product');
          const e = asDomainError(one);
          if (!(e instanceof DomainError)) throw one;
          refused.push(rowError(p.row, null, `${p.handle}: ${e.message}`, e.code));
          outcome.rowsFailed += p.rows.length;
        }
      }
    }
  }
  await recordImportErrors(sql, c.importId, refused, outcome.rowsFailed);
  await sql.rows(`update catalog_imports set rows_done = rows_done + $2, products_created = products_created + $3, products_updated = products_updated + $4,
    variants_written = variants_written + $5, updated_at = now() where id = $1`, [c.importId, outcome.rowsDone, outcome.created, outcome.updated, outcome.variants]);
  return outcome;
}

interface Written { created: number; updated: number }
interface Placed { p: ImportedProduct; id: string; isNew: boolean; version: number }

async function upsertProducts(sql: Sql, ps: ImportedProduct[], who: CatalogActor, importId: string): Promise<Written> {
  // Deferred rules are checked per batch (or per product when isolating a refusal), at the end of this write.
  await sql.rows('set constraints all deferred');
  await ensureTaxonomy(sql, ps);
  const placed = await upsertProductRows(sql, ps);
  const existing = placed.filter((x) => !x.isNew).map((x) => x.id);
  const options = await upsertOptions(sql, placed, existing);
  const variants = await upsertVariants(sql, placed, options, existing);
  await upsertChoices(sql, placed, variants, options, existing);
  await upsertPricesAndStock(sql, placed, variants);
  await replaceMemberships(sql, placed, existing);
  await replaceImages(sql, placed, existing);
  await sql.rows(`insert into catalog_audit (actor, staff_id, key_id, action, entity, entity_id, product_id, version, changes, request_id)
    select $1, $2, $3, 'product.imported', 'product', x.id::text, x.id, x.version, jsonb_build_object('import', $4::text, 'row', x.row, 'created', x.created), $5
      from unnest($6::uuid[], $7::int[], $8::int[], $9::boolean[]) as x(id, version, row, created)`,
  [who.actor, who.staffId ?? null, who.keyId ?? null, importId, who.requestId ?? null, placed.map((x) => x.id), placed.map((x) => x.version),
    placed.map((x) => x.p.row), placed.map((x) => x.isNew)]);
  await sql.rows('set constraints all immediate');
  const published = await sql.rows<{ handle: string }>(`select handle from products p where p.id = any($1::uuid[]) and p.status = 'published'
    and not exists (select 1 from variants v where v.product_id = p.id)`, [placed.map((x) => x.id)]);
  if (published.length) {
    throw new DomainError(ErrorCode.ProductNotPublishable, `Product ${published[0].handle} has no variants; it cannot be published.`, { handle: published[0].handle });
  }
  return { created: placed.filter((x) => x.isNew).length, updated: existing.length };
}

const sorted = <T>(xs: Iterable<T>, key: (x: T) => string) => [...xs].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
const titled = (code: string) => code.charAt(0).toUpperCase() + code.slice(1).replace(/_/g, ' ');

/** Categories (by path), collections, attributes and attribute values the batch names, created when missing, in a fixed order (no deadlock between two imports). */
async function ensureTaxonomy(sql: Sql, ps: ImportedProduct[]): Promise<void> {
  const values = new Map<string, [string, string]>();
  for (const p of ps) for (const [code, vs] of Object.entries(p.attributes)) for (const v of vs) values.set(`${code}\u0000${v}`, [code, v]);
  const codes = sorted(new Set([...ps.flatMap((p) => Object.keys(p.attributes))]), (c) => c);
  if (codes.length) {
    await sql.rows(`insert into attributes (code, name) select * from unnest($1::text[], $2::text[]) on conflict (code) do nothing`, [codes, codes.map(titled)]);
  }
  const pairs = sorted(values.values(), ([c, v]) => `${c}\u0000${v}`);
  if (pairs.length) {
    await sql.rows(`insert into attribute_values (attribute_id, value) select a.id, x.v from unnest($1::text[], $2::text[]) as x(c, v) join attributes a on a.code = x.c
      on conflict (attribute_id, value) do nothing`, [pairs.map(([c]) => c), pairs.map(([, v]) => v)]);
  }
  const collections = sorted(new Map(ps.flatMap((p) => p.collections ?? []).map((t) => [handleOf(t), t])), ([h]) => h);
  if (collections.length) {
    await sql.rows('insert into collections (handle, title) select * from unnest($1::text[], $2::text[]) on conflict (handle) do nothing',
      [collections.map(([h]) => h), collections.map(([, t]) => t)]);
  }
  const paths = ps.flatMap((p) => p.categories ?? []);
  for (let depth = 0; paths.some((path) => path.length > depth); depth++) {
    const level = sorted(new Map(paths.filter((path) => path.length > depth)
      .map((path) => [handleOf(path[depth]), { name: path[depth], parent: depth ? handleOf(path[depth - 1]) : null }])), ([h]) => h);
    await sql.rows(`insert into categories (handle, name, parent_id)
      select x.h, x.n, (select id from categories c where c.handle = x.p) from unnest($1::text[], $2::text[], $3::text[]) as x(h, n, p)
      on conflict (handle) do nothing`, [level.map(([h]) => h), level.map(([, l]) => l.name), level.map(([, l]) => l.parent)]);
  }
}

async function upsertProductRows(sql: Sql, ps: ImportedProduct[]): Promise<Placed[]> {
  // option_count is written as the options will leave it, so the options' trigger has nothing to rewrite.
  const args = [ps.map((p) => p.handle), ps.map((p) => p.title), ps.map((p) => p.description ?? null), ps.map((p) => p.status ?? null),
    ps.map((p) => p.options.length)];
  const inserted = await sql.rows<{ id: string; handle: string }>(
    `insert into products (handle, title, description, status, option_count)
     select h, t, coalesce(d, ''), coalesce(s, 'draft'), n from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::smallint[]) as x(h, t, d, s, n)
     on conflict (handle) do nothing returning id, handle`, args);
  const updated = inserted.length === ps.length ? [] : await sql.rows<{ id: string; handle: string; version: number }>(
    `update products p set title = x.t, description = coalesce(x.d, p.description), status = coalesce(x.s, p.status), version = p.version + 1, updated_at = now()
       from unnest($1::text[], $2::text[], $3::text[], $4::text[]) as x(h, t, d, s)
      where p.handle = x.h and not (p.id = any($5::uuid[])) returning p.id, p.handle, p.version`, [...args.slice(0, 4), inserted.map((r) => r.id)]);
  const byHandle = new Map<string, { id: string; isNew: boolean; version: number }>([
    ...inserted.map((r) => [r.handle, { id: r.id, isNew: true, version: 1 }] as const),
    ...updated.map((r) => [r.handle, { id: r.id, isNew: false, version: r.version }] as const)]);
  return ps.map((p) => ({ p, ...(byHandle.get(p.handle) as { id: string; isNew: boolean; version: number }) }));
}

/**
 * Variants by SKU, each with its option_key (its value ids in option-id order) and option_count
 * written as its choices will leave them, so the choices' trigger has nothing to rewrite.
 */
async function upsertVariants(sql: Sql, placed: Placed[], o: OptionIds, existing: string[]): Promise<VariantIds> {
  const vs = placed.flatMap(({ p, id }) => p.variants.map((v, position) => {
    const chosen = p.options.map((opt, i) => {
      const optionId = o.optionId.get(`${id}|${opt.name}`) as string;
      return { optionId, valueId: o.valueId.get(`${optionId}|${v.choice[i]}`) as string };
    }).sort((a, b) => (a.optionId < b.optionId ? -1 : 1));
    return { id, v, position, key: chosen.map((c) => c.valueId).join(','), count: chosen.length };
  }));
  const old = new Set(existing);
  const rows = await insertFreshOrUpsert<typeof vs[number], { id: string; sku: string; created: boolean }>(sql, vs, (x) => !old.has(x.id),
    `insert into variants (product_id, sku, title, position, weight_grams, option_key, option_count)
     select * from unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::int[], $6::text[], $7::smallint[])`,
    `on conflict (sku) do update set title = excluded.title, position = excluded.position,
       weight_grams = coalesce(excluded.weight_grams, variants.weight_grams), updated_at = now()
     where variants.product_id = excluded.product_id`, 'returning id, sku, (xmax = 0) as created',
    (xs) => [xs.map((x) => x.id), xs.map((x) => x.v.sku), xs.map((x) => x.v.title), xs.map((x) => x.position), xs.map((x) => x.v.weightGrams ?? null),
      xs.map((x) => x.key), xs.map((x) => x.count)]).catch((err: unknown) => { throw skuTaken(err) ?? err; });
  const ids = new Map(rows.map((r) => [r.sku, r.id]));
  const taken = vs.find((x) => !ids.has(x.v.sku));
  if (taken) throw new DomainError(ErrorCode.SkuTaken, `SKU ${taken.v.sku} belongs to another product.`, { sku: taken.v.sku });
  return { ids, created: new Set(rows.filter((r) => r.created).map((r) => r.sku)) };
}

/**
 * A new product's variant refused for a SKU another product's variant has (taken since validation):
 * the refusal the upsert gives an existing product's, naming the SKU.
 */
function skuTaken(err: unknown): DomainError | undefined {
  const e = err as { code?: string; constraint?: string; detail?: string };
  if (e?.code !== '23505' || e.constraint !== 'variants_sku_key') return undefined;
  const sku = /^Key \(sku\)=\((.*)\) already exists/.exec(e.detail ?? '')?.[1];
  return new DomainError(ErrorCode.SkuTaken, sku ? `SKU ${sku} belongs to another product.` : 'A SKU of the product belongs to another product.', { sku: sku ?? null });
}

/**
 * Variant ids by SKU, and the SKUs this batch created: their choices, prices and stock are plain
 * inserts (nothing can be there yet), which PostgreSQL does cheaper than an upsert.
 */
interface VariantIds { ids: Map<string, string>; created: Set<string> }

/** `rows` split into those of new variants and the others. */
function byNovelty<T>(rows: T[], sku: (r: T) => string, created: Set<string>): [T[], T[]] {
  const fresh: T[] = [];
  const known: T[] = [];
  for (const r of rows) (created.has(sku(r)) ? fresh : known).push(r);
  return [fresh, known];
}

interface OptionIds { optionId: Map<string, string>; valueId: Map<string, string>; valueIds: string[] }

/** Options and values as the file lists them; options the file no longer names removed from existing products. */
async function upsertOptions(sql: Sql, placed: Placed[], existing: string[]): Promise<OptionIds> {
  const options = placed.flatMap(({ p, id }) => p.options.map((o, position) => ({ productId: id, name: o.name, position, values: o.values })));
  if (existing.length) {
    await sql.rows(`delete from product_options o where o.product_id = any($1::uuid[])
      and not exists (select 1 from unnest($2::uuid[], $3::text[]) as x(p, n) where x.p = o.product_id and x.n = o.name)`,
    [existing, options.map((o) => o.productId), options.map((o) => o.name)]);
  }
  if (options.length === 0) return { optionId: new Map(), valueId: new Map(), valueIds: [] };
  const old = new Set(existing);
  const optionRows = await insertFreshOrUpsert<typeof options[number], { id: string; product_id: string; name: string }>(sql, options, (o) => !old.has(o.productId),
    'insert into product_options (product_id, name, position) select * from unnest($1::uuid[], $2::text[], $3::smallint[])',
    'on conflict (product_id, name) do update set position = excluded.position', 'returning id, product_id, name',
    (os) => [os.map((o) => o.productId), os.map((o) => o.name), os.map((o) => o.position)]);
  const optionId = new Map(optionRows.map((r) => [`${r.product_id}|${r.name}`, r.id]));
  const values = options.flatMap((o) => o.values.map((value, position) => ({ optionId: optionId.get(`${o.productId}|${o.name}`) as string, productId: o.productId, value, position })));
  const valueRows = await insertFreshOrUpsert<typeof values[number], { id: string; option_id: string; value: string }>(sql, values, (v) => !old.has(v.productId),
    'insert into product_option_values (option_id, product_id, value, position) select * from unnest($1::uuid[], $2::uuid[], $3::text[], $4::smallint[])',
    'on conflict (option_id, value) do update set position = excluded.position', 'returning id, option_id, value',
    (vs) => [vs.map((v) => v.optionId), vs.map((v) => v.productId), vs.map((v) => v.value), vs.map((v) => v.position)]);
  return { optionId, valueId: new Map(valueRows.map((r) => [`${r.option_id}|${r.value}`, r.id])), valueIds: valueRows.map((r) => r.id) };
}

/**
 * Rows of products this batch created as a plain insert (nothing of theirs can be there yet, and
 * PostgreSQL inserts cheaper without `on conflict`'s speculative insertion), the others with
 * `conflict`; the rows `returning` names of both.
 */
async function insertFreshOrUpsert<T, R extends QueryResultRow = QueryResultRow>(sql: Sql, rows: T[], fresh: (r: T) => boolean, insert: string, conflict: string,
  returning: string, args: (rs: T[]) => unknown[]): Promise<R[]> {
  const created = rows.filter(fresh);
  const known = rows.filter((r) => !fresh(r));
  return [
    ...(created.length ? await sql.rows<R>(`${insert} ${returning}`, args(created)) : []),
    ...(known.length ? await sql.rows<R>(`${insert} ${conflict} ${returning}`, args(known)) : []),
  ];
}

/** Each variant's value of each option; values the file no longer lists removed from existing products. */
async function upsertChoices(sql: Sql, placed: Placed[], variants: VariantIds, { optionId, valueId, valueIds }: OptionIds,
  existing: string[]): Promise<void> {
  const choices = placed.flatMap(({ p, id }) => p.variants.flatMap((v) => p.options.map((o, i) => {
    const option = optionId.get(`${id}|${o.name}`) as string;
    return { sku: v.sku, variantId: variants.ids.get(v.sku) as string, productId: id, optionId: option, valueId: valueId.get(`${option}|${v.choice[i]}`) as string };
  })));
  const insert = 'insert into variant_option_values (variant_id, product_id, option_id, value_id) select * from unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[])';
  const args = (cs: typeof choices) => [cs.map((c) => c.variantId), cs.map((c) => c.productId), cs.map((c) => c.optionId), cs.map((c) => c.valueId)];
  const [fresh, known] = byNovelty(choices, (c) => c.sku, variants.created);
  if (fresh.length) await sql.rows(insert, args(fresh));
  if (known.length) {
    await sql.rows(`${insert} on conflict (variant_id, option_id) do update set value_id = excluded.value_id where variant_option_values.value_id <> excluded.value_id`,
      args(known));
  }
  if (existing.length) {
    // A value still picked by a variant the file does not list is refused here (in_use), with its product.
    // Through the products' options (indexed by product), not product_option_values.product_id (which no index serves).
    await sql.rows(`delete from product_option_values v using product_options o
      where o.product_id = any($1::uuid[]) and v.option_id = o.id and not (v.id = any($2::uuid[]))`, [existing, valueIds]);
  }
}

async function upsertPricesAndStock(sql: Sql, placed: Placed[], ids: VariantIds): Promise<void> {
  const all = placed.flatMap(({ p }) => p.variants);
  const prices = all.flatMap((v) => Object.entries(v.prices).map(([currency, amount]) => ({ sku: v.sku, variantId: ids.ids.get(v.sku) as string, currency, amount })));
  const insert = 'insert into variant_prices (variant_id, currency, amount) select * from unnest($1::uuid[], $2::text[], $3::bigint[])';
  const args = (ps: typeof prices) => [ps.map((p) => p.variantId), ps.map((p) => p.currency), ps.map((p) => p.amount)];
  const [freshPrices, knownPrices] = byNovelty(prices, (p) => p.sku, ids.created);
  if (freshPrices.length) await sql.rows(insert, args(freshPrices));
  if (knownPrices.length) {
    await sql.rows(`${insert} on conflict (variant_id, currency) do update set amount = excluded.amount where variant_prices.amount <> excluded.amount`,
      args(knownPrices));
  }
  const [fresh, variants] = byNovelty(all, (v) => v.sku, ids.created);
  // inventory.sku references variants: a new variant has no stock row yet.
  if (fresh.length) {
    await sql.rows('insert into inventory (sku, on_hand) select * from unnest($1::text[], $2::int[])', [fresh.map((v) => v.sku), fresh.map((v) => v.onHand ?? 0)]);
  }
  const counted = variants.filter((v) => v.onHand !== undefined);
  if (counted.length) {
    const set = await sql.rows<{ sku: string }>(`insert into inventory (sku, on_hand) select * from unnest($1::text[], $2::int[])
      on conflict (sku) do update set on_hand = excluded.on_hand, updated_at = now() where inventory.reserved <= excluded.on_hand returning sku`,
    [counted.map((v) => v.sku), counted.map((v) => v.onHand)]);
    if (set.length < counted.length) {
      const done = new Set(set.map((r) => r.sku));
      const sku = counted.find((v) => !done.has(v.sku))?.sku;
      throw new DomainError(ErrorCode.InventoryConflict, `Orders have reserved more of ${sku} than the stock the file gives it.`, { sku });
    }
  }
  const uncounted = variants.filter((v) => v.onHand === undefined).map((v) => v.sku);
  if (uncounted.length) await sql.rows('insert into inventory (sku, on_hand) select unnest($1::text[]), 0 on conflict (sku) do nothing', [uncounted]);
}

/** Categories, collections and attribute values become those the file gives (for the columns it has). */
async function replaceMemberships(sql: Sql, placed: Placed[], existing: string[]): Promise<void> {
  const old = new Set(existing);
  for (const [table, column, source, of] of [
    ['product_categories', 'category_id', 'categories', (p: ImportedProduct) => p.categories?.map((path) => handleOf(path[path.length - 1]))],
    ['product_collections', 'collection_id', 'collections', (p: ImportedProduct) => p.collections?.map(handleOf)],
  ] as const) {
    const given = placed.filter((x) => of(x.p) !== undefined);
    const pairs = given.flatMap((x) => (of(x.p) as string[]).map((h) => [x.id, h] as const));
    const args = [pairs.map(([id]) => id), pairs.map(([, h]) => h)];
    const replaced = given.filter((x) => !x.isNew).map((x) => x.id);
    if (replaced.length) {
      await sql.rows(`delete from ${table} m where m.product_id = any($3::uuid[]) and not exists (select 1 from unnest($1::uuid[], $2::text[]) as x(p, h)
        join ${source} s on s.handle = x.h where x.p = m.product_id and s.id = m.${column})`, [...args, replaced]);
    }
    // `distinct`: a file may name a category or collection twice for one product.
    await insertFreshOrUpsert(sql, pairs, ([id]) => !old.has(id), `insert into ${table} (product_id, ${column}) select distinct x.p, s.id
      from unnest($1::uuid[], $2::text[]) as x(p, h) join ${source} s on s.handle = x.h`, 'on conflict do nothing', '',
    (ps) => [ps.map(([id]) => id), ps.map(([, h]) => h)]);
  }
  const named = placed.flatMap((x) => Object.keys(x.p.attributes).map((code) => [x.id, code] as const)).filter(([id]) => old.has(id));
  if (named.length) {
    await sql.rows(`delete from product_attribute_values pav using unnest($1::uuid[], $2::text[]) as x(p, c) join attributes a on a.code = x.c
      where pav.product_id = x.p and pav.attribute_id = a.id`, [named.map(([id]) => id), named.map(([, c]) => c)]);
  }
  const values = placed.flatMap((x) => Object.entries(x.p.attributes).flatMap(([code, vs]) => vs.map((v) => [x.id, code, v] as const)));
  await insertFreshOrUpsert(sql, values, ([id]) => !old.has(id), `insert into product_attribute_values (product_id, attribute_id, value_id)
    select distinct x.p, a.id, v.id from unnest($1::uuid[], $2::text[], $3::text[]) as x(p, c, v)
      join attributes a on a.code = x.c join attribute_values v on v.attribute_id = a.id and v.value = x.v`, 'on conflict do nothing', '',
  (vs) => [vs.map(([id]) => id), vs.map(([, c]) => c), vs.map(([, , v]) => v)]);
}

/** The images of products whose file gives them become those, as external URLs (never fetched); an uploaded file detached here is left to the image sweep. */
async function replaceImages(sql: Sql, placed: Placed[], existing: string[]): Promise<void> {
  const given = placed.filter((x) => x.p.images !== undefined);
  const replaced = given.filter((x) => existing.includes(x.id)).map((x) => x.id);
  if (replaced.length) await sql.rows('delete from product_images where product_id = any($1::uuid[])', [replaced]);
  const images = given.flatMap((x) => (x.p.images ?? []).map((img) => ({ id: x.id, ...img })));
  if (images.length === 0) return;
  await sql.rows(`insert into product_images (product_id, url, alt, position) select * from unnest($1::uuid[], $2::text[], $3::text[], $4::int[])`,
    [images.map((i) => i.id), images.map((i) => i.url), images.map((i) => i.alt), images.map((i) => i.position)]);
}
