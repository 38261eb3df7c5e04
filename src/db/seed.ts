/**
 * The bulk loader of products (the demo catalog, test fixtures, the benchmarks), set-based: each
 * batch is a handful of statements whatever its size (arrays unnested by PostgreSQL), in one
 * transaction, so a batch is all there or not at all. Existing handles and SKUs are left alone.
 * The database's own rules apply to every row (one value per option, one combination per
 * variant, prices never negative). Staff edits go through src/store/catalog-admin.ts instead.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { ProductStatus } from '../domain/catalog';
import { sqlRows, sqlTransaction, type Sql } from './sql';

export interface SeedVariant {
  sku: string;
  /** Defaults to the option values joined by " / ". */
  title?: string;
  /** One value per option of the product, by option name; leave out for a product without options. */
  options?: Record<string, string>;
  /** Minor units by currency: { USD: 2500, EUR: 2300 }. */
  prices: Record<string, number>;
  onHand: number;
  weightGrams?: number;
}

export interface SeedImage { alt: string; url?: string; objectKey?: string }

export interface SeedProduct {
  handle: string;
  title: string;
  description: string;
  /** Published unless said otherwise (a seeded catalog is one to browse). */
  status?: ProductStatus;
  /**
   * The product's options in order, each with its values in order. Left out, a product with
   * several variants gets the option "Title" whose values are the variants' titles.
   */
  options?: { name: string; values: string[] }[];
  variants: SeedVariant[];
  /** Handles of existing categories and collections. */
  categories?: string[];
  collections?: string[];
  /** Values by attribute code (the attribute must exist; its values are added as needed). */
  attributes?: Record<string, string[]>;
  images?: SeedImage[];
  /** When it was added to the catalog (now unless said otherwise), which "newest first" sorts by. */
  createdAt?: Date;
}

interface Placed { product: SeedProduct; id: string }

/** Inserts products and all that hangs off them in batches; answers how many products were new. */
export async function insertProducts(em: EntityManager, products: SeedProduct[], batchSize = 500): Promise<number> {
  let inserted = 0;
  for (let start = 0; start < products.length; start += batchSize) {
    const batch = products.slice(start, start + batchSize);
    inserted += await sqlTransaction(em, async (sql) => {
      const placed = await insertProductRows(sql, batch);
      if (placed.length === 0) return 0;
      const variantIds = await insertVariants(sql, placed);
      await insertOptions(sql, placed, variantIds);
      await insertPricesAndStock(sql, placed, variantIds);
      await insertMemberships(sql, placed);
      await insertImages(sql, placed);
      // Deferred rules (one value per option, one variant per combination) are checked here, inside the batch.
      await sql.rows('set constraints all immediate');
      return placed.length;
    });
  }
  // A bulk load leaves new search entries in the GIN index's pending list, which searches then scan
  // row by row until a vacuum runs (bench/api measured 2.7 ms vs 0.6 ms); merge them and refresh statistics now.
  await sqlRows(em, `select gin_clean_pending_list('products_search_idx'), gin_clean_pending_list('search_documents_tsv_idx')`);
  await sqlRows(em, 'analyze products, variants, variant_prices, inventory, variant_option_values, search_documents, search_terms');
  return inserted;
}

async function insertProductRows(sql: Sql, batch: SeedProduct[]): Promise<Placed[]> {
  const rows = await sql.rows<{ id: string; handle: string }>(
    `insert into products (handle, title, description, status, created_at)
     select h, t, d, s, coalesce(c, now()) from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[]) as x(h, t, d, s, c)
     on conflict (handle) do nothing returning id, handle`,
    [batch.map((p) => p.handle), batch.map((p) => p.title), batch.map((p) => p.description), batch.map((p) => p.status ?? 'published'),
      batch.map((p) => p.createdAt ?? null)]);
  const idByHandle = new Map(rows.map((r) => [r.handle, r.id]));
  return batch.filter((p) => idByHandle.has(p.handle)).map((product) => ({ product, id: idByHandle.get(product.handle) as string }));
}

