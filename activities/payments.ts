/**
 * Where money moves: every call to the payment provider about an order's money is here. Authorize
 * at checkout, capture when the parcel is dispatched, void or refund when an order is rolled back,
 * refund on support's request, and ask the provider where a payment stands. Each call carries an
 * idempotency key derived from the order and the step (`order-<id>-authorize`, `-capture`, `-void`,
 * `-refund-<n>`), so a retry after a crash or a lost answer reaches the provider as the same request
 * and never charges or refunds twice. The rows are written through src/store/payments.ts and
 * src/store/refunds.ts; the provider adapters are in src/integrations/ (stripe.ts, simulated/).
 */
import type { ActivityDeps } from './deps';
import { PaymentProviderError, type AuthorizationResult, type ProviderPaymentStatus, type RefundAnswer } from '../src/integrations/payments';
import { DomainError, ErrorCode } from '../src/domain/errors';
import {
  markPaymentCaptured, markPaymentVoided, paymentByKey, recordAuthorization, recordPaymentAttempt, recordPaymentOutcome, type PaymentRow,
} from '../src/store/payments';
import {
  claimRefund, failRefundClaim, pendingRefundTotal, recordCancellationRefund, recordRefundAccepted, recordRefundSucceeded,
} from '../src/store/refunds';
import type { RefundOutcome } from '../src/contracts/support';

/**
 * An order makes one payment attempt: a declined or abandoned one ends the order, and the customer's
 * next try is a new checkout, hence a new order id. So the order id names the attempt, and a key
 * never meets different parameters (which Stripe would refuse as a reused key).
 */
export const paymentKeys = {
  authorize: (orderId: string) => `order-${orderId}-authorize`,
  void: (orderId: string) => `order-${orderId}-void`,
  capture: (orderId: string) => `order-${orderId}-capture`,
  refund: (orderId: string, purpose: string) => `order-${orderId}-refund-${purpose}`,
};

export interface AuthorizeRequest { orderId: string; amount: number; currency: string; paymentMethod: string }
export interface RefundRequest { orderId: string; amount?: number; lines?: { sku: string; quantity: number }[]; reason: string; requestId: string }

export function paymentActivities(deps: ActivityDeps) {
  return {
    authorizePayment: (req: AuthorizeRequest): Promise<AuthorizationResult> => authorizePayment(deps, req),
    /** Records what a provider event (webhook, 3-D Secure completion) said about the authorization. */
    recordPaymentOutcome: async (orderId: string, status: 'authorized' | 'declined' | 'failed', declineCode?: string): Promise<void> =>
      recordPaymentOutcome(deps.orm.em.fork(), paymentKeys.authorize(orderId), status, declineCode),
    voidOrRefundPayment: (orderId: string, reason: string): Promise<{ action: 'none' | 'voided' | 'refunded'; amount: number }> =>
      voidOrRefundPayment(deps, orderId, reason),
    capturePayment: (orderId: string): Promise<{ capturedAmount: number }> => capturePayment(deps, orderId),
    refundPayment: (req: RefundRequest): Promise<RefundOutcome> => refundPayment(deps, req),
    checkPaymentWithProvider: (orderId: string): Promise<{ providerRef: string; status: ProviderPaymentStatus }> => checkPaymentWithProvider(deps, orderId),
  };
}

/** The hold on the customer's card, at checkout: the row is written first (pending), then the provider's answer. */
async function authorizePayment({ orm, payments }: ActivityDeps, req: AuthorizeRequest): Promise<AuthorizationResult> {
  const key = paymentKeys.authorize(req.orderId);
  await recordPaymentAttempt(orm.em.fork(), { ...req, provider: payments.name, idempotencyKey: key });
  const result = await payments.authorize({ idempotencyKey: key, ...req });
  await recordAuthorization(orm.em.fork(), key, result);
  return result;
}

/**
 * Undo of authorizePayment: releases a hold that was never captured, or refunds what was
 * captured. When the authorization's answer was lost (no provider reference saved), the same
 * idempotent request is replayed to learn which payment to release.
 */
async function voidOrRefundPayment({ orm, payments }: ActivityDeps, orderId: string, reason: string)
  : Promise<{ action: 'none' | 'voided' | 'refunded'; amount: number }> {
  const payment = await paymentByKey(orm.em.fork(), paymentKeys.authorize(orderId));
  if (!payment || ['declined', 'failed', 'voided', 'refunded'].includes(payment.status)) return { action: 'none', amount: 0 };
  // Same key, same parameters: the provider answers with the payment it already made (or makes it now, to release it).
  const providerRef = payment.provider_ref ?? (await payments.authorize({ idempotencyKey: paymentKeys.authorize(orderId), orderId,
    amount: Number(payment.amount), currency: payment.currency, paymentMethod: payment.payment_method })).providerRef;
  const captured = Number(payment.captured_amount) - Number(payment.refunded_amount);
  if (payment.status === 'captured' && captured > 0) {
    const key = paymentKeys.refund(orderId, 'cancel');
    const { refundRef, status = 'succeeded' } = await payments.refund({ idempotencyKey: key, providerRef, amount: captured });
    // A pending refund is counted when the provider's webhook says it succeeded (src/store/refunds.ts).
    await recordCancellationRefund(orm.em.fork(), { paymentId: payment.id, idempotencyKey: key, amount: captured, reason, refundRef, status });
    return { action: 'refunded', amount: captured };
  }
  await payments.void({ idempotencyKey: paymentKeys.void(orderId), providerRef });
  await markPaymentVoided(orm.em.fork(), payment.id, providerRef);
  return { action: 'voided', amount: Number(payment.amount) };
}

