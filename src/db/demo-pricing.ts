/**
 * The demo store's pricing (npm run dev, npm run seed; docs/pricing.md): EUR prices include VAT
 * and USD prices do not; zones for the US, the UK and the EU's Germany and France, each with a
 * standard and an express method; tax regions with a reduced rate for books; two sample codes.
 * Written through the staff store, so the rules and the audit trail are the same as by hand.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { promotions, setCurrencyMode, shippingMethods, shippingZones, taxRegions } from '../store/pricing-admin';

const SEED = { actor: 'demo seed' };

export async function insertDemoPricing(em: EntityManager): Promise<void> {
  await setCurrencyMode(em, SEED, { currency: 'EUR', pricesIncludeTax: true });
  await setCurrencyMode(em, SEED, { currency: 'USD', pricesIncludeTax: false });
  type Rates = Record<string, number>;
  const zones: { name: string; countries: string[]; standard: Rates; express: Rates; freeAbove: Rates }[] = [
    { name: 'United States', countries: ['US'], standard: { USD: 695 }, express: { USD: 1995 }, freeAbove: { USD: 10_000 } },
    { name: 'United Kingdom', countries: ['GB'], standard: { USD: 1295, EUR: 1095 }, express: { USD: 2495, EUR: 2195 }, freeAbove: {} },
    { name: 'Germany and France', countries: ['DE', 'FR'], standard: { EUR: 495, USD: 595 }, express: { EUR: 1490, USD: 1690 }, freeAbove: { EUR: 7_500 } },
  ];
  for (const z of zones) {
    const zone = await shippingZones.create(em, SEED, { name: z.name, countries: z.countries });
    const flat = (rates: Record<string, number>) => Object.fromEntries(Object.entries(rates).map(([c, amount]) => [c, [{ from: 0, amount }]]));
    await shippingMethods.create(em, SEED, { zoneId: zone.id, name: 'Standard', carrier: 'Postal service', minDays: 3, maxDays: 5, basis: 'flat',
      rates: flat(z.standard), freeAbove: z.freeAbove });
    // Express by weight: heavier parcels (2 kg and up) cost half as much again.
    await shippingMethods.create(em, SEED, { zoneId: zone.id, name: 'Express', carrier: 'Courier', minDays: 1, maxDays: 2, basis: 'weight',
      rates: Object.fromEntries(Object.entries(z.express).map(([c, amount]) => [c, [{ from: 0, amount }, { from: 2000, amount: Math.round(amount * 1.5) }]])) });
  }
  await taxRegions.create(em, SEED, { name: 'Germany VAT', country: 'DE', ratePercent: 19, categoryRates: { books: 7 } });
  await taxRegions.create(em, SEED, { name: 'France VAT', country: 'FR', ratePercent: 20, categoryRates: { books: 5.5 } });
  await taxRegions.create(em, SEED, { name: 'UK VAT', country: 'GB', ratePercent: 20, categoryRates: { books: 0 } });
  await taxRegions.create(em, SEED, { name: 'New York sales tax', country: 'US', region: 'NY', ratePercent: 8.875, shippingTaxed: false });
  await taxRegions.create(em, SEED, { name: 'California sales tax', country: 'US', region: 'CA', ratePercent: 7.25, shippingTaxed: false });
  await promotions.create(em, SEED, { code: 'WELCOME10', name: '10 % off your first order', kind: 'percentage', percent: 10, perCustomerLimit: 1 });
  await promotions.create(em, SEED, { code: 'FREESHIP', name: 'Free shipping over 50', kind: 'free_shipping', usageLimit: 1000,
    amounts: { USD: { minSubtotal: 5_000 }, EUR: { minSubtotal: 5_000 } } });
}
