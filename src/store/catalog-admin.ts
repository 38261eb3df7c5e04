/**
 * Staff writes to products: a product with its options, variants, prices, stock, memberships,
 * attributes and images. Each write is one transaction (catalogTransaction): a product created
 * with twenty variants is there whole or not at all. Each write to an existing product moves its
 * version (bumpVersion, If-Match) and leaves an audit row with what changed, computed from the
 * product as staff read it before and after the write.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { changesBetween, checkOptions, checkPublishable, defaultVariantTitle, orderedChoice, type OptionSpec, type ProductStatus } from '../domain/catalog';
import { DomainError, ErrorCode } from '../domain/errors';
import { sqlRows, type Sql } from '../db/sql';
import { audit, bumpVersion, catalogTransaction, notFoundIn, type CatalogActor } from './catalog-writes';
import { productOptions, readAdminProduct, flatForAudit, type AdminProduct } from './catalog-admin-read';

export type { AdminProduct };
export { adminProducts } from './catalog-admin-read';

export interface VariantInput {
  sku: string;
  title?: string;
  options?: Record<string, string>;
  /** Minor units by currency. */
  prices?: Record<string, number>;
  weightGrams?: number | null;
  onHand?: number;
}

export interface ImageInput { url?: string; key?: string; alt?: string }

export interface ProductInput {
  handle: string;
  title: string;
  description?: string;
  status?: ProductStatus;
  options?: OptionSpec[];
  variants?: VariantInput[];
  categoryIds?: string[];
  collectionIds?: string[];
  attributes?: Record<string, string[]>;
  images?: ImageInput[];
}

export type ProductPatch = Partial<Pick<ProductInput, 'handle' | 'title' | 'description' | 'status' | 'options' | 'categoryIds' | 'collectionIds' | 'attributes'>>;

export interface VariantPatch {
  title?: string;
  options?: Record<string, string>;
  /** A price per currency to set, or null to remove the variant's price in that currency. */
  prices?: Record<string, number | null>;
  weightGrams?: number | null;
  position?: number;
}

/** A product as staff see it, whatever its status. */
export async function adminProduct(em: EntityManager, id: string): Promise<AdminProduct | undefined> {
  return readAdminProduct({ rows: (query, values) => sqlRows(em, query, values) }, id);
}

/** Creates a product with everything it comes with, in one transaction. */
export async function createProduct(em: EntityManager, who: CatalogActor, input: ProductInput): Promise<AdminProduct> {
  checkOptions(input.options ?? []);
  return catalogTransaction(em, async (sql) => {
    const [{ id }] = await sql.rows<{ id: string }>(
      `insert into products (handle, title, description, status) values ($1, $2, $3, $4) returning id`,
      [input.handle, input.title, input.description ?? '', input.status ?? 'draft']);
    await insertOptions(sql, id, input.options ?? []);
    for (const [position, v] of (input.variants ?? []).entries()) await insertVariant(sql, id, v, position);
    await setMemberships(sql, id, input);
    if (input.attributes) await setAttributes(sql, id, input.attributes);
    for (const image of input.images ?? []) await attachImage(sql, id, image);
    const created = await readAdminProduct(sql, id) as AdminProduct;
    checkPublishable(created.status, created.variants.length, created.handle);
    await audit(sql, who, { action: 'product.created', entity: 'product', entityId: id, productId: id, version: 1, changes: flatForAudit(created) });
    return created;
  });
}

/**
 * The one way an existing product changes: bump its version from `expected` (If-Match), apply
 * `change`, check the product can stay as it is (published with at least one variant), audit.
 */
export async function changeProduct(em: EntityManager, who: CatalogActor, id: string, expected: number, action: string,
  change: (sql: Sql, before: AdminProduct) => Promise<void>): Promise<AdminProduct> {
  return catalogTransaction(em, async (sql) => {
    const version = await bumpVersion(sql, 'products', id, expected);
    const before = await readAdminProduct(sql, id) as AdminProduct;
    await change(sql, before);
    const after = await readAdminProduct(sql, id) as AdminProduct;
    checkPublishable(after.status, after.variants.length, after.handle);
    await audit(sql, who, { action, entity: 'product', entityId: id, productId: id, version,
      changes: changesBetween(flatForAudit(before), flatForAudit(after)) });
    return after;
  });
}

