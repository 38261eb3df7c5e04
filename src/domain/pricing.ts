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
 *
 * Pricing is two steps around the tax seam (src/domain/tax.ts): discountCart applies the
 * promotions and asks for the tax of what is left of each line and of shipping; completePrice adds
 * the provider's answer up. priceCart does both with the rules engine; priceCartWith with any
 * TaxProvider (a hosted tax service).
 */
import type { ShippingAddress } from './order';
import { choosePromotions, discountOf, type DiscountableLine, type NotApplied, type Promotion, type PromotionKind } from './promotions';
import { describeRate } from './rounding';
import { checkTaxResult, taxByRules, type TaxProvider, type TaxRequest, type TaxResult, type TaxRules } from './tax';

export type { TaxRules } from './tax';

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

/** The prices before tax: what the promotions left of each line and of shipping, and the tax request for them. */
export interface Discounted {
  input: Omit<PricingInput, 'tax'>;
  subtotal: number;
  discounts: DiscountBreakdown[];
  notApplied: NotApplied[];
  /** What is left of each line after the discounts, in the lines' order. */
  nets: number[];
  /** What is left of the shipping charge (0 without one). */
  shippingNet: number;
  /** The lines, then shipping (when charged): what the tax provider is asked about. */
  request: Omit<TaxRequest, 'address'>;
}

/** The promotions applied, in their documented order (src/domain/promotions.ts). */
export function discountCart(input: Omit<PricingInput, 'tax'>): Discounted {
  const lines: DiscountableLine[] = input.lines.map((l) => ({ productId: l.productId, categoryIds: l.categoryIds, quantity: l.quantity,
    unitPrice: l.unitPrice, remaining: l.unitPrice * l.quantity }));
  const subtotal = lines.reduce((n, l) => n + l.remaining, 0);
  const { apply, notApplied } = choosePromotions(input.promotions, lines, subtotal, input.at);
  let shippingNet = input.shipping?.amount ?? 0;
  const discounts: DiscountBreakdown[] = [];
  for (const promotion of apply) {
    const applied = discountOf(promotion, lines, shippingNet);
    applied.lineAmounts.forEach((amount, i) => { lines[i].remaining -= amount; });
    shippingNet -= applied.shipping;
    const amounts = applied.lineAmounts.map((amount, i) => ({ sku: input.lines[i].sku, amount })).filter((l) => l.amount > 0);
    discounts.push({ promotionId: promotion.id, code: promotion.code, name: promotion.name, kind: promotion.kind,
      amount: amounts.reduce((n, l) => n + l.amount, 0) + applied.shipping, lines: amounts, shipping: applied.shipping });
  }
  const nets = lines.map((l) => l.remaining);
  const request = {
    currency: input.currency, pricesIncludeTax: input.pricesIncludeTax,
    items: [
      ...input.lines.map((l, i) => ({ kind: 'line' as const, ref: l.sku, taxCategory: l.taxCategory, quantity: l.quantity, amount: nets[i] })),
      ...(input.shipping ? [{ kind: 'shipping' as const, ref: input.shipping.methodId, taxCategory: 'shipping', quantity: 1, amount: shippingNet }] : []),
    ],
  };
  return { input, subtotal, discounts, notApplied, nets, shippingNet, request };
}

/** The whole breakdown, from the discounted prices and the tax provider's answer about them (checked first). */
export function completePrice(d: Discounted, taxResult: TaxResult): Breakdown {
  const { input } = d;
  const taxed = checkTaxResult(d.request, taxResult).items;
  const withTax = (net: number, tax: number) => (input.pricesIncludeTax ? net : net + tax);
  const lineBreakdowns = input.lines.map((l, i): LineBreakdown => {
    const net = d.nets[i];
    const { rate: taxRate, tax } = taxed[i];
    return { sku: l.sku, quantity: l.quantity, unitPrice: l.unitPrice, subtotal: l.unitPrice * l.quantity, discount: l.unitPrice * l.quantity - net,
      taxRate, tax, total: withTax(net, tax) };
  });
  let shipping: ShippingBreakdown | null = null;
  if (input.shipping) {
    const { rate: taxRate, tax } = taxed[input.lines.length];
    shipping = { ...input.shipping, discount: input.shipping.amount - d.shippingNet, taxRate, tax, total: withTax(d.shippingNet, tax) };
  }
  const taxes = taxLines(taxResult.name, [...lineBreakdowns, ...(shipping ? [shipping] : [])]);
  return {
    currency: input.currency, pricesIncludeTax: input.pricesIncludeTax, lines: lineBreakdowns, subtotal: d.subtotal, discounts: d.discounts,
    discountTotal: d.discounts.reduce((n, x) => n + x.amount, 0), shipping, taxes,
    taxTotal: taxes.reduce((n, t) => n + t.amount, 0),
    total: lineBreakdowns.reduce((n, l) => n + l.total, 0) + (shipping?.total ?? 0),
    notApplied: d.notApplied,
  };
}

/** The cart priced with the rules engine (the default TaxProvider's arithmetic, without I/O). */
export function priceCart(input: PricingInput): Breakdown {
  const discounted = discountCart(input);
  return completePrice(discounted, taxByRules(input.tax, discounted.request));
}

/** The cart priced with the tax of any TaxProvider for its address (null: no address yet). */
export async function priceCartWith(input: Omit<PricingInput, 'tax'>, address: ShippingAddress | null, taxes: TaxProvider): Promise<Breakdown> {
  const discounted = discountCart(input);
  return completePrice(discounted, await taxes.calculate({ ...discounted.request, address }));
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
