/**
 * What every staff write to the catalog shares: one transaction whose refusals come back as domain
 * errors (the database's constraints named in words), optimistic concurrency on a version column,
 * and an audit row saying who changed what.
 *
 * Concurrency: a write names the version it read (If-Match). Its first statement bumps the version
 * only if it is still that one, which also takes the row's lock: a second writer with the same
 * version waits, then finds the version moved and is refused (412), so no update is ever lost. Every
 * write to a product (its variants, prices, stock, images, options, memberships) goes through the
 * product's row this way, so they all take turns per product.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { DomainError, ErrorCode } from '../domain/errors';
import { sqlRows, sqlTransaction, type Sql } from '../db/sql';

export interface CatalogActor {
  /** Who, in words: the staff account's name. */
  actor: string;
  /** The staff account and the key it acted with. */
  staffId?: string;
  keyId?: string;
  requestId?: string;
}

export type Versioned = 'products' | 'categories' | 'collections' | 'attributes' | 'shipping_zones' | 'shipping_methods' | 'tax_regions' | 'promotions';

const NOT_FOUND: Record<Versioned, [ErrorCode, string]> = {
  products: [ErrorCode.ProductNotFound, 'Product'],
  categories: [ErrorCode.CategoryNotFound, 'Category'],
  collections: [ErrorCode.CollectionNotFound, 'Collection'],
  attributes: [ErrorCode.AttributeNotFound, 'Attribute'],
  shipping_zones: [ErrorCode.ShippingZoneNotFound, 'Shipping zone'],
  shipping_methods: [ErrorCode.ShippingMethodNotFound, 'Shipping method'],
  tax_regions: [ErrorCode.TaxRegionNotFound, 'Tax region'],
  promotions: [ErrorCode.PromotionNotFound, 'Promotion'],
};

export function notFoundIn(table: Versioned, id: string): DomainError {
  const [code, what] = NOT_FOUND[table];
  return new DomainError(code, `${what} ${id} does not exist.`, { id });
}

/**
 * `work` in one transaction; the deferred rules (one value per option, one variant per
 * combination) are checked before it commits, and any refusal by the database comes back as a
 * domain error with nothing written.
 */
export async function catalogTransaction<T>(em: EntityManager, work: (sql: Sql) => Promise<T>): Promise<T> {
  try {
    return await sqlTransaction(em, async (sql) => {
      const result = await work(sql);
      await sql.rows('set constraints all immediate');
      return result;
    });
  } catch (err) {
    throw asDomainError(err);
  }
}

/** Moves `table`'s row `id` from version `expected` to the next one (and takes its lock); refuses if it is gone or has moved on. */
export async function bumpVersion(sql: Sql, table: Versioned, id: string, expected: number): Promise<number> {
  const [row] = await sql.rows<{ version: number }>(
    `update ${table} set version = version + 1, updated_at = now() where id = $1 and version = $2 returning version`, [id, expected]);
  if (row) return row.version;
  const [current] = await sql.rows<{ version: number }>(`select version from ${table} where id = $1`, [id]);
  if (!current) throw notFoundIn(table, id);
  throw new DomainError(ErrorCode.VersionMismatch,
    `${NOT_FOUND[table][1]} ${id} has changed since version ${expected} was read (it is at version ${current.version} now): `
    + 'read it again, reapply the change, and send the new ETag in If-Match.', { id, expected, current: current.version, etag: etagOf(current.version) });
}

/** Strong ETag of a version: "7". */
export function etagOf(version: number): string {
  return `"${version}"`;
}

export interface AuditEntry {
  action: string;
  entity: 'product' | 'category' | 'collection' | 'attribute' | 'image' | 'shipping_zone' | 'shipping_method' | 'tax_region' | 'promotion' | 'currency';
  entityId: string;
  productId?: string;
  version?: number;
  changes: Record<string, unknown>;
}