/** The options a product is loaded with: its own, or "Title" when it has several variants and names none. */
export function optionsOf(p: SeedProduct): { name: string; values: string[] }[] {
  if (p.options) return p.options;
  if (p.variants.length < 2) return [];
  return [{ name: 'Title', values: p.variants.map((v) => v.title ?? v.sku) }];
}

function choicesOf(p: SeedProduct, v: SeedVariant): Record<string, string> {
  if (v.options) return v.options;
  return p.options || p.variants.length < 2 ? {} : { Title: v.title ?? v.sku };
}

async function insertVariants(sql: Sql, placed: Placed[]): Promise<Map<string, string>> {
  const variants = placed.flatMap(({ product, id }) => product.variants.map((v, position) => ({
    productId: id, sku: v.sku, position, weight: v.weightGrams ?? null,
    title: v.title ?? (Object.values(choicesOf(product, v)).join(' / ') || 'Default'),
  })));
  const rows = await sql.rows<{ id: string; sku: string }>(
    `insert into variants (product_id, sku, title, position, weight_grams)
     select * from unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::int[])
     on conflict (sku) do nothing returning id, sku`,
    [variants.map((v) => v.productId), variants.map((v) => v.sku), variants.map((v) => v.title), variants.map((v) => v.position),
      variants.map((v) => v.weight)]);
  return new Map(rows.map((r) => [r.sku, r.id]));
}

async function insertOptions(sql: Sql, placed: Placed[], variantIds: Map<string, string>): Promise<void> {
  const options = placed.flatMap(({ product, id }) => optionsOf(product).map((o, position) => ({ productId: id, name: o.name, position, values: o.values })));
  if (options.length === 0) return;
  const optionRows = await sql.rows<{ id: string; product_id: string; name: string }>(
    `insert into product_options (product_id, name, position) select * from unnest($1::uuid[], $2::text[], $3::smallint[])
     returning id, product_id, name`,
    [options.map((o) => o.productId), options.map((o) => o.name), options.map((o) => o.position)]);
  const optionId = new Map(optionRows.map((r) => [`${r.product_id}|${r.name}`, r.id]));
  const values = options.flatMap((o) => [...new Set(o.values)].map((value, position) => ({
    optionId: optionId.get(`${o.productId}|${o.name}`) as string, productId: o.productId, value, position })));
  const valueRows = await sql.rows<{ id: string; option_id: string; value: string }>(
    `insert into product_option_values (option_id, product_id, value, position)
     select * from unnest($1::uuid[], $2::uuid[], $3::text[], $4::smallint[]) returning id, option_id, value`,
    [values.map((v) => v.optionId), values.map((v) => v.productId), values.map((v) => v.value), values.map((v) => v.position)]);
  const valueId = new Map(valueRows.map((r) => [`${r.option_id}|${r.value}`, r.id]));
  const choices = placed.flatMap(({ product, id }) => product.variants.filter((v) => variantIds.has(v.sku)).flatMap((v) =>
    Object.entries(choicesOf(product, v)).map(([name, value]) => {
      const option = optionId.get(`${id}|${name}`);
      const chosen = option && valueId.get(`${option}|${value}`);
      if (!option || !chosen) throw new Error(`${product.handle}: variant ${v.sku} names ${name} "${value}", which is not one of the product's options`);
      return { variantId: variantIds.get(v.sku) as string, productId: id, optionId: option, valueId: chosen };
    })));
  await sql.rows(
    `insert into variant_option_values (variant_id, product_id, option_id, value_id)
     select * from unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[])`,
    [choices.map((c) => c.variantId), choices.map((c) => c.productId), choices.map((c) => c.optionId), choices.map((c) => c.valueId)]);
}

async function insertPricesAndStock(sql: Sql, placed: Placed[], variantIds: Map<string, string>): Promise<void> {
  const variants = placed.flatMap(({ product }) => product.variants.filter((v) => variantIds.has(v.sku)));
  const prices = variants.flatMap((v) => Object.entries(v.prices).map(([currency, amount]) => ({ variantId: variantIds.get(v.sku) as string, currency, amount })));
  await sql.rows(
    `insert into variant_prices (variant_id, currency, amount) select * from unnest($1::uuid[], $2::text[], $3::bigint[])`,
    [prices.map((p) => p.variantId), prices.map((p) => p.currency), prices.map((p) => p.amount)]);
  await sql.rows(
    'insert into inventory (sku, on_hand) select * from unnest($1::text[], $2::int[]) on conflict (sku) do nothing',
    [variants.map((v) => v.sku), variants.map((v) => v.onHand)]);
}

