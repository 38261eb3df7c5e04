/**
 * What the pricing module (src/domain/pricing.ts) needs to price a cart, read in the same statement
 * as the cart itself (src/store/carts.ts joins PRICING_CONTEXT laterally), so a cart write stays
 * the round trips it was: the currency's tax mode, the tax rules of the cart's address, its chosen
 * shipping method with its rates in the cart's currency, and the promotions that may apply (the
 * automatic ones and the cart's codes, with the categories they name expanded to their descendants).
 */
import type { Breakdown, PricingLine, ShippingCharge, TaxRules } from '../domain/pricing';
import { priceCartWith } from '../domain/pricing';
import type { ShippingAddress } from '../domain/order';
import { rulesTaxProvider, type TaxProvider } from '../domain/tax';
import type { Promotion, PromotionKind } from '../domain/promotions';
import { shippingCharge, type ShippingBasis } from '../domain/shipping';
import { formatMoney } from '../domain/money';
import { describeRate } from '../domain/rounding';

/** One JSON object per cart (`pricing` column): see contextSql. */
export interface PricingContext {
  includeTax: boolean;
  tax: TaxRules | null;
  method: ChosenMethod | null;
  /** Whether the store ships at a charge at all (any active method): then checkout needs one chosen. */
  ships: boolean;
  promotions: PromotionRow[];
}

export interface ChosenMethod {
  id: string; name: string; carrier: string; minDays: number | null; maxDays: number | null; basis: ShippingBasis;
  /** Active and its zone serves the cart's address. */
  serves: boolean;
  bands: { from: number; amount: number }[];
  freeAbove: number | null;
}

export interface PromotionRow {
  id: string; code: string | null; name: string; kind: PromotionKind; percent: number | null; amount: number | null; minSubtotal: number;
  productIds: string[]; categoryIds: string[]; buyQuantity: number | null; getQuantity: number | null; startsAt: string | null; endsAt: string | null;
  combinable: boolean; priority: number; active: boolean; usageLimit: number | null; used: number; perCustomerLimit: number | null; inCart: boolean;
}

const promotionJson = (p: string, amounts: string) => `json_build_object('id', ${p}.id, 'code', ${p}.code, 'name', ${p}.name, 'kind', ${p}.kind,
  'percent', ${p}.percent_ppm, 'amount', ${amounts}.amount_off, 'minSubtotal', coalesce(${amounts}.min_subtotal, 0), 'productIds', ${p}.product_ids,
  'categoryIds', (with recursive d(id) as (select unnest(${p}.category_ids) union select k.id from categories k join d on k.parent_id = d.id)
                  select coalesce(array_agg(id), '{}') from d),
  'buyQuantity', ${p}.buy_quantity, 'getQuantity', ${p}.get_quantity, 'startsAt', ${p}.starts_at, 'endsAt', ${p}.ends_at, 'combinable', ${p}.combinable,
  'priority', ${p}.priority, 'active', ${p}.active, 'usageLimit', ${p}.usage_limit, 'used', ${p}.used, 'perCustomerLimit', ${p}.per_customer_limit`;

/** The promotion with this id, as the pricing context holds it, in `currency` (a SQL expression). */
export const promotionByIdSql = (currency: string) => `
  select ${promotionJson('p', 'a')}, 'inCart', true) as promotion
    from promotions p left join promotion_amounts a on a.promotion_id = p.id and a.currency = ${currency}`;

/**
 * The pricing context of the cart row `c` (its currency, shipping_address, shipping_method_id and
 * id), one JSON object; meant for `left join lateral (…) px on true`.
 */
export const PRICING_CONTEXT = `
  select json_build_object(
    'includeTax', coalesce((select prices_include_tax from currency_tax_modes where currency = c.currency), false),
    'tax', (select json_build_object('name', t.name, 'rate', t.rate_ppm, 'shippingTaxed', t.shipping_taxed,
              'categories', coalesce((select json_object_agg(r.tax_category, r.rate_ppm) from tax_category_rates r where r.region_id = t.id), '{}'::json))
              from tax_regions t
             where t.country = c.shipping_address ->> 'country' and (t.region is null or t.region = upper(c.shipping_address ->> 'region'))
             order by t.region nulls last limit 1),
    'method', (select json_build_object('id', m.id, 'name', m.name, 'carrier', m.carrier, 'minDays', m.min_days, 'maxDays', m.max_days, 'basis', m.basis,
                 'serves', m.active and shipping_zone_serves(z.countries, z.regions, z.postal_prefixes, c.shipping_address),
                 'bands', coalesce((select json_agg(json_build_object('from', r.from_value, 'amount', r.amount)) from shipping_rates r
                                     where r.method_id = m.id and r.currency = c.currency), '[]'::json),
                 'freeAbove', (select f.subtotal from shipping_free_thresholds f where f.method_id = m.id and f.currency = c.currency))
                 from shipping_methods m join shipping_zones z on z.id = m.zone_id where m.id = c.shipping_method_id),
    'ships', exists (select 1 from shipping_methods where active),
    'promotions', (select coalesce(json_agg(${promotionJson('p', 'a')}, 'inCart', cp.cart_id is not null) order by p.id), '[]'::json)
                     from promotions p
                     left join promotion_amounts a on a.promotion_id = p.id and a.currency = c.currency
                     left join cart_promotions cp on cp.cart_id = c.id and cp.promotion_id = p.id
                    where cp.cart_id is not null or (p.code is null and p.active and (p.ends_at is null or p.ends_at > now())))
  ) as pricing`;

