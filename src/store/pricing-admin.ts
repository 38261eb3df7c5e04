/**
 * Staff writes to what orders cost: shipping zones and methods (with their rates), tax regions
 * (with their category rates), currencies' tax modes and promotions. Like the catalog's
 * (src/store/catalog-writes.ts): one transaction, the version named in If-Match, an audit row, the
 * database's refusals in words. Rates and percentages come in as percent and are kept in parts per
 * million (src/domain/rounding.ts).
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { PPM } from '../domain/rounding';
import { sqlRows, type Sql } from '../db/sql';
import { audit, bumpVersion, catalogTransaction, notFoundIn, type AuditEntry, type CatalogActor, type Versioned } from './catalog-writes';

/** Percent (up to four decimals) to parts per million, and back. */
export const ppmOf = (percent: number) => Math.round(percent * (PPM / 100));
const PERCENT = (column: string) => `(${column}::numeric / ${PPM / 100})::float8`;

interface Spec<B> {
  table: Versioned;
  entity: AuditEntry['entity'];
  /** One JSON object per row of `table` as alias t: the staff view. */
  view: string;
  /** The columns the given fields write, and their values. */
  columns: (body: Partial<B>) => Record<string, unknown>;
  /** Replaces the rows hanging off the row, for the fields given. */
  children?: (sql: Sql, id: string, body: Partial<B>) => Promise<void>;
}

export interface Resource<B, V> {
  list: (em: EntityManager) => Promise<V[]>;
  read: (em: EntityManager, id: string) => Promise<V | undefined>;
  create: (em: EntityManager, who: CatalogActor, body: B) => Promise<V>;
  update: (em: EntityManager, who: CatalogActor, id: string, version: number, body: Partial<B>) => Promise<V>;
  remove: (em: EntityManager, who: CatalogActor, id: string, version: number) => Promise<void>;
}

function resource<B extends object, V>(spec: Spec<B>): Resource<B, V> {
  const viewSql = (where: string) => `select ${spec.view} as view from ${spec.table} t ${where} order by t.created_at, t.id`;
  const readIn = async (sql: Sql, id: string) => (await sql.rows<{ view: V }>(viewSql('where t.id = $1'), [id]))[0]?.view;
  const defined = (body: Partial<B>) => Object.entries(spec.columns(body)).filter(([, v]) => v !== undefined);
  return {
    list: async (em) => (await sqlRows<{ view: V }>(em, viewSql(''))).map((r) => r.view),
    read: async (em, id) => (await sqlRows<{ view: V }>(em, viewSql('where t.id = $1'), [id]))[0]?.view,
    create: (em, who, body) => catalogTransaction(em, async (sql) => {
      const cols = defined(body);
      const [row] = await sql.rows<{ id: string }>(`insert into ${spec.table} (${cols.map(([c]) => c).join(', ')})
        values (${cols.map((_, i) => `$${i + 1}`).join(', ')}) returning id`, cols.map(([, v]) => v));
      await spec.children?.(sql, row.id, body);
      await audit(sql, who, { action: `${spec.entity}.created`, entity: spec.entity, entityId: row.id, version: 1, changes: { ...body } as Record<string, unknown> });
      return (await readIn(sql, row.id)) as V;
    }),
    update: (em, who, id, version, body) => catalogTransaction(em, async (sql) => {
      const next = await bumpVersion(sql, spec.table, id, version);
      const cols = defined(body);
      if (cols.length > 0) {
        await sql.rows(`update ${spec.table} set ${cols.map(([c], i) => `${c} = $${i + 2}`).join(', ')} where id = $1`, [id, ...cols.map(([, v]) => v)]);
      }
      await spec.children?.(sql, id, body);
      await audit(sql, who, { action: `${spec.entity}.updated`, entity: spec.entity, entityId: id, version: next, changes: { ...body } as Record<string, unknown> });
      return (await readIn(sql, id)) as V;
    }),
    remove: (em, who, id, version) => catalogTransaction(em, async (sql) => {
      await bumpVersion(sql, spec.table, id, version);
      const before = await readIn(sql, id);
      await sql.rows(`delete from ${spec.table} where id = $1`, [id]);
      await audit(sql, who, { action: `${spec.entity}.deleted`, entity: spec.entity, entityId: id, changes: { deleted: before } });
    }),
  };
}

