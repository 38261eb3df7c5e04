/**
 * The tax of a priced cart, behind one seam: a TaxProvider is asked for the tax of each item (every
 * line, and shipping) once the promotions have taken their share, and answers a rate and a tax in
 * minor units per item. The pricing module (src/domain/pricing.ts) does everything else: it checks
 * the answer, adds it up per rate and into the totals, so lines, shipping and taxes add up to the
 * cent whoever computed the tax.
 *
 * The default provider is the rules engine below: the store's own tax regions (a standard rate,
 * rates per tax category, whether shipping is taxed), rounded per item, half up in minor units. A
 * hosted tax service is another implementation of TaxProvider (an adapter that calls it and maps
 * its answer), chosen where the pricing context is read (src/store/cart-pricing.ts); checkout, the
 * cart view and refunds do not change.
 */
import type { ShippingAddress } from './order';
import { taxIncluded, taxOnTop } from './rounding';

/** The tax rules of one tax region, as the store keeps them (tax_regions): the rules engine's input. */
export interface TaxRules {
  /** The region's name, e.g. "Germany VAT", shown beside each rate. */
  name: string;
  /** The standard rate, parts per million. */
  rate: number;
  /** Rates for tax categories other than 'standard' (e.g. books: 70 000), parts per million. */
  categories: Readonly<Record<string, number>>;
  /** Whether shipping is taxed (at the 'shipping' category's rate, else the standard one). */
  shippingTaxed: boolean;
}

/** One thing to tax: a line (by SKU) or the shipping charge, at what is left of it after the discounts. */
export interface TaxableItem {
  kind: 'line' | 'shipping';
  /** The SKU of a line; the shipping method's id. */
  ref: string;
  /** 'shipping' for the shipping charge. */
  taxCategory: string;
  quantity: number;
  /** Minor units after discounts: the price including its tax (inclusive prices) or before it (exclusive). */
  amount: number;
}

export interface TaxRequest {
  currency: string;
  pricesIncludeTax: boolean;
  /** Null until the cart has an address (then nothing is taxed). */
  address: ShippingAddress | null;
  items: readonly TaxableItem[];
}

export interface TaxResult {
  /** Shown before each rate in the breakdown, e.g. "Germany VAT" in "Germany VAT 19%"; empty when nothing is taxed. */
  name: string;
  /** One per item of the request, in its order. */
  items: { rate: number; tax: number }[];
}

export interface TaxProvider {
  /** What the provider is, for logs and docs: "rules" for the rules engine. */
  readonly name: string;
  calculate(request: TaxRequest): Promise<TaxResult>;
}

/** The rules engine: the tax of each item under the region's rules, rounded per item, half up in minor units. */
export function taxByRules(rules: TaxRules | null, request: Omit<TaxRequest, 'address'>): TaxResult {
  const rateOf = (item: TaxableItem) => {
    if (!rules) return 0;
    if (item.kind === 'shipping') return rules.shippingTaxed ? rules.categories.shipping ?? rules.rate : 0;
    return rules.categories[item.taxCategory] ?? rules.rate;
  };
  return {
    name: rules?.name ?? '',
    items: request.items.map((item) => {
      const rate = rateOf(item);
      return { rate, tax: request.pricesIncludeTax ? taxIncluded(item.amount, rate) : taxOnTop(item.amount, rate) };
    }),
  };
}

/** The rules engine as a TaxProvider, over the rules of the request's address (read with the cart, src/store/cart-pricing.ts). */
export function rulesTaxProvider(rules: TaxRules | null): TaxProvider {
  return { name: 'rules', calculate: async (request) => taxByRules(rules, request) };
}

/**
 * Refuses an answer the breakdown could not keep its promises with: one entry per item, whole
 * non-negative minor units and rates, no tax at a zero rate, and an included tax no larger than the
 * amount it is a part of.
 */
export function checkTaxResult(request: Omit<TaxRequest, 'address'>, result: TaxResult): TaxResult {
  if (result.items.length !== request.items.length) {
    throw new Error(`The tax provider answered ${result.items.length} items for ${request.items.length}.`);
  }
  result.items.forEach(({ rate, tax }, i) => {
    const item = request.items[i];
    if (!Number.isSafeInteger(tax) || tax < 0 || !Number.isSafeInteger(rate) || rate < 0) {
      throw new Error(`The tax provider answered ${tax} at ${rate} ppm for ${item.kind} ${item.ref}: taxes and rates are whole, non-negative numbers.`);
    }
    if (rate === 0 && tax !== 0) throw new Error(`The tax provider answered ${tax} of tax at a zero rate for ${item.kind} ${item.ref}.`);
    if (request.pricesIncludeTax && tax > item.amount) {
      throw new Error(`The tax provider answered ${tax} of tax included in ${item.amount} for ${item.kind} ${item.ref}.`);
    }
  });
  return result;
}