export async function updateProduct(em: EntityManager, who: CatalogActor, id: string, expected: number, patch: ProductPatch): Promise<AdminProduct> {
  if (patch.options) checkOptions(patch.options);
  return changeProduct(em, who, id, expected, patch.status === 'archived' ? 'product.archived' : 'product.updated', async (sql, before) => {
    await sql.rows(`update products set handle = coalesce($2, handle), title = coalesce($3, title), description = coalesce($4, description),
      status = coalesce($5, status) where id = $1`, [id, patch.handle ?? null, patch.title ?? null, patch.description ?? null, patch.status ?? null]);
    if (patch.options) await replaceOptions(sql, before, patch.options);
    await setMemberships(sql, id, patch);
    if (patch.attributes) await setAttributes(sql, id, patch.attributes);
  });
}

export async function addVariant(em: EntityManager, who: CatalogActor, productId: string, expected: number, v: VariantInput): Promise<AdminProduct> {
  return changeProduct(em, who, productId, expected, 'variant.added', async (sql, before) => {
    await insertVariant(sql, productId, v, before.variants.length);
  });
}

export async function updateVariant(em: EntityManager, who: CatalogActor, productId: string, sku: string, expected: number,
  patch: VariantPatch): Promise<AdminProduct> {
  return changeProduct(em, who, productId, expected, 'variant.updated', async (sql, before) => {
    const variant = variantOf(before, sku);
    if (patch.options) {
      const choice = orderedChoice(before.options.map((o) => o.name), patch.options, sku);
      await setChoice(sql, productId, variant.id, choice);
    }
    await sql.rows(`update variants set title = coalesce($2, title), position = coalesce($3, position),
      weight_grams = case when $4 then $5 else weight_grams end, updated_at = now() where id = $1`,
    [variant.id, patch.title ?? null, patch.position ?? null, patch.weightGrams !== undefined, patch.weightGrams ?? null]);
    if (patch.prices) await setPrices(sql, variant.id, patch.prices);
  });
}

/**
 * Removes a variant: its prices and stock row go with it, and it leaves every cart that holds it;
 * orders that sold it keep their lines. Refused while live orders hold stock of it: the inventory
 * row's lock is taken first, so a checkout reserving it meanwhile either finishes first (and the
 * removal is refused) or finds no stock row left (and its order is refused as out of stock).
 */
export async function removeVariant(em: EntityManager, who: CatalogActor, productId: string, sku: string, expected: number): Promise<AdminProduct> {
  return changeProduct(em, who, productId, expected, 'variant.removed', async (sql, before) => {
    const variant = variantOf(before, sku);
    await sql.rows('select sku from inventory where sku = $1 for update', [sku]);
    const [held] = await sql.rows<{ n: number }>(`select coalesce(sum(quantity), 0)::int as n from reservations where sku = $1 and status = 'reserved'`, [sku]);
    if (held.n > 0) {
      throw new DomainError(ErrorCode.InUse, `Live orders hold ${held.n} of ${sku}; it can be removed once they have shipped or been cancelled.`,
        { sku, reserved: held.n });
    }
    await sql.rows('delete from variants where id = $1', [variant.id]);
  });
}

/** Sets the stock on hand of a variant: never below what live orders have reserved, whatever runs concurrently. */
export async function setVariantStock(em: EntityManager, who: CatalogActor, productId: string, sku: string, expected: number,
  onHand: number): Promise<AdminProduct> {
  return changeProduct(em, who, productId, expected, 'variant.stock_set', async (sql, before) => {
    variantOf(before, sku);
    const [row] = await sql.rows<{ reserved: number }>(
      `insert into inventory (sku, on_hand) values ($1, $2)
       on conflict (sku) do update set on_hand = excluded.on_hand, updated_at = now() where inventory.reserved <= excluded.on_hand
       returning reserved`, [sku, onHand]);
    if (row) return;
    const [current] = await sql.rows<{ reserved: number }>('select reserved from inventory where sku = $1', [sku]);
    throw new DomainError(ErrorCode.InventoryConflict, `Orders have reserved ${current.reserved} of ${sku}; on hand cannot go below that.`,
      { sku, reserved: current.reserved, requested: onHand });
  });
}

export async function addImage(em: EntityManager, who: CatalogActor, productId: string, expected: number, image: ImageInput & { position?: number }): Promise<AdminProduct> {
  return changeProduct(em, who, productId, expected, 'image.added', async (sql) => {
    await attachImage(sql, productId, image);
  });
}

export async function updateImage(em: EntityManager, who: CatalogActor, productId: string, imageId: string, expected: number,
  patch: { alt?: string; position?: number }): Promise<AdminProduct> {
  return changeProduct(em, who, productId, expected, 'image.updated', async (sql) => {
    const rows = await sql.rows(`update product_images set alt = coalesce($3, alt), position = coalesce($4, position)
      where id = $1 and product_id = $2 returning id`, [imageId, productId, patch.alt ?? null, patch.position ?? null]);
    if (rows.length === 0) throw imageNotFound(productId, imageId);
  });
}

