/**
 * Refunds of some of an order's lines, priced from the breakdown the order stored at checkout
 * (src/domain/pricing.ts): a line gives back its share of what it was charged, which is its
 * subtotal less its share of the discounts, plus its share of the tax where tax was added on top.
 * Shipping is not refunded with lines (a refund of an amount covers it).
 *
 * Shares are taken on the quantities refunded so far: refunding k more of a line of n, of which r
 * are refunded already, gives back share(r + k) − share(r), with share(q) = round(total × q / n).
 * So partial refunds of a line add up to exactly its total once all of it is refunded, never more.
 */
import { DomainError, ErrorCode } from './errors';
import type { LineBreakdown } from './pricing';
import { shareOf } from './rounding';

export interface LineRefundRequest { sku: string; quantity: number }

export interface LineRefund {
  sku: string;
  quantity: number;
  /** What goes back for these units: their share of the line's total. */
  amount: number;
  /** Of which, their share of the line's discount (not given back) and of its tax (given back). */
  discount: number;
  tax: number;
}

/**
 * What refunding these quantities gives back, given the order's lines and the quantities of each
 * already refunded (by SKU). Refuses an SKU the order does not have and more than is left of a line.
 */
export function refundLines(orderId: string, lines: readonly LineBreakdown[], refunded: Readonly<Record<string, number>>,
  request: readonly LineRefundRequest[]): { amount: number; lines: LineRefund[] } {
  const seen = new Set<string>();
  const result = request.map((r): LineRefund => {
    const line = lines.find((l) => l.sku === r.sku);
    if (!line) {
      throw new DomainError(ErrorCode.ValidationFailed, `Order ${orderId} has no line ${r.sku}.`, { orderId, sku: r.sku });
    }
    if (seen.has(r.sku)) throw new DomainError(ErrorCode.ValidationFailed, `${r.sku} is listed twice; give each line once.`, { orderId, sku: r.sku });
    seen.add(r.sku);
    const before = refunded[r.sku] ?? 0;
    const left = line.quantity - before;
    if (r.quantity > left) {
      throw new DomainError(ErrorCode.RefundExceedsOrdered, `Order ${orderId} has ${left} of ${r.sku} left to refund `
        + `(${line.quantity} ordered, ${before} refunded); ${r.quantity} were asked for.`, { orderId, sku: r.sku, ordered: line.quantity, refunded: before, requested: r.quantity });
    }
    const part = (total: number) => shareOf(total, before + r.quantity, line.quantity) - shareOf(total, before, line.quantity);
    return { sku: r.sku, quantity: r.quantity, amount: part(line.total), discount: part(line.discount), tax: part(line.tax) };
  });
  return { amount: result.reduce((n, l) => n + l.amount, 0), lines: result };
}