/** Takes the authorized amount when the parcel is dispatched (workflows/fulfillment.ts), under the order's capture key. */
async function capturePayment({ orm, payments }: ActivityDeps, orderId: string): Promise<{ capturedAmount: number }> {
  const payment = await paymentByKey(orm.em.fork(), paymentKeys.authorize(orderId));
  if (payment?.status === 'captured') return { capturedAmount: Number(payment.captured_amount) };
  if (!payment || payment.status !== 'authorized' || !payment.provider_ref) {
    const status = payment?.status ?? 'missing';
    throw new DomainError(ErrorCode.PaymentNotCapturable, `Order ${orderId} has no authorized payment to capture (payment is ${status}).`,
      { orderId, paymentStatus: status });
  }
  const { capturedAmount } = await payments.capture({ idempotencyKey: paymentKeys.capture(orderId), providerRef: payment.provider_ref,
    amount: Number(payment.amount) });
  await markPaymentCaptured(orm.em.fork(), payment.id, capturedAmount);
  return { capturedAmount };
}

/**
 * A support refund of captured money, never above what was captured less what is refunded or
 * being refunded. The refund is claimed first (src/store/refunds.ts claimRefund), then sent to the
 * provider with its own idempotency key, then recorded; no transaction spans the provider call. A
 * retry finds its claim and repeats the same provider request, which refunds once.
 */
async function refundPayment(deps: ActivityDeps, req: RefundRequest): Promise<RefundOutcome> {
  const em = () => deps.orm.em.fork();
  const paymentKey = paymentKeys.authorize(req.orderId);
  const refundKey = paymentKeys.refund(req.orderId, `support-${req.requestId}`);
  const { payment, refund } = await claimRefund(em(), { orderId: req.orderId, paymentKey, refundKey, amount: req.amount, lines: req.lines, reason: req.reason });
  const amount = Number(refund.amount);
  let answer: Required<RefundAnswer> = { refundRef: refund.provider_ref ?? '', status: refund.status === 'succeeded' ? 'succeeded' : 'pending' };
  if (refund.status === 'pending') {
    answer = await sendRefund(deps, { refundId: refund.id, refundKey, payment, amount });
    // Accepted but not settled (Stripe's pending): it stays pending, still held against what can be refunded,
    // until the provider's webhook says it succeeded or failed (src/store/refunds.ts).
    if (answer.status === 'pending') await recordRefundAccepted(em(), refund.id, answer.refundRef);
    else await recordRefundSucceeded(em(), { id: refund.id, paymentId: payment.id, amount, refundRef: answer.refundRef });
  }
  const after = (await paymentByKey(em(), paymentKey)) as PaymentRow;
  return { refunded: amount, currency: payment.currency, capturedAmount: Number(after.captured_amount), refundedAmount: Number(after.refunded_amount),
    refundRef: answer.refundRef, status: answer.status, pendingAmount: await pendingRefundTotal(em(), payment.id) };
}

/** The claimed refund, sent: a final "no" frees the claimed amount; a transient failure keeps it for the retry (same key). */
async function sendRefund({ orm, payments }: ActivityDeps, r: { refundId: string; refundKey: string; payment: PaymentRow; amount: number })
  : Promise<Required<RefundAnswer>> {
  try {
    const answer = await payments.refund({ idempotencyKey: r.refundKey, providerRef: r.payment.provider_ref as string, amount: r.amount });
    return { refundRef: answer.refundRef, status: answer.status ?? 'succeeded' };
  } catch (err) {
    if (err instanceof PaymentProviderError && !err.retryable) await failRefundClaim(orm.em.fork(), r.refundId, err.code);
    throw err;
  }
}

/** Asks the provider where an authorization stands (support's retry-payment: a 3-D Secure outcome that never reached us). */
async function checkPaymentWithProvider({ orm, payments }: ActivityDeps, orderId: string): Promise<{ providerRef: string; status: ProviderPaymentStatus }> {
  const payment = await paymentByKey(orm.em.fork(), paymentKeys.authorize(orderId));
  if (!payment?.provider_ref) {
    throw new DomainError(ErrorCode.ActionRefused, `order ${orderId} has no payment at the provider yet`, { orderId });
  }
  if (!payments.retrieve) {
    throw new DomainError(ErrorCode.ActionRefused, `the ${payments.name} payment provider cannot be asked about a payment; nothing was changed`, { orderId });
  }
  return { providerRef: payment.provider_ref, status: await payments.retrieve(payment.provider_ref) };
}