/** Detaches an image; a stored file no product refers to any more is deleted by the image sweep once past its grace period. */
export async function removeImage(em: EntityManager, who: CatalogActor, productId: string, imageId: string, expected: number): Promise<AdminProduct> {
  return changeProduct(em, who, productId, expected, 'image.removed', async (sql) => {
    const rows = await sql.rows('delete from product_images where id = $1 and product_id = $2 returning id', [imageId, productId]);
    if (rows.length === 0) throw imageNotFound(productId, imageId);
  });
}

const imageNotFound = (productId: string, imageId: string) =>
  new DomainError(ErrorCode.ImageNotFound, `Product ${productId} has no image ${imageId}.`, { productId, imageId });

function variantOf(p: AdminProduct, sku: string): AdminProduct['variants'][number] {
  const v = p.variants.find((x) => x.sku === sku);
  if (!v) throw new DomainError(ErrorCode.VariantNotFound, `Product ${p.id} has no variant ${sku}.`, { productId: p.id, sku });
  return v;
}

async function insertOptions(sql: Sql, productId: string, options: OptionSpec[]): Promise<void> {
  for (const [position, o] of options.entries()) {
    const [{ id }] = await sql.rows<{ id: string }>('insert into product_options (product_id, name, position) values ($1, $2, $3) returning id',
      [productId, o.name, position]);
    await sql.rows(`insert into product_option_values (option_id, product_id, value, position)
      select $1, $2, v, (n - 1)::smallint from unnest($3::text[]) with ordinality as x(v, n)`, [id, productId, o.values]);
  }
}

/**
 * Options replaced by position: the first given renames and re-lists the first option, and so on.
 * Values no longer listed are removed (refused while a variant picks one); new ones are added.
 * While the product has variants the number of options stays (each variant picks one value of each).
 */
async function replaceOptions(sql: Sql, before: AdminProduct, options: OptionSpec[]): Promise<void> {
  if (before.variants.length === 0) {
    await sql.rows('delete from product_options where product_id = $1', [before.id]);
    await insertOptions(sql, before.id, options);
    return;
  }
  if (options.length !== before.options.length) {
    throw new DomainError(ErrorCode.InUse, `The product's variants each pick a value of its ${before.options.length} option(s); `
      + 'keep that many options, or remove the variants first.', { options: before.options.length, given: options.length });
  }
  for (const [position, o] of options.entries()) {
    const current = before.options[position];
    await sql.rows('update product_options set name = $2 where id = $1 and name <> $2', [current.id, o.name]);
    await sql.rows('delete from product_option_values where option_id = $1 and not (value = any($2::text[]))', [current.id, o.values]);
    await sql.rows(`insert into product_option_values (option_id, product_id, value, position)
      select $1, $2, v, (n - 1)::smallint from unnest($3::text[]) with ordinality as x(v, n)
      on conflict (option_id, value) do update set position = excluded.position`, [current.id, before.id, o.values]);
  }
}

async function insertVariant(sql: Sql, productId: string, v: VariantInput, position: number): Promise<void> {
  const options = await productOptions(sql, productId);
  const choice = orderedChoice(options.map((o) => o.name), v.options, v.sku);
  const [{ id }] = await sql.rows<{ id: string }>(
    `insert into variants (product_id, sku, title, position, weight_grams) values ($1, $2, $3, $4, $5) returning id`,
    [productId, v.sku, v.title ?? defaultVariantTitle(choice), position, v.weightGrams ?? null]);
  await setChoice(sql, productId, id, choice.map((c) => ({ ...c, optionId: options.find((o) => o.name === c.option)?.id as string })));
  await setPrices(sql, id, v.prices ?? {});
  await sql.rows('insert into inventory (sku, on_hand) values ($1, $2)', [v.sku, v.onHand ?? 0]);
}

