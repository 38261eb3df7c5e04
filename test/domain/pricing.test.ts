import fc from 'fast-check';
import { priceCart, priceCartWith, type Breakdown, type PricingInput, type PricingLine, type TaxRules } from '../../src/domain/pricing';
import { rulesTaxProvider, type TaxProvider, type TaxRequest } from '../../src/domain/tax';
import type { Promotion } from '../../src/domain/promotions';
import { refundLines } from '../../src/domain/line-refunds';
import { divideHalfUp, splitInProportion, taxIncluded, taxOnTop } from '../../src/domain/rounding';

const AT = new Date('2026-12-07T12:00:00Z');
const line = (sku: string, unitPrice: number, quantity = 1, extra: Partial<PricingLine> = {}): PricingLine =>
  ({ sku, unitPrice, quantity, productId: `p-${sku}`, categoryIds: [], taxCategory: 'standard', ...extra });
const promo = (p: Partial<Promotion> & Pick<Promotion, 'kind'>): Promotion =>
  ({ id: p.code ?? `auto-${p.kind}`, code: null, name: p.kind, productIds: [], categoryIds: [], minSubtotal: 0, startsAt: null, endsAt: null,
    combinable: true, priority: 0, ...p });
const VAT: TaxRules = { name: 'VAT', rate: 190_000, categories: { books: 70_000, food: 0 }, shippingTaxed: true };
const price = (p: Partial<PricingInput>): Breakdown =>
  priceCart({ currency: 'EUR', pricesIncludeTax: false, lines: [], promotions: [], shipping: null, tax: null, at: AT, ...p });

/** Everything the breakdown promises: it adds up to the cent, nothing is negative, each part is the sum of its pieces. */
function expectConsistent(b: Breakdown): void {
  const sum = (xs: number[]) => xs.reduce((a, x) => a + x, 0);
  expect(b.subtotal).toBe(sum(b.lines.map((l) => l.subtotal)));
  expect(b.total).toBe(sum(b.lines.map((l) => l.total)) + (b.shipping?.total ?? 0));
  const shippingNet = b.shipping ? b.shipping.amount - b.shipping.discount : 0;
  expect(b.total).toBe(b.subtotal - b.discountTotal + (b.shipping?.amount ?? 0) + (b.pricesIncludeTax ? 0 : b.taxTotal));
  expect(b.discountTotal).toBe(sum(b.lines.map((l) => l.discount)) + (b.shipping?.discount ?? 0));
  expect(b.discountTotal).toBe(sum(b.discounts.map((d) => d.amount)));
  for (const d of b.discounts) expect(d.amount).toBe(sum(d.lines.map((l) => l.amount)) + d.shipping);
  expect(b.taxTotal).toBe(sum(b.lines.map((l) => l.tax)) + (b.shipping?.tax ?? 0));
  for (const x of [b.total, b.subtotal, b.discountTotal, b.taxTotal, shippingNet, ...b.lines.flatMap((l) => [l.discount, l.tax, l.total, l.subtotal - l.discount])]) {
    expect(Number.isSafeInteger(x)).toBe(true);
    expect(x).toBeGreaterThanOrEqual(0);
  }
  if (b.pricesIncludeTax) for (const l of b.lines) expect(l.tax).toBeLessThanOrEqual(l.subtotal - l.discount);
}

describe('rounding', () => {
  it('rounds half up in minor units, on exact integers however large', () => {
    expect(divideHalfUp(5n, 10n)).toBe(1);
    expect(divideHalfUp(4n, 10n)).toBe(0);
    expect(taxOnTop(333, 190_000)).toBe(63); // 63.27
    expect(taxOnTop(50, 10_000)).toBe(1); // 0.5 → 1
    expect(taxIncluded(119, 190_000)).toBe(19);
    expect(taxOnTop(9_000_000_000_000, 88_750)).toBe(798_750_000_000);
  });

  it('splits an amount in proportion so the pieces add up to exactly the amount', () => {
    expect(splitInProportion(100, [1, 1, 1])).toEqual([34, 33, 33]);
    fc.assert(fc.property(fc.nat(1_000_000), fc.array(fc.nat(100_000), { minLength: 1, maxLength: 20 }), (total, weights) => {
      const pieces = splitInProportion(total, weights);
      const sum = weights.reduce((a, b) => a + b, 0);
      expect(pieces.reduce((a, b) => a + b, 0)).toBe(sum === 0 ? 0 : total);
      pieces.forEach((p, i) => expect(p === 0 || weights[i] > 0).toBe(true));
    }));
  });
});

