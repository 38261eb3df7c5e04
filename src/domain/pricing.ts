/**
 * What a cart or an order costs, from plain inputs (no I/O): the lines at their unit prices, the
 * promotions that may apply, the chosen shipping charge and the tax rules of the address. The cart
 * view, checkout, the confirmation e-mail and refunds all price through here (docs/pricing.md).
 *
 * Rounding (src/domain/rounding.ts) happens per line, half up in minor units: each line's discount
 * and tax are whole cents, and every total is a sum of them, so lines, shipping and taxes add up to
 * the total to the cent. Prices are tax-inclusive (VAT style: the tax is a part of the price) or
 * tax-exclusive (US style: the tax is added on top), per currency.
 *
 * Per line: subtotal = unit price × quantity; discount = what the promotions take off it; net =
 * subtotal − discount; tax = net × rate (exclusive) or the part of net that is tax (inclusive);
 * total = net + tax (exclusive) or net (inclusive). Shipping the same way, and the order's total is
 * the lines' totals plus shipping's.
 */
import { choosePromotions, discountOf, type DiscountableLine, type NotApplied, type Promotion, type PromotionKind } from './promotions';
import { describeRate, taxIncluded, taxOnTop } from './rounding';

export interface PricingLine {
  sku: string;
  quantity: number;
  /** Minor units, in the cart's currency, as the catalog prices it (inclusive or exclusive of tax per the currency). */
  unitPrice: number;
  productId: string;
  /** The product's categories (the promotions' categories are matched against these, descendants included by the caller). */
  categoryIds: readonly string[];
  /** The product's tax category ('standard' unless it is taxed otherwise, e.g. 'books'). */
  taxCategory: string;
}

/** The tax rules of one tax region, as a TaxProvider answers them for an address. */
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

export interface ShippingCharge { methodId: string; name: string; amount: number }

export interface PricingInput {
  currency: string;
  pricesIncludeTax: boolean;
  lines: readonly PricingLine[];
  /** Automatic promotions and the cart's codes; those whose conditions the cart does not meet are reported, not applied. */
  promotions: readonly Promotion[];
  shipping: ShippingCharge | null;
  /** Null: the address is in no tax region, or the cart has no address yet. */
  tax: TaxRules | null;
  at: Date;
}

export interface LineBreakdown {
  sku: string; quantity: number; unitPrice: number; subtotal: number; discount: number; taxRate: number; tax: number; total: number;
}
export interface DiscountBreakdown {
  promotionId: string; code: string | null; name: string; kind: PromotionKind;
  /** All it takes off: its lines' amounts plus shipping's. */
  amount: number;
  lines: { sku: string; amount: number }[];
  shipping: number;
}
export interface ShippingBreakdown { methodId: string; name: string; amount: number; discount: number; taxRate: number; tax: number; total: number }
export interface TaxLine { name: string; rate: number; amount: number }

export interface Breakdown {
  currency: string;
  pricesIncludeTax: boolean;
  lines: LineBreakdown[];
  subtotal: number;
  discounts: DiscountBreakdown[];
  discountTotal: number;
  shipping: ShippingBreakdown | null;
  /** One entry per rate; included in the prices (inclusive) or added to them (exclusive). */
  taxes: TaxLine[];
  taxTotal: number;
  total: number;
  notApplied: NotApplied[];
}

export function priceCart(input: PricingInput): Breakdown {
  const lines: DiscountableLine[] = input.lines.map((l) => ({ productId: l.productId, categoryIds: l.categoryIds, quantity: l.quantity,
    unitPrice: l.unitPrice, remaining: l.unitPrice * l.quantity }));
  const subtotal = lines.reduce((n, l) => n + l.remaining, 0);
  const { apply, notApplied } = choosePromotions(input.promotions, lines, subtotal, input.at);
  let shippingLeft = input.shipping?.amount ?? 0;
  const discounts: DiscountBreakdown[] = [];
  for (const promotion of apply) {
    const applied = discountOf(promotion, lines, shippingLeft);
    applied.lineAmounts.forEach((amount, i) => { lines[i].remaining -= amount; });
    shippingLeft -= applied.shipping;
    const amounts = applied.lineAmounts.map((amount, i) => ({ sku: input.lines[i].sku, amount })).filter((l) => l.amount > 0);
    discounts.push({ promotionId: promotion.id, code: promotion.code, name: promotion.name, kind: promotion.kind,
      amount: amounts.reduce((n, l) => n + l.amount, 0) + applied.shipping, lines: amounts, shipping: applied.shipping });
  }
  const taxOf = (net: number, rate: number) => (input.pricesIncludeTax ? taxIncluded(net, rate) : taxOnTop(net, rate));
  const withTax = (net: number, tax: number) => (input.pricesIncludeTax ? net : net + tax);
  const lineBreakdowns = input.lines.map((l, i): LineBreakdown => {
    const net = lines[i].remaining;
    const taxRate = input.tax ? input.tax.categories[l.taxCategory] ?? input.tax.rate : 0;
    const tax = taxOf(net, taxRate);
    return { sku: l.sku, quantity: l.quantity, unitPrice: l.unitPrice, subtotal: l.unitPrice * l.quantity, discount: l.unitPrice * l.quantity - net,
      taxRate, tax, total: withTax(net, tax) };
  });
  let shipping: ShippingBreakdown | null = null;
  if (input.shipping) {
    const taxRate = input.tax?.shippingTaxed ? input.tax.categories.shipping ?? input.tax.rate : 0;
    const tax = taxOf(shippingLeft, taxRate);
    shipping = { ...input.shipping, discount: input.shipping.amount - shippingLeft, taxRate, tax, total: withTax(shippingLeft, tax) };
  }
  const taxes = taxLines(input.tax?.name ?? '', [...lineBreakdowns, ...(shipping ? [shipping] : [])]);
  const discountTotal = discounts.reduce((n, d) => n + d.amount, 0);
  return {
    currency: input.currency, pricesIncludeTax: input.pricesIncludeTax, lines: lineBreakdowns, subtotal, discounts, discountTotal, shipping, taxes,
    taxTotal: taxes.reduce((n, t) => n + t.amount, 0),
    total: lineBreakdowns.reduce((n, l) => n + l.total, 0) + (shipping?.total ?? 0),
    notApplied,
  };
}

/** The tax of the lines and shipping, one entry per rate, highest rate first; zero-rated items make no entry. */
function taxLines(name: string, items: { taxRate: number; tax: number }[]): TaxLine[] {
  const byRate = new Map<number, number>();
  for (const item of items) if (item.taxRate > 0) byRate.set(item.taxRate, (byRate.get(item.taxRate) ?? 0) + item.tax);
  return [...byRate.entries()].sort(([a], [b]) => b - a).map(([rate, amount]) => ({ name: `${name} ${describeRate(rate)}`.trim(), rate, amount }));
}

/** The breakdown priced without promotions, shipping or tax: what an order placed before pricing existed cost. */
export function linesOnly(currency: string, lines: readonly Omit<PricingLine, 'productId' | 'categoryIds' | 'taxCategory'>[]): Breakdown {
  return priceCart({ currency, pricesIncludeTax: false, promotions: [], shipping: null, tax: null, at: new Date(0),
    lines: lines.map((l) => ({ ...l, productId: '', categoryIds: [], taxCategory: 'standard' })) });
}