/** A cart line as the pricing module takes it, with its weight for weight-based shipping. */
export type PricedCartLine = PricingLine & { weightGrams: number };

/** The promotion as the pricing module takes it; a deactivated one has ended. */
export function promotionOf(row: PromotionRow): Promotion {
  return {
    id: row.id, code: row.code, name: row.name, kind: row.kind, percent: row.percent ?? undefined, amount: row.amount ?? undefined,
    productIds: row.productIds, categoryIds: row.categoryIds, buyQuantity: row.buyQuantity ?? undefined, getQuantity: row.getQuantity ?? undefined,
    minSubtotal: row.minSubtotal, startsAt: row.startsAt ? new Date(row.startsAt) : null,
    endsAt: row.active ? (row.endsAt ? new Date(row.endsAt) : null) : new Date(0), combinable: row.combinable, priority: row.priority,
  };
}

/** The chosen method's charge for these lines, or null when none is chosen or it cannot ship them (then the cart says so). */
export function shippingOf(method: ChosenMethod | null, lines: readonly PricedCartLine[]): ShippingCharge | null {
  if (!method || !method.serves) return null;
  const amount = shippingCharge(method, { subtotal: lines.reduce((n, l) => n + l.unitPrice * l.quantity, 0),
    weightGrams: lines.reduce((n, l) => n + l.weightGrams * l.quantity, 0) });
  return amount === undefined ? null : { methodId: method.id, name: method.name, amount };
}

/**
 * Who computes the tax of a cart: the rules engine over the tax region of its address, read in the
 * cart's own statement (PRICING_CONTEXT). This is the one place a hosted tax service would be
 * chosen instead (an adapter implementing TaxProvider, src/domain/tax.ts): the cart view and
 * checkout both price through priceWithContext below.
 */
export function taxProviderOf(ctx: PricingContext): TaxProvider {
  return rulesTaxProvider(ctx.tax);
}

/** The cart (or the order being placed) priced in full: its lines, the context's promotions and method, and the tax of its address. */
export async function priceWithContext(currency: string, lines: readonly PricedCartLine[], ctx: PricingContext, address: ShippingAddress | null,
  at = new Date()): Promise<Breakdown> {
  return priceCartWith({ currency, pricesIncludeTax: ctx.includeTax, lines, promotions: ctx.promotions.map(promotionOf),
    shipping: shippingOf(ctx.method, lines), at }, address, taxProviderOf(ctx));
}

const money = (amount: number, currency: string) => ({ amount, currency, formatted: formatMoney({ amount, currency }) });

/** The breakdown as the API shows it (the cart's `pricing`, the order's): every amount as Money. */
export function breakdownView(b: Breakdown) {
  const m = (amount: number) => money(amount, b.currency);
  return {
    pricesIncludeTax: b.pricesIncludeTax,
    lines: b.lines.map((l) => ({ sku: l.sku, quantity: l.quantity, subtotal: m(l.subtotal), discount: m(l.discount), taxRate: describeRate(l.taxRate),
      tax: m(l.tax), total: m(l.total) })),
    subtotal: m(b.subtotal),
    discounts: b.discounts.map((d) => ({ promotionId: d.promotionId, code: d.code, name: d.name, kind: d.kind, amount: m(d.amount),
      lines: d.lines.map((l) => ({ sku: l.sku, amount: m(l.amount) })), shipping: m(d.shipping) })),
    discountTotal: m(b.discountTotal),
    shipping: b.shipping && { methodId: b.shipping.methodId, name: b.shipping.name, amount: m(b.shipping.amount), discount: m(b.shipping.discount),
      taxRate: describeRate(b.shipping.taxRate), tax: m(b.shipping.tax), total: m(b.shipping.total) },
    taxes: b.taxes.map((t) => ({ name: t.name, rate: describeRate(t.rate), amount: m(t.amount) })),
    taxTotal: m(b.taxTotal),
    total: m(b.total),
  };
}
