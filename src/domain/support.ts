/**
 * The rules support runs into beyond cancel, hold and address (src/domain/order.ts): when a refund,
 * a resend or a payment retry makes sense. Pure and deterministic: the workflow's update
 * validators, the CLI and the staff routes all give the same reasons.
 */
import { DomainError, ErrorCode } from './errors';
import { describeMoney } from './format';
import { FINAL_STATUSES, hasShipped, type OrderStatus } from './order';
import { TEMPLATES } from './templates';

/**
 * Why a refund cannot be asked for now, or undefined. The payment row decides the rest (how much
 * was captured and refunded), in the refund activity, under a row lock.
 */
export function refundRefusal(orderId: string, o: { status: OrderStatus; dispatching: boolean; rollingBack: boolean; amount?: number }): string | undefined {
  if (o.amount !== undefined && (!Number.isSafeInteger(o.amount) || o.amount <= 0)) {
    return 'the amount must be a whole number of minor units (cents) above zero';
  }
  if (o.rollingBack && !FINAL_STATUSES.includes(o.status)) return `order ${orderId} is being rolled back; its payment is voided or refunded by that`;
  if (o.status === 'cancelled' || o.status === 'failed') return `order ${orderId} is ${o.status}; its payment was already voided or refunded`;
  // The payment is captured at dispatch (src/domain/order.ts): a shipped order, or one being dispatched, has been charged.
  if (!hasShipped(o.status) && !o.dispatching) {
    return `order ${orderId} has not been charged yet (the payment is only authorized until the parcel is dispatched): `
      + 'there is nothing to refund; cancel the order to release the hold';
  }
  return undefined;
}

/** Refuses a refund of a payment that never captured anything (read under its row lock, src/store/refunds.ts). */
export function assertCharged(orderId: string, payment: { status: string; providerRef: string | null; captured: number } | undefined): void {
  if (!payment || !payment.providerRef || payment.captured === 0) {
    throw new DomainError(ErrorCode.NothingToRefund, `order ${orderId} has not been charged (its payment is ${payment?.status ?? 'missing'}): `
      + 'there is nothing to refund; cancel the order to release an authorization', { orderId });
  }
}

/**
 * How much a refund takes: the amount asked for, or all that is left, which is what was captured
 * less what is refunded and what refunds still pending at the provider hold.
 */
export function refundAmount(orderId: string, p: { captured: number; refunded: number; pending: number; currency: string }, requested?: number): number {
  const left = p.captured - p.refunded - p.pending;
  const money = (n: number) => describeMoney(n, p.currency);
  if (left <= 0) {
    throw new DomainError(ErrorCode.NothingToRefund, `everything captured for order ${orderId} (${money(p.captured)}) has already been refunded`, { orderId });
  }
  const amount = requested ?? left;
  if (amount > left) {
    throw new DomainError(ErrorCode.RefundExceedsCaptured, `a refund of ${money(amount)} is more than the ${money(left)} left to refund on order `
      + `${orderId} (captured ${money(p.captured)}, refunded ${money(p.refunded + p.pending)})`, { orderId, requested: amount, refundable: left });
  }
  return amount;
}

/** Customer messages support may send again (the abandoned-cart reminder belongs to a cart, not an order). */
export const RESENDABLE_TEMPLATES: readonly string[] = TEMPLATES.filter((t) => t !== 'abandoned_cart');

/** occurrence: which of a message the order was sent more than once (a parcel out for delivery twice); absent: the latest. */
export function resendRefusal(template: string, channel: string, occurrence?: number): string | undefined {
  if (!RESENDABLE_TEMPLATES.includes(template)) return `"${template}" is not a message of an order; one of: ${RESENDABLE_TEMPLATES.join(', ')}`;
  if (channel !== 'email' && channel !== 'sms') return `the channel must be email or sms, not "${channel}"`;
  if (occurrence !== undefined && !(Number.isInteger(occurrence) && occurrence >= 1)) return `the occurrence must be 1, 2, 3…, not ${String(occurrence)}`;
  return undefined;
}

/**
 * retry-payment: the one stuck payment support can unstick is one waiting for the customer's
 * 3-D Secure whose outcome never reached us (a lost webhook). Every other state says why not.
 */
export function retryPaymentRefusal(orderId: string, status: OrderStatus, paymentStatus: string): string | undefined {
  if (status === 'awaiting_payment_action' && paymentStatus === 'requires_action') return undefined;
  if (status === 'failed') {
    return `order ${orderId} has failed and was rolled back (nothing was charged); its cart is open again, so the customer can check out again`;
  }
  if (FINAL_STATUSES.includes(status) || status === 'cancelling') return `order ${orderId} is ${status}; there is no payment to retry`;
  if (paymentStatus === 'pending') {
    return `the payment of order ${orderId} is being authorized right now; a failing provider call is retried automatically`;
  }
  return `the payment of order ${orderId} is ${paymentStatus}; there is nothing to retry`;
}

/** What support reads when a step of an order's rollback can never succeed (a notice), and what to do about it. */
export function compensationFailedNotice(orderId: string, step: string, error: string): string {
  const failed = `failed for good (${error}), so it is no longer retried`;
  switch (step) {
    case 'release_stock':
      return `The stock reserved for order ${orderId} could not be released: releasing it ${failed}. The units are still counted as reserved. `
        + 'Check the order\'s SKUs (GET /admin/inventory/<sku>), correct the stock by hand (PUT /admin/inventory/<sku>, warehouse role), then resolve this notice.';
    case 'void_or_refund_payment':
      return `The payment of order ${orderId} was not voided or refunded: that step ${failed}. The customer may still have a hold or a charge on their card. `
        + `Find the payment at the payment provider (npm run support -- status ${orderId} shows its reference), void or refund it there, then resolve this notice.`;
    case 'reopen_cart':
      return `The cart of order ${orderId} could not be reopened: that step ${failed}. The order itself is rolled back; the customer can start a new cart. `
        + 'Nothing else is needed: resolve this notice.';
    default:
      return `Order ${orderId}: the rollback step "${step}" ${failed}. The rest of the rollback went on. Check the order (npm run support -- status ${orderId}) `
        + 'and finish that step by hand, then resolve this notice.';
  }
}

/** What support reads when a customer message of an order can never be sent; the order went on without it. */
export function messageFailedNotice(orderId: string, template: string, channel: string, error: string): string {
  return `The ${channel === 'sms' ? 'SMS' : 'e-mail'} "${template}" to the customer of order ${orderId} can never be sent: ${error}. It is recorded as failed `
    + `and the order went on without it. Reach the customer another way, or fix the cause and send it again (npm run support -- resend ${orderId} ${template} `
    + `--channel ${channel}), then resolve this notice.`;
}
