/**
 * Which promotions a cart gets and what each takes off: pure, used by src/domain/pricing.ts.
 *
 * Stacking (docs/pricing.md): of the promotions whose conditions the cart meets, the cart's codes
 * come first, then higher priority, then the older id. If the first of them is exclusive (not
 * combinable), it applies alone; otherwise every combinable one applies and the exclusive ones do
 * not. They then apply in this order, each to what the ones before it left: buy X get Y, then
 * amounts off matching products or categories, then amounts off the order, then free shipping.
 * Usage limits are not decided here: the database counts uses (src/store/promotions.ts).
 */
import { percentOf, PPM, shareOf, splitInProportion } from './rounding';

export const PROMOTION_KINDS = ['percentage', 'fixed', 'free_shipping', 'buy_x_get_y'] as const;
export type PromotionKind = (typeof PROMOTION_KINDS)[number];

export interface Promotion {
  id: string;
  /** Null for an automatic promotion. */
  code: string | null;
  name: string;
  kind: PromotionKind;
  /** percentage: the share off; buy_x_get_y: the share off each "get" item (1 000 000 = free). Parts per million. */
  percent?: number;
  /** fixed: minor units off, in the cart's currency; undefined when the promotion has no amount in it. */
  amount?: number;
  /** The lines it applies to: those of these products or in these categories (descendants included); both empty: every line. */
  productIds: readonly string[];
  categoryIds: readonly string[];
  /** buy_x_get_y: for every `buyQuantity` matching items bought, `getQuantity` more get `percent` off (the cheapest ones). */
  buyQuantity?: number;
  getQuantity?: number;
  /** The cart's subtotal must reach this, in its currency (0: no minimum). */
  minSubtotal: number;
  startsAt: Date | null;
  endsAt: Date | null;
  combinable: boolean;
  priority: number;
}

/** Why a promotion the cart holds (or an automatic one) takes nothing off. */
export type NotAppliedReason = 'not_started' | 'expired' | 'minimum_not_met' | 'no_matching_items' | 'no_amount_in_currency' | 'not_combinable';

export interface NotApplied { promotionId: string; code: string | null; reason: NotAppliedReason }

/** What the promotions see of a line: what is left of it after the promotions before. */
export interface DiscountableLine { productId: string; categoryIds: readonly string[]; quantity: number; unitPrice: number; remaining: number }

export interface Applied { promotion: Promotion; lineAmounts: number[]; shipping: number }

/** The promotion's stage in the stacking order. */
function stage(p: Promotion): number {
  if (p.kind === 'buy_x_get_y') return 0;
  if (p.kind === 'free_shipping') return 3;
  return targeted(p) ? 1 : 2;
}

const targeted = (p: Promotion) => p.productIds.length > 0 || p.categoryIds.length > 0;

export function matches(p: Promotion, line: Pick<DiscountableLine, 'productId' | 'categoryIds'>): boolean {
  if (!targeted(p)) return true;
  return p.productIds.includes(line.productId) || line.categoryIds.some((c) => p.categoryIds.includes(c));
}

/** Undefined when the cart meets the promotion's conditions (time, minimum, matching items); else why not. */
export function conditionsUnmet(p: Promotion, lines: readonly DiscountableLine[], subtotal: number, at: Date): NotAppliedReason | undefined {
  if (p.startsAt && at < p.startsAt) return 'not_started';
  if (p.endsAt && at >= p.endsAt) return 'expired';
  if (p.kind === 'fixed' && p.amount === undefined) return 'no_amount_in_currency';
  if (subtotal < p.minSubtotal) return 'minimum_not_met';
  const matching = lines.filter((l) => matches(p, l));
  if (p.kind !== 'free_shipping' && matching.length === 0) return 'no_matching_items';
  if (p.kind === 'buy_x_get_y' && matching.reduce((n, l) => n + l.quantity, 0) < (p.buyQuantity ?? 1) + (p.getQuantity ?? 1)) return 'no_matching_items';
  return undefined;
}

/** The promotions that apply, in the order they apply, and those that do not with the reason. */
export function choosePromotions(promotions: readonly Promotion[], lines: readonly DiscountableLine[], subtotal: number, at: Date)
  : { apply: Promotion[]; notApplied: NotApplied[] } {
  const notApplied: NotApplied[] = [];
  const eligible: Promotion[] = [];
  for (const p of promotions) {
    const reason = conditionsUnmet(p, lines, subtotal, at);
    if (reason) notApplied.push({ promotionId: p.id, code: p.code, reason });
    else eligible.push(p);
  }
  eligible.sort((a, b) => Number(b.code !== null) - Number(a.code !== null) || b.priority - a.priority || a.id.localeCompare(b.id));
  const [first] = eligible;
  const apply = first && !first.combinable ? [first] : eligible.filter((p) => p.combinable);
  for (const p of eligible) if (!apply.includes(p)) notApplied.push({ promotionId: p.id, code: p.code, reason: 'not_combinable' });
  apply.sort((a, b) => stage(a) - stage(b));
  return { apply, notApplied };
}

/**
 * What one promotion takes off each line (and off shipping), given what is left of them; the caller
 * subtracts it before the next promotion. A line never goes below zero.
 */
export function discountOf(p: Promotion, lines: readonly DiscountableLine[], shippingLeft: number): Applied {
  const eligible = lines.map((l) => matches(p, l));
  let lineAmounts = lines.map(() => 0);
  if (p.kind === 'percentage') {
    lineAmounts = lines.map((l, i) => (eligible[i] ? Math.min(l.remaining, percentOf(l.remaining, p.percent ?? 0)) : 0));
  } else if (p.kind === 'fixed') {
    const weights = lines.map((l, i) => (eligible[i] ? l.remaining : 0));
    const cap = Math.min(p.amount ?? 0, weights.reduce((a, b) => a + b, 0));
    lineAmounts = splitInProportion(cap, weights);
  } else if (p.kind === 'buy_x_get_y') {
    lineAmounts = buyXGetY(p, lines, eligible);
  }
  return { promotion: p, lineAmounts, shipping: p.kind === 'free_shipping' ? shippingLeft : 0 };
}

/** For every X + Y matching items, the Y cheapest of all matching units get the promotion's share off. */
function buyXGetY(p: Promotion, lines: readonly DiscountableLine[], eligible: boolean[]): number[] {
  const x = p.buyQuantity ?? 1;
  const y = p.getQuantity ?? 1;
  const units = lines.reduce((n, l, i) => n + (eligible[i] ? l.quantity : 0), 0);
  let free = Math.floor(units / (x + y)) * y;
  const amounts = lines.map(() => 0);
  const cheapestFirst = lines.map((l, i) => i).filter((i) => eligible[i])
    .sort((a, b) => lines[a].unitPrice - lines[b].unitPrice || a - b);
  for (const i of cheapestFirst) {
    if (free === 0) break;
    const line = lines[i];
    const here = Math.min(free, line.quantity);
    free -= here;
    // The units' share of what is left of the line times the promotion's share: rounded once.
    const percent = Math.min(p.percent ?? PPM, PPM);
    amounts[i] = Math.min(line.remaining, shareOf(line.remaining, here * percent, line.quantity * PPM));
  }
  return amounts;
}