/** Every staff view carries its version (the ETag). */
type WithVersion = { id: string; version: number };

export interface ZoneInput { name: string; countries: string[]; regions?: string[]; postalPrefixes?: string[] }
export const shippingZones = resource<ZoneInput, WithVersion>({
  table: 'shipping_zones', entity: 'shipping_zone',
  view: `json_build_object('id', t.id, 'name', t.name, 'countries', t.countries, 'regions', t.regions, 'postalPrefixes', t.postal_prefixes, 'version', t.version)`,
  columns: (b) => ({ name: b.name, countries: b.countries, regions: b.regions, postal_prefixes: b.postalPrefixes }),
});

type Bands = { from: number; amount: number }[];
export interface MethodInput {
  zoneId: string; name: string; carrier?: string; minDays?: number | null; maxDays?: number | null; basis: 'flat' | 'weight' | 'subtotal';
  active?: boolean; position?: number; rates: Record<string, Bands>; freeAbove?: Record<string, number>;
}
export const shippingMethods = resource<MethodInput, WithVersion>({
  table: 'shipping_methods', entity: 'shipping_method',
  view: `json_build_object('id', t.id, 'zoneId', t.zone_id, 'name', t.name, 'carrier', t.carrier, 'minDays', t.min_days, 'maxDays', t.max_days,
    'basis', t.basis, 'active', t.active, 'position', t.position, 'version', t.version,
    'rates', coalesce((select json_object_agg(currency, bands) from (select r.currency, json_agg(json_build_object('from', r.from_value, 'amount', r.amount)
      order by r.from_value) as bands from shipping_rates r where r.method_id = t.id group by r.currency) x), '{}'::json),
    'freeAbove', coalesce((select json_object_agg(f.currency, f.subtotal) from shipping_free_thresholds f where f.method_id = t.id), '{}'::json))`,
  columns: (b) => ({ zone_id: b.zoneId, name: b.name, carrier: b.carrier, min_days: b.minDays, max_days: b.maxDays, basis: b.basis, active: b.active,
    position: b.position }),
  children: async (sql, id, b) => {
    if (b.rates) {
      await sql.rows('delete from shipping_rates where method_id = $1', [id]);
      const rows = Object.entries(b.rates).flatMap(([currency, bands]) => bands.map((band) => [currency, band.from, band.amount]));
      await sql.rows(`insert into shipping_rates (method_id, currency, from_value, amount)
        select $1::uuid, * from unnest($2::text[], $3::bigint[], $4::bigint[])`, [id, ...columnsOf(rows, 3)]);
    }
    if (b.freeAbove) {
      await sql.rows('delete from shipping_free_thresholds where method_id = $1', [id]);
      await sql.rows(`insert into shipping_free_thresholds (method_id, currency, subtotal) select $1::uuid, * from unnest($2::text[], $3::bigint[])`,
        [id, Object.keys(b.freeAbove), Object.values(b.freeAbove)]);
    }
  },
});

export interface TaxRegionInput { name: string; country: string; region?: string | null; ratePercent: number; shippingTaxed?: boolean; categoryRates?: Record<string, number> }
export const taxRegions = resource<TaxRegionInput, WithVersion>({
  table: 'tax_regions', entity: 'tax_region',
  view: `json_build_object('id', t.id, 'name', t.name, 'country', t.country, 'region', t.region, 'ratePercent', ${PERCENT('t.rate_ppm')},
    'shippingTaxed', t.shipping_taxed, 'version', t.version,
    'categoryRates', coalesce((select json_object_agg(r.tax_category, ${PERCENT('r.rate_ppm')}) from tax_category_rates r where r.region_id = t.id), '{}'::json))`,
  columns: (b) => ({ name: b.name, country: b.country, region: b.region === undefined ? undefined : b.region?.toUpperCase() ?? null,
    rate_ppm: b.ratePercent === undefined ? undefined : ppmOf(b.ratePercent), shipping_taxed: b.shippingTaxed }),
  children: async (sql, id, b) => {
    if (!b.categoryRates) return;
    await sql.rows('delete from tax_category_rates where region_id = $1', [id]);
    await sql.rows(`insert into tax_category_rates (region_id, tax_category, rate_ppm) select $1::uuid, * from unnest($2::text[], $3::int[])`,
      [id, Object.keys(b.categoryRates), Object.values(b.categoryRates).map(ppmOf)]);
  },
});