describe('pricing a cart: examples', () => {
  it('three items of 0.333 each: the tax is rounded per line, and the lines add up to the total', () => {
    // Three lines of 33.3 cents cannot exist: prices are whole cents. The edge is 1/3 of a cent of tax on each.
    const b = price({ lines: [line('A', 333), line('B', 333), line('C', 333)], tax: { ...VAT, rate: 1_000 } });
    expect(b.lines.map((l) => l.tax)).toEqual([0, 0, 0]); // 0.333 cent each, rounded per line
    expect(b.total).toBe(999);
    const fixed = price({ lines: [line('A', 100), line('B', 100), line('C', 100)], promotions: [promo({ kind: 'fixed', amount: 100 })] });
    expect(fixed.lines.map((l) => l.discount)).toEqual([34, 33, 33]); // a third of a euro off each, to the cent in all
    expect(fixed.total).toBe(200);
    expectConsistent(fixed);
  });

  it('a 100 % discount leaves the order at its shipping, taxes on nothing', () => {
    const b = price({ lines: [line('A', 1999, 2), line('B', 500)], promotions: [promo({ kind: 'percentage', percent: 1_000_000 })],
      shipping: { methodId: 'm', name: 'Standard', amount: 495 }, tax: VAT, pricesIncludeTax: true });
    expect(b.lines.map((l) => [l.discount, l.tax, l.total])).toEqual([[3998, 0, 0], [500, 0, 0]]);
    expect(b.shipping).toMatchObject({ amount: 495, tax: 79, total: 495 });
    expect(b.total).toBe(495);
    expectConsistent(b);
  });

  it('zero-rated lines pay no tax and make no tax entry; reduced rates get their own entry', () => {
    const b = price({ lines: [line('BREAD', 300, 1, { taxCategory: 'food' }), line('BOOK', 2000, 1, { taxCategory: 'books' }), line('TEE', 1000)], tax: VAT });
    expect(b.lines.map((l) => [l.taxRate, l.tax])).toEqual([[0, 0], [70_000, 140], [190_000, 190]]);
    expect(b.taxes).toEqual([{ name: 'VAT 19%', rate: 190_000, amount: 190 }, { name: 'VAT 7%', rate: 70_000, amount: 140 }]);
    expect(b.total).toBe(300 + 2140 + 1190);
  });

  it('inclusive prices contain their tax; exclusive ones have it added on top', () => {
    const inclusive = price({ lines: [line('A', 11_900)], tax: VAT, pricesIncludeTax: true });
    expect(inclusive.lines[0]).toMatchObject({ tax: 1900, total: 11_900 });
    expect(inclusive.total).toBe(11_900);
    const exclusive = price({ lines: [line('A', 10_000)], tax: { ...VAT, rate: 88_750 } });
    expect(exclusive.lines[0]).toMatchObject({ tax: 888, total: 10_888 });
    expect(exclusive.taxes).toEqual([{ name: 'VAT 8.875%', rate: 88_750, amount: 888 }]);
  });

  it('shipping is taxed only where the region says so', () => {
    const shipping = { methodId: 'm', name: 'Standard', amount: 500 };
    expect(price({ lines: [line('A', 1000)], shipping, tax: VAT }).shipping).toMatchObject({ tax: 95, total: 595 });
    expect(price({ lines: [line('A', 1000)], shipping, tax: { ...VAT, shippingTaxed: false } }).shipping).toMatchObject({ tax: 0, total: 500 });
  });

  it('free shipping takes the shipping charge off, and nothing off the lines', () => {
    const b = price({ lines: [line('A', 1000)], shipping: { methodId: 'm', name: 'Express', amount: 1500 }, promotions: [promo({ kind: 'free_shipping', code: 'FREESHIP' })] });
    expect(b.discounts).toEqual([{ promotionId: 'FREESHIP', code: 'FREESHIP', name: 'free_shipping', kind: 'free_shipping', amount: 1500, lines: [], shipping: 1500 }]);
    expect(b.total).toBe(1000);
  });

  it('buy two get one free takes the cheapest matching unit off, for every three', () => {
    const b = price({ lines: [line('A', 1000, 2), line('B', 600, 2), line('C', 100, 5, { categoryIds: ['other'] })],
      promotions: [promo({ kind: 'buy_x_get_y', buyQuantity: 2, getQuantity: 1, percent: 1_000_000, productIds: ['p-A', 'p-B'] })] });
    expect(b.lines.map((l) => l.discount)).toEqual([0, 600, 0]); // 4 matching units: one group of three, the cheapest unit free
    const half = price({ lines: [line('A', 1000, 6)], promotions: [promo({ kind: 'buy_x_get_y', buyQuantity: 1, getQuantity: 1, percent: 500_000 })] });
    expect(half.lines[0].discount).toBe(1500); // three units at half price
  });

  it('promotions on products or categories touch only their lines; then order-wide ones apply to what is left', () => {
    const b = price({ lines: [line('BOOK', 2000, 1, { categoryIds: ['books'] }), line('TEE', 1000)],
      promotions: [promo({ kind: 'percentage', percent: 100_000, code: 'WELCOME10' }), promo({ kind: 'percentage', percent: 500_000, categoryIds: ['books'], id: 'books' })] });
    // Books half price first (stage 2), then 10 % off everything left (stage 3).
    expect(b.discounts.map((d) => [d.promotionId, d.amount])).toEqual([['books', 1000], ['WELCOME10', 200]]);
    expect(b.lines.map((l) => l.discount)).toEqual([1100, 100]);
  });

  it('an exclusive promotion applies alone; the cart\'s codes come before automatic ones', () => {
    const auto = promo({ kind: 'percentage', percent: 200_000, id: 'auto', combinable: false, priority: 10 });
    const code = promo({ kind: 'fixed', amount: 500, code: 'FIVE' });
    const b = price({ lines: [line('A', 10_000)], promotions: [auto, code] });
    // The code comes first and is combinable, so every combinable one applies; the exclusive automatic one does not.
    expect(b.discounts.map((d) => d.promotionId)).toEqual(['FIVE']);
    expect(b.notApplied).toEqual([{ promotionId: 'auto', code: null, reason: 'not_combinable' }]);
    const alone = price({ lines: [line('A', 10_000)], promotions: [auto, promo({ kind: 'fixed', amount: 500, id: 'other' })] });
    expect(alone.discounts.map((d) => d.promotionId)).toEqual(['auto']);
  });

  it('says why a promotion does not apply: not started, expired, minimum not met, nothing matching, no amount in the currency', () => {
    const b = price({ lines: [line('A', 1000)], promotions: [
      promo({ kind: 'percentage', percent: 1, id: 'soon', startsAt: new Date('2027-01-01') }),
      promo({ kind: 'percentage', percent: 1, id: 'past', endsAt: AT }),
      promo({ kind: 'percentage', percent: 1, id: 'min', minSubtotal: 1001 }),
      promo({ kind: 'percentage', percent: 1, id: 'cat', categoryIds: ['x'] }),
      promo({ kind: 'fixed', id: 'usd-only' }),
    ] });
    expect(b.notApplied.map((n) => [n.promotionId, n.reason])).toEqual([['soon', 'not_started'], ['past', 'expired'], ['min', 'minimum_not_met'],
      ['cat', 'no_matching_items'], ['usd-only', 'no_amount_in_currency']]);
    expect(b.total).toBe(1000);
  });

  it('a fixed amount larger than the order takes the order to zero, never below', () => {
    const b = price({ lines: [line('A', 300)], promotions: [promo({ kind: 'fixed', amount: 5000 })], tax: VAT });
    expect(b.total).toBe(0);
    expectConsistent(b);
  });
});