export async function audit(sql: Sql, who: CatalogActor, e: AuditEntry): Promise<void> {
  await sql.rows(
    `insert into catalog_audit (actor, staff_id, key_id, action, entity, entity_id, product_id, version, changes, request_id)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [who.actor, who.staffId ?? null, who.keyId ?? null, e.action, e.entity, e.entityId, e.productId ?? null, e.version ?? null, JSON.stringify(e.changes),
      who.requestId ?? null]);
}

export interface AuditRow { id: string; at: Date; actor: string; staff_id: string | null; key_id: string | null; action: string; entity: string; entity_id: string; product_id: string | null;
  version: number | null; changes: Record<string, unknown>; request_id: string | null }

/** The audit trail of one thing (a product with its variants, a category, …), newest first. */
export async function auditTrail(em: EntityManager, entityId: string, limit: number): Promise<AuditRow[]> {
  const productId = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(entityId) ? entityId : null;
  return sqlRows<AuditRow>(em,
    `select id, at, actor, staff_id, key_id, action, entity, entity_id, product_id, version, changes, request_id from catalog_audit
      where entity_id = $1 or product_id = $2::uuid order by id desc limit $3`, [entityId, productId, limit]);
}

interface PgError { code?: string; constraint?: string; message?: string; detail?: string }

/** The database's refusals, in the words of the rule they enforce. */
const CONSTRAINTS: Record<string, [ErrorCode, string]> = {
  products_handle_key: [ErrorCode.HandleTaken, 'Another product already has this handle.'],
  categories_handle_key: [ErrorCode.HandleTaken, 'Another category already has this handle.'],
  collections_handle_key: [ErrorCode.HandleTaken, 'Another collection already has this handle.'],
  attributes_code_key: [ErrorCode.HandleTaken, 'Another attribute already has this code.'],
  variants_sku_key: [ErrorCode.SkuTaken, 'Another variant already has this SKU.'],
  variants_one_per_combination: [ErrorCode.DuplicateVariant, 'Another variant of this product already has the same option values.'],
  variants_one_value_per_option: [ErrorCode.ValidationFailed, 'Every variant must pick one value of each of its product\'s options.'],
  variant_option_values_value_id_option_id_fkey: [ErrorCode.InUse, 'A variant still picks this option value; change or remove the variant first.'],
  categories_no_cycle: [ErrorCode.CategoryCycle, 'A category cannot move under itself or one of its own descendants.'],
  categories_not_own_parent: [ErrorCode.CategoryCycle, 'A category cannot be its own parent.'],
  categories_parent_id_fkey: [ErrorCode.InUse, 'The category has subcategories; move or delete them first.'],
  product_images_object_key_fkey: [ErrorCode.ImageNotFound, 'No uploaded image has this key; upload the file first.'],
  attribute_values_attribute_id_value_key: [ErrorCode.HandleTaken, 'The attribute already has this value.'],
  product_option_values_option_id_value_key: [ErrorCode.ValidationFailed, 'An option lists the same value twice.'],
  product_options_product_id_name_key: [ErrorCode.ValidationFailed, 'The product has two options with the same name.'],
  promotions_code_key: [ErrorCode.HandleTaken, 'Another promotion already has this code.'],
  promotions_within_limit: [ErrorCode.ValidationFailed, 'A promotion\'s usage limit cannot be below the uses it already has.'],
  promotions_window: [ErrorCode.ValidationFailed, 'A promotion must end after it starts.'],
  promotion_redemptions_promotion_id_fkey: [ErrorCode.InUse, 'Orders have used this promotion; deactivate it instead (active: false).'],
  order_promotions_promotion_id_fkey: [ErrorCode.InUse, 'Orders have used this promotion; deactivate it instead (active: false).'],
  tax_regions_country_region_key: [ErrorCode.HandleTaken, 'Another tax region already covers this country and region.'],
  shipping_methods_zone_id_fkey: [ErrorCode.ShippingZoneNotFound, 'No shipping zone has this id.'],
};

function asDomainError(err: unknown): unknown {
  const e = err as PgError;
  if (err instanceof DomainError || typeof e?.code !== 'string' || !/^23/.test(e.code)) return err;
  const known = e.constraint ? CONSTRAINTS[e.constraint] : undefined;
  if (known) return new DomainError(known[0], known[1], { constraint: e.constraint, ...(e.detail ? { detail: e.detail } : {}) });
  // Any other rule of the schema (a check, a length): the caller sent something the catalog does not hold.
  return new DomainError(ErrorCode.ValidationFailed, `The catalog refused the change: ${e.message}.`, { constraint: e.constraint ?? null });
}