export interface PromotionInput {
  code?: string | null; name: string; kind: 'percentage' | 'fixed' | 'free_shipping' | 'buy_x_get_y'; percent?: number | null;
  amounts?: Record<string, { amountOff?: number | null; minSubtotal?: number }>; productIds?: string[]; categoryIds?: string[];
  buyQuantity?: number | null; getQuantity?: number | null; startsAt?: string | null; endsAt?: string | null; usageLimit?: number | null;
  perCustomerLimit?: number | null; combinable?: boolean; priority?: number; active?: boolean;
}
export const promotions = resource<PromotionInput, WithVersion>({
  table: 'promotions', entity: 'promotion',
  view: `json_build_object('id', t.id, 'code', t.code, 'name', t.name, 'kind', t.kind, 'percent', ${PERCENT('t.percent_ppm')},
    'amounts', coalesce((select json_object_agg(a.currency, json_build_object('amountOff', a.amount_off, 'minSubtotal', a.min_subtotal))
                from promotion_amounts a where a.promotion_id = t.id), '{}'::json),
    'productIds', t.product_ids, 'categoryIds', t.category_ids, 'buyQuantity', t.buy_quantity, 'getQuantity', t.get_quantity,
    'startsAt', t.starts_at, 'endsAt', t.ends_at, 'usageLimit', t.usage_limit, 'used', t.used, 'perCustomerLimit', t.per_customer_limit,
    'combinable', t.combinable, 'priority', t.priority, 'active', t.active, 'version', t.version)`,
  columns: (b) => ({ code: b.code === undefined ? undefined : b.code?.toUpperCase() ?? null, name: b.name, kind: b.kind,
    percent_ppm: b.percent === undefined ? undefined : b.percent === null ? null : ppmOf(b.percent), product_ids: b.productIds, category_ids: b.categoryIds,
    buy_quantity: b.buyQuantity, get_quantity: b.getQuantity, starts_at: b.startsAt, ends_at: b.endsAt, usage_limit: b.usageLimit,
    per_customer_limit: b.perCustomerLimit, combinable: b.combinable, priority: b.priority, active: b.active }),
  children: async (sql, id, b) => {
    if (!b.amounts) return;
    await sql.rows('delete from promotion_amounts where promotion_id = $1', [id]);
    const entries = Object.entries(b.amounts);
    await sql.rows(`insert into promotion_amounts (promotion_id, currency, amount_off, min_subtotal) select $1::uuid, * from unnest($2::text[], $3::bigint[], $4::bigint[])`,
      [id, entries.map(([c]) => c), entries.map(([, a]) => a.amountOff ?? null), entries.map(([, a]) => a.minSubtotal ?? 0)]);
  },
});

/** Rows of n values as n arrays, for unnest. */
function columnsOf(rows: unknown[][], n: number): unknown[][] {
  return Array.from({ length: n }, (_, i) => rows.map((r) => r[i]));
}

export interface CurrencyMode { currency: string; pricesIncludeTax: boolean }

export async function currencyModes(em: EntityManager): Promise<CurrencyMode[]> {
  return sqlRows<CurrencyMode>(em, 'select currency, prices_include_tax as "pricesIncludeTax" from currency_tax_modes order by currency');
}

/** Whether the catalog's prices in a currency include tax; a currency never set is tax-exclusive. */
export async function setCurrencyMode(em: EntityManager, who: CatalogActor, mode: CurrencyMode): Promise<CurrencyMode> {
  return catalogTransaction(em, async (sql) => {
    const [before] = await sql.rows<{ prices_include_tax: boolean }>('select prices_include_tax from currency_tax_modes where currency = $1', [mode.currency]);
    await sql.rows(`insert into currency_tax_modes (currency, prices_include_tax) values ($1, $2)
      on conflict (currency) do update set prices_include_tax = excluded.prices_include_tax, updated_at = now()`, [mode.currency, mode.pricesIncludeTax]);
    await audit(sql, who, { action: 'currency.tax_mode_set', entity: 'currency', entityId: mode.currency,
      changes: { pricesIncludeTax: { from: before?.prices_include_tax ?? false, to: mode.pricesIncludeTax } } });
    return mode;
  });
}

export { notFoundIn };