describe('pricing a cart: properties', () => {
  const arbLine = fc.record({
    sku: fc.constantFrom('A', 'B', 'C', 'D', 'E'), quantity: fc.integer({ min: 1, max: 999 }), unitPrice: fc.integer({ min: 0, max: 10_000_000 }),
    productId: fc.constantFrom('p1', 'p2', 'p3'), categoryIds: fc.subarray(['c1', 'c2']), taxCategory: fc.constantFrom('standard', 'books', 'food'),
  });
  const arbLines = fc.uniqueArray(arbLine, { selector: (l) => l.sku, minLength: 0, maxLength: 5 });
  const arbPromotion: fc.Arbitrary<Promotion> = fc.record({
    id: fc.uuid(), code: fc.option(fc.constantFrom('X', 'Y'), { nil: null }), name: fc.constant('promo'),
    kind: fc.constantFrom('percentage', 'fixed', 'free_shipping', 'buy_x_get_y') as fc.Arbitrary<Promotion['kind']>,
    percent: fc.integer({ min: 0, max: 1_000_000 }), amount: fc.option(fc.integer({ min: 0, max: 50_000_000 }), { nil: undefined }),
    productIds: fc.subarray(['p1', 'p2']), categoryIds: fc.subarray(['c1']), buyQuantity: fc.integer({ min: 1, max: 4 }), getQuantity: fc.integer({ min: 1, max: 3 }),
    minSubtotal: fc.integer({ min: 0, max: 100_000 }), startsAt: fc.constant(null), endsAt: fc.constant(null), combinable: fc.boolean(), priority: fc.integer({ min: 0, max: 3 }),
  });
  const arbTax: fc.Arbitrary<TaxRules | null> = fc.option(fc.record({
    name: fc.constant('Tax'), rate: fc.integer({ min: 0, max: 1_000_000 }),
    categories: fc.record({ books: fc.integer({ min: 0, max: 300_000 }), food: fc.constant(0) }), shippingTaxed: fc.boolean(),
  }), { nil: null });
  const arbInput: fc.Arbitrary<PricingInput> = fc.record({
    currency: fc.constant('EUR'), pricesIncludeTax: fc.boolean(), lines: arbLines, promotions: fc.array(arbPromotion, { maxLength: 4 }),
    shipping: fc.option(fc.record({ methodId: fc.constant('m'), name: fc.constant('Standard'), amount: fc.integer({ min: 0, max: 100_000 }) }), { nil: null }),
    tax: arbTax, at: fc.constant(AT),
  });

  it('lines, shipping and taxes always add up to the total to the cent, and nothing is negative', () => {
    fc.assert(fc.property(arbInput, (input) => expectConsistent(priceCart(input))), { numRuns: 1000 });
  });

  it('promotions never raise a price, and a cart without any costs its lines, shipping and (exclusive) tax', () => {
    fc.assert(fc.property(arbInput, (input) => {
      const without = priceCart({ ...input, promotions: [] });
      expect(priceCart(input).total).toBeLessThanOrEqual(without.total);
      expect(without.discountTotal).toBe(0);
    }), { numRuns: 500 });
  });

  it('refunding every line, in any number of pieces, gives back exactly the lines\' totals and never more', () => {
    fc.assert(fc.property(arbInput, fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 4 }), (input, pieces) => {
      const b = priceCart(input);
      const refunded: Record<string, number> = {};
      let back = 0;
      for (const l of b.lines) {
        for (const want of [...pieces, l.quantity]) {
          const quantity = Math.min(want, l.quantity - (refunded[l.sku] ?? 0));
          if (quantity === 0) continue;
          const r = refundLines('o', b.lines, refunded, [{ sku: l.sku, quantity }]);
          expect(r.amount).toBeGreaterThanOrEqual(0);
          back += r.amount;
          refunded[l.sku] = (refunded[l.sku] ?? 0) + quantity;
        }
        expect(() => refundLines('o', b.lines, refunded, [{ sku: l.sku, quantity: 1 }])).toThrow(/left to refund/);
      }
      expect(back).toBe(b.lines.reduce((n, l) => n + l.total, 0));
    }), { numRuns: 500 });
  });
});

