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

export type CartState = 'active' | 'checking_out' | 'checked_out' | 'expired';

/** A cart accepts changes only while it is active. */
export function assertCartWritable(cartId: string, status: CartState): void {
  if (status === 'expired') {
    throw new DomainError(ErrorCode.CartExpired, `Cart ${cartId} has expired after a period of inactivity; create a new cart.`, { cartId });
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
