/**
 * Staff routes for what orders cost (docs/pricing.md): shipping zones and methods with their rates,
 * tax regions with their category rates, each currency's tax mode, promotions. The catalog role
 * (admins too); reads answer the version as an ETag, changes need it in If-Match and are audited,
 * as in the catalog's routes.
 */
import { z } from 'zod';
import { PROMOTION_KINDS } from '../../domain/promotions';
import { SHIPPING_BASES } from '../../domain/shipping';
import { currencyModes, promotions, setCurrencyMode, shippingMethods, shippingZones, taxRegions } from '../../store/pricing-admin';
import { emOf } from '../context';
import { route, type AnyRoute } from '../http';
import { currency } from '../schemas';
import { CATALOG_STAFF, catalogActor } from './admin-catalog-schemas';
import { crud } from './admin-catalog-taxonomy';

const STAFF = { ...CATALOG_STAFF, tag: 'pricing admin' };
const name = z.string().trim().min(1).max(200);
const country = z.string().regex(/^[A-Z]{2}$/, 'an upper-case ISO 3166 alpha-2 code such as DE');
const region = z.string().trim().min(1).max(100).transform((r) => r.toUpperCase());
const amount = z.number().int().min(0).max(1e12).meta({ description: 'Minor units.' });
const percent = z.number().min(0).max(100).multipleOf(0.0001).meta({ description: 'Percent, e.g. 19 or 8.875.' });
const taxCategory = z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, 'lower-case letters, digits and _, such as books');
const version = z.number().int();
const byCurrency = <T extends z.ZodType>(t: T) => z.record(currency, t);

const zoneInput = z.strictObject({ name, countries: z.array(country).min(1).max(250),
  regions: z.array(region).max(500).optional().meta({ description: 'Narrows the zone to these regions (states, provinces) of its countries.' }),
  postalPrefixes: z.array(z.string().trim().min(1).max(20)).max(1000).optional().meta({ description: 'Narrows the zone to postal codes starting so.' }) });
const zoneView = zoneInput.extend({ id: z.uuid(), regions: z.array(z.string()), postalPrefixes: z.array(z.string()), version }).meta({ id: 'ShippingZone' });

const bands = z.array(z.strictObject({ from: amount.meta({ description: 'Grams (weight), minor units (subtotal) or 0 (flat): the band applies from here.' }), amount }))
  .min(1).max(50);
const methodInput = z.strictObject({ zoneId: z.uuid(), name, carrier: z.string().max(100).optional(),
  minDays: z.number().int().min(0).max(365).nullable().optional(), maxDays: z.number().int().min(0).max(365).nullable().optional(),
  basis: z.enum(SHIPPING_BASES).meta({ description: 'flat, or bands by the cart\'s weight or subtotal.' }), active: z.boolean().optional(),
  position: z.number().int().min(0).max(100_000).optional(), rates: byCurrency(bands).meta({ description: 'Bands per currency; a currency without any cannot ship.' }),
  freeAbove: byCurrency(amount).optional().meta({ description: 'Free at or above this subtotal (before discounts), per currency.' }) });
const methodView = methodInput.extend({ id: z.uuid(), carrier: z.string(), active: z.boolean(), position: z.number().int(), version,
  freeAbove: byCurrency(amount) }).meta({ id: 'ShippingMethod' });

const taxRegionInput = z.strictObject({ name, country, region: region.nullable().optional().meta({ description: 'Left out: the whole country.' }),
  ratePercent: percent, shippingTaxed: z.boolean().optional(),
  categoryRates: z.record(taxCategory, percent).optional().meta({ description: 'Rates of tax categories other than standard, e.g. { "books": 7 }; "shipping" for shipping.' }) });
const taxRegionView = taxRegionInput.extend({ id: z.uuid(), region: z.string().nullable(), shippingTaxed: z.boolean(), categoryRates: z.record(z.string(), z.number()),
  version }).meta({ id: 'TaxRegion' });

const promotionInput = z.strictObject({
  code: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{1,39}$/).nullable().optional().meta({ description: 'Null or left out: automatic.' }),
  name, kind: z.enum(PROMOTION_KINDS),
  percent: percent.nullable().optional().meta({ description: 'percentage: off; buy_x_get_y: off the "get" items (100: free).' }),
  amounts: byCurrency(z.strictObject({ amountOff: amount.nullable().optional(), minSubtotal: amount.optional() })).optional()
    .meta({ description: 'Per currency: the amount off (fixed) and the minimum subtotal.' }),
  productIds: z.array(z.uuid()).max(1000).optional(), categoryIds: z.array(z.uuid()).max(1000).optional(),
  buyQuantity: z.number().int().min(1).max(999).nullable().optional(), getQuantity: z.number().int().min(1).max(999).nullable().optional(),
  startsAt: z.iso.datetime({ offset: true }).nullable().optional(), endsAt: z.iso.datetime({ offset: true }).nullable().optional(),
  usageLimit: z.number().int().min(0).max(1e9).nullable().optional(), perCustomerLimit: z.number().int().min(1).max(1e6).nullable().optional(),
  combinable: z.boolean().optional(), priority: z.number().int().min(0).max(1000).optional(), active: z.boolean().optional(),
});
const promotionView = promotionInput.extend({ id: z.uuid(), used: z.number().int().meta({ description: 'Uses counted by orders that kept them.' }),
  version, code: z.string().nullable(), amounts: z.record(z.string(), z.object({ amountOff: z.number().nullable(), minSubtotal: z.number() })) })
  .meta({ id: 'Promotion' });

export function adminPricingRoutes(): AnyRoute[] {
  const currencyMode = z.object({ currency, pricesIncludeTax: z.boolean() }).meta({ id: 'CurrencyTaxMode' });
  return [
    ...crud(STAFF, { path: '/admin/pricing/shipping-zones', table: 'shipping_zones', what: 'shipping zone', view: zoneView, input: zoneInput, ...shippingZones }),
    ...crud(STAFF, { path: '/admin/pricing/shipping-methods', table: 'shipping_methods', what: 'shipping method', view: methodView, input: methodInput, ...shippingMethods }),
    ...crud(STAFF, { path: '/admin/pricing/tax-regions', table: 'tax_regions', what: 'tax region', view: taxRegionView, input: taxRegionInput, ...taxRegions }),
    ...crud(STAFF, { path: '/admin/pricing/promotions', table: 'promotions', what: 'promotion', view: promotionView, input: promotionInput, ...promotions }),
    route({ ...STAFF, method: 'get', path: '/admin/pricing/currencies', summary: 'Whether each currency\'s prices include tax (one never set does not)',
      responses: { 200: { description: 'The currencies set', schema: z.object({ items: z.array(currencyMode) }) } },
      handler: async (ctx) => {
        ctx.body = { items: await currencyModes(emOf(ctx)) };
      } }),
    route({ ...STAFF, method: 'put', path: '/admin/pricing/currencies/:currency', summary: 'Set whether the catalog\'s prices in a currency include tax',
      params: z.strictObject({ currency }), body: z.strictObject({ pricesIncludeTax: z.boolean() }),
      responses: { 200: { description: 'The currency\'s mode', schema: currencyMode } },
      handler: async (ctx, { params, body }) => {
        ctx.body = await setCurrencyMode(emOf(ctx), catalogActor(ctx), { currency: params.currency, pricesIncludeTax: body.pricesIncludeTax });
      } }),
  ];
}