async function insertMemberships(sql: Sql, placed: Placed[]): Promise<void> {
  const pairs = (list: (p: SeedProduct) => string[] | undefined) =>
    placed.flatMap(({ product, id }) => (list(product) ?? []).map((handle) => [id, handle] as const));
  const categories = pairs((p) => p.categories);
  if (categories.length) {
    await sql.rows(`insert into product_categories (product_id, category_id)
      select x.product_id, c.id from unnest($1::uuid[], $2::text[]) as x(product_id, handle) join categories c on c.handle = x.handle`,
    [categories.map(([id]) => id), categories.map(([, h]) => h)]);
  }
  const collections = pairs((p) => p.collections);
  if (collections.length) {
    await sql.rows(`insert into product_collections (product_id, collection_id)
      select x.product_id, c.id from unnest($1::uuid[], $2::text[]) as x(product_id, handle) join collections c on c.handle = x.handle`,
    [collections.map(([id]) => id), collections.map(([, h]) => h)]);
  }
  const attributes = placed.flatMap(({ product, id }) => Object.entries(product.attributes ?? {})
    .flatMap(([code, values]) => values.map((value) => ({ id, code, value }))));
  if (attributes.length === 0) return;
  const args = [attributes.map((a) => a.id), attributes.map((a) => a.code), attributes.map((a) => a.value)];
  await sql.rows(`insert into attribute_values (attribute_id, value)
    select distinct a.id, x.value from unnest($1::text[], $2::text[]) as x(code, value) join attributes a on a.code = x.code
    on conflict (attribute_id, value) do nothing`, args.slice(1));
  await sql.rows(`insert into product_attribute_values (product_id, attribute_id, value_id)
    select x.product_id, a.id, v.id from unnest($1::uuid[], $2::text[], $3::text[]) as x(product_id, code, value)
      join attributes a on a.code = x.code join attribute_values v on v.attribute_id = a.id and v.value = x.value
    on conflict do nothing`, args);
}

async function insertImages(sql: Sql, placed: Placed[]): Promise<void> {
  const images = placed.flatMap(({ product, id }) => (product.images ?? []).map((img, position) => ({ id, ...img, position })));
  if (images.length === 0) return;
  await sql.rows(`insert into product_images (product_id, url, object_key, alt, position)
    select * from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::int[])`,
  [images.map((i) => i.id), images.map((i) => i.url ?? null), images.map((i) => i.objectKey ?? null), images.map((i) => i.alt),
    images.map((i) => i.position)]);
}

export interface SeedTaxonomy {
  /** Parents before their children. */
  categories: { handle: string; name: string; parent: string | null }[];
  collections: { handle: string; title: string }[];
  attributes: { code: string; name: string }[];
}

/** Categories (parents first), collections and attributes, in one transaction; existing handles and codes are left alone. */
export async function insertTaxonomy(em: EntityManager, t: SeedTaxonomy): Promise<void> {
  await sqlTransaction(em, async (sql) => {
    for (const c of t.categories) {
      await sql.rows(`insert into categories (handle, name, parent_id) values ($1, $2, (select id from categories where handle = $3))
        on conflict (handle) do nothing`, [c.handle, c.name, c.parent]);
    }
    for (const c of t.collections) {
      await sql.rows('insert into collections (handle, title) values ($1, $2) on conflict (handle) do nothing', [c.handle, c.title]);
    }
    for (const [position, a] of t.attributes.entries()) {
      await sql.rows('insert into attributes (code, name, position) values ($1, $2, $3) on conflict (code) do nothing', [a.code, a.name, position]);
    }
  });
}

/** The number of products in the catalog, whatever their status. */
export async function productCount(em: EntityManager): Promise<number> {
  const [row] = await sqlRows<{ n: string }>(em, 'select count(*) as n from products');
  return Number(row.n);
}