/** The variant's value of each option; a value not yet listed for its option is added to it. */
async function setChoice(sql: Sql, productId: string, variantId: string, choice: { option: string; value: string; optionId?: string }[]): Promise<void> {
  if (choice.length === 0) return;
  const optionIds = choice.every((c) => c.optionId) ? choice.map((c) => c.optionId as string)
    : await sql.rows<{ id: string; name: string }>('select id, name from product_options where product_id = $1', [productId])
      .then((rows) => choice.map((c) => rows.find((r) => r.name === c.option)?.id as string));
  const values = choice.map((c) => c.value);
  await sql.rows(`insert into product_option_values (option_id, product_id, value, position)
    select w.option_id, $1, w.value, coalesce((select max(position) + 1 from product_option_values where option_id = w.option_id), 0)
      from unnest($2::uuid[], $3::text[]) as w(option_id, value)
    on conflict (option_id, value) do nothing`, [productId, optionIds, values]);
  await sql.rows(`insert into variant_option_values (variant_id, product_id, option_id, value_id)
    select $1, $2, w.option_id, ov.id
      from unnest($3::uuid[], $4::text[]) as w(option_id, value)
      join product_option_values ov on ov.option_id = w.option_id and ov.value = w.value
    on conflict (variant_id, option_id) do update set value_id = excluded.value_id`, [variantId, productId, optionIds, values]);
}

async function setPrices(sql: Sql, variantId: string, prices: Record<string, number | null>): Promise<void> {
  const set = Object.entries(prices).filter((e): e is [string, number] => e[1] !== null);
  const removed = Object.entries(prices).filter(([, amount]) => amount === null).map(([currency]) => currency);
  if (set.length) {
    await sql.rows(`insert into variant_prices (variant_id, currency, amount) select $1, c, a from unnest($2::text[], $3::bigint[]) as x(c, a)
      on conflict (variant_id, currency) do update set amount = excluded.amount`, [variantId, set.map(([c]) => c), set.map(([, a]) => a)]);
  }
  if (removed.length) await sql.rows('delete from variant_prices where variant_id = $1 and currency = any($2::text[])', [variantId, removed]);
}

/** The product's categories and collections become exactly those given (when given). */
async function setMemberships(sql: Sql, productId: string, m: { categoryIds?: string[]; collectionIds?: string[] }): Promise<void> {
  for (const [table, column, ids, missing] of [
    ['product_categories', 'category_id', m.categoryIds, 'categories'],
    ['product_collections', 'collection_id', m.collectionIds, 'collections'],
  ] as const) {
    if (!ids) continue;
    const known = await sql.rows<{ id: string }>(`select id from ${missing} where id = any($1::uuid[])`, [ids]);
    const unknown = ids.find((id) => !known.some((k) => k.id === id));
    if (unknown) throw notFoundIn(missing, unknown);
    await sql.rows(`delete from ${table} where product_id = $1 and not (${column} = any($2::uuid[]))`, [productId, ids]);
    await sql.rows(`insert into ${table} (product_id, ${column}) select $1, unnest($2::uuid[]) on conflict do nothing`, [productId, ids]);
  }
}

/** The product's attribute values become exactly those given, by attribute code; values an attribute does not list yet are added to it. */
async function setAttributes(sql: Sql, productId: string, attributes: Record<string, string[]>): Promise<void> {
  const pairs = Object.entries(attributes).flatMap(([code, values]) => [...new Set(values)].map((value) => [code, value] as const));
  const codes = Object.keys(attributes);
  const known = await sql.rows<{ code: string }>('select code from attributes where code = any($1::text[])', [codes]);
  const unknown = codes.find((c) => !known.some((k) => k.code === c));
  if (unknown) throw new DomainError(ErrorCode.AttributeNotFound, `There is no attribute with code ${unknown}; create it first.`, { code: unknown });
  await sql.rows('delete from product_attribute_values where product_id = $1', [productId]);
  if (pairs.length === 0) return;
  const args = [pairs.map(([c]) => c), pairs.map(([, v]) => v)];
  await sql.rows(`insert into attribute_values (attribute_id, value, position)
    select a.id, x.value, coalesce((select max(position) + 1 from attribute_values where attribute_id = a.id), 0)
      from unnest($1::text[], $2::text[]) as x(code, value) join attributes a on a.code = x.code
    on conflict (attribute_id, value) do nothing`, args);
  await sql.rows(`insert into product_attribute_values (product_id, attribute_id, value_id)
    select $1, a.id, v.id from unnest($2::text[], $3::text[]) as x(code, value)
      join attributes a on a.code = x.code join attribute_values v on v.attribute_id = a.id and v.value = x.value`, [productId, ...args]);
}

async function attachImage(sql: Sql, productId: string, image: ImageInput & { position?: number }): Promise<void> {
  await sql.rows(`insert into product_images (product_id, url, object_key, alt, position)
    values ($1, $2, $3, $4, coalesce($5, (select coalesce(max(position) + 1, 0) from product_images where product_id = $1)))`,
  [productId, image.url ?? null, image.key ?? null, image.alt ?? '', image.position ?? null]);
}