describe('the TaxProvider seam', () => {
  const DE = { name: 'Grace Hopper', line1: 'Unter den Linden 1', city: 'Berlin', postalCode: '10117', country: 'DE' };
  const input = { currency: 'EUR', pricesIncludeTax: false, at: AT, lines: [line('A', 1000, 3), line('BOOK', 2000, 1, { taxCategory: 'books' })],
    promotions: [promo({ kind: 'percentage', percent: 100_000 })], shipping: { methodId: 'm', name: 'Standard', amount: 500 } };

  it('asks for the tax of what the promotions left of each line and of shipping, and adds the answer up', async () => {
    const asked: TaxRequest[] = [];
    // A hosted service's stand-in: 5 % on lines, nothing on shipping, its own rounding (down).
    const hosted: TaxProvider = { name: 'hosted', calculate: async (req) => {
      asked.push(req);
      return { name: 'Hosted', items: req.items.map((i) => (i.kind === 'shipping' ? { rate: 0, tax: 0 } : { rate: 50_000, tax: Math.floor(i.amount / 20) })) };
    } };
    const b = await priceCartWith(input, DE, hosted);
    expect(asked).toEqual([{ currency: 'EUR', pricesIncludeTax: false, address: DE, items: [
      { kind: 'line', ref: 'A', taxCategory: 'standard', quantity: 3, amount: 2700 },
      { kind: 'line', ref: 'BOOK', taxCategory: 'books', quantity: 1, amount: 1800 },
      { kind: 'shipping', ref: 'm', taxCategory: 'shipping', quantity: 1, amount: 500 }] }]);
    expect(b.lines.map((l) => [l.taxRate, l.tax, l.total])).toEqual([[50_000, 135, 2835], [50_000, 90, 1890]]);
    expect(b.taxes).toEqual([{ name: 'Hosted 5%', rate: 50_000, amount: 225 }]);
    expect(b.total).toBe(2835 + 1890 + 500);
    expectConsistent(b);
  });

  it('refuses an answer the breakdown could not add up: a missing item, a negative or fractional tax, tax at a zero rate, more tax than an inclusive price', async () => {
    const answering = (items: { rate: number; tax: number }[], pricesIncludeTax = false) =>
      priceCartWith({ ...input, pricesIncludeTax }, DE, { name: 'bad', calculate: async () => ({ name: 'Bad', items }) });
    const fine = { rate: 190_000, tax: 10 };
    await expect(answering([fine, fine])).rejects.toThrow(/answered 2 items for 3/);
    await expect(answering([fine, { rate: 190_000, tax: -1 }, fine])).rejects.toThrow(/whole, non-negative/);
    await expect(answering([fine, { rate: 190_000, tax: 0.5 }, fine])).rejects.toThrow(/whole, non-negative/);
    await expect(answering([fine, { rate: 0, tax: 3 }, fine])).rejects.toThrow(/zero rate/);
    await expect(answering([fine, { rate: 190_000, tax: 1801 }, fine], true)).rejects.toThrow(/included in 1800/);
  });

  it('the rules engine as a provider prices exactly as priceCart does', async () => {
    await fc.assert(fc.asyncProperty(fc.boolean(), fc.integer({ min: 0, max: 1_000_000 }), fc.boolean(), async (inclusive, rate, shippingTaxed) => {
      const tax: TaxRules = { ...VAT, rate, shippingTaxed };
      expect(await priceCartWith({ ...input, pricesIncludeTax: inclusive }, DE, rulesTaxProvider(tax)))
        .toEqual(priceCart({ ...input, pricesIncludeTax: inclusive, tax }));
    }), { numRuns: 200 });
  });
});

describe('refunding lines', () => {
  it('gives back a line\'s share of its discount and tax', () => {
    const b = price({ lines: [line('A', 1000, 3), line('B', 500)], promotions: [promo({ kind: 'percentage', percent: 100_000 })], tax: VAT });
    // A: 3000 − 300 off = 2700 net + 513 tax = 3213; one unit of three is a third of it.
    const r = refundLines('o', b.lines, {}, [{ sku: 'A', quantity: 1 }]);
    expect(r).toEqual({ amount: 1071, lines: [{ sku: 'A', quantity: 1, amount: 1071, discount: 100, tax: 171 }] });
    expect(() => refundLines('o', b.lines, {}, [{ sku: 'Z', quantity: 1 }])).toThrow(/no line Z/);
  });
});
