/** Cart rules and pricing: pure functions, no I/O. Prices always come from the catalog, never the client. */
import { DomainError, ErrorCode } from './errors';
import { addMoney, money, multiplyMoney, type Money } from './money';

export const MAX_QUANTITY_PER_LINE = 999;
export const MAX_LINES_PER_CART = 100;

export interface PricedLine {
  sku: string;
  quantity: number;
  unitPrice: Money;
}

export function lineTotal(line: PricedLine): Money {
  return multiplyMoney(line.unitPrice, line.quantity);
}

export function subtotal(lines: PricedLine[], currency: string): Money {
  return lines.reduce((sum, line) => addMoney(sum, lineTotal(line)), money(0, currency));
}

export type CartState = 'active' | 'checking_out' | 'checked_out' | 'expired' | 'merged';

/** A cart accepts changes only while it is active. */
export function assertCartWritable(cartId: string, status: CartState): void {
  if (status === 'expired') {
    throw new DomainError(ErrorCode.CartExpired, `Cart ${cartId} has expired after a period of inactivity; create a new cart.`, { cartId });
  }
  if (status === 'merged') {
    throw new DomainError(ErrorCode.CartNotActive,
      `Cart ${cartId} was merged into the customer's cart at sign-in; use that cart (the sign-in answer names it).`, { cartId, status });
  }
  if (status !== 'active') {
    throw new DomainError(ErrorCode.CartNotActive, `Cart ${cartId} is ${status.replace('_', ' ')} and can no longer change.`, { cartId, status });
  }
}

/** Decides the new quantity of a line, enforcing the per-line cap and the stock on the shelf. */
export function checkQuantity(sku: string, requested: number, available: number): void {
  if (requested > MAX_QUANTITY_PER_LINE) {
    throw new DomainError(ErrorCode.CartTooLarge, `At most ${MAX_QUANTITY_PER_LINE} of one item fit in a cart.`, { sku, requested, max: MAX_QUANTITY_PER_LINE });
  }
  if (requested > available) {
    throw new DomainError(ErrorCode.InsufficientStock,
      available === 0 ? `${sku} is out of stock.` : `Only ${available} of ${sku} are available; ${requested} were requested.`,
      { sku, requested, available });
  }
}

/** Why a guest cart's line was not (or not wholly) merged into the customer's cart. */
export type MergeShortfall = 'insufficient_stock' | 'cart_too_large' | 'currency_mismatch';

/** A guest cart's line after the merge: how much of it was asked for, how much was added, and the line it made. */
export interface MergedLine { sku: string; requested: number; added: number; quantity: number; shortfall?: MergeShortfall }

export interface CartMergeInput {
  /** The customer's cart: its currency and each SKU's quantity. */
  target: { currency: string; lines: ReadonlyMap<string, number> };
  /** The guest cart's currency and lines, each with the stock available now. */
  guest: { currency: string; lines: { sku: string; quantity: number; available: number }[] };
}

/**
 * The guest cart's lines added to the customer's, under the rules of every cart write: quantities
 * add up, no line beyond the stock available or MAX_QUANTITY_PER_LINE, no more than
 * MAX_LINES_PER_CART lines, one currency. What does not fit is added in part or not at all, and
 * says why: a merge never drops a line silently, nor lowers a line the customer already had.
 */
export function planCartMerge({ target, guest }: CartMergeInput): MergedLine[] {
  let lineCount = target.lines.size;
  return guest.lines.map(({ sku, quantity: requested, available }) => {
    const current = target.lines.get(sku) ?? 0;
    const none = (shortfall: MergeShortfall): MergedLine => ({ sku, requested, added: 0, quantity: current, shortfall });
    if (guest.currency !== target.currency) return none('currency_mismatch');
    if (current === 0 && lineCount >= MAX_LINES_PER_CART) return none('cart_too_large');
    const wanted = current + requested;
    const quantity = Math.max(current, Math.min(wanted, available, MAX_QUANTITY_PER_LINE));
    if (current === 0 && quantity > 0) lineCount += 1;
    const added = quantity - current;
    if (added === requested) return { sku, requested, added, quantity };
    const shortfall = available < Math.min(wanted, MAX_QUANTITY_PER_LINE) ? 'insufficient_stock' : 'cart_too_large';
    return { sku, requested, added, quantity, shortfall };
  });
}
