/**
 * Where money moves: every call to the payment provider about an order's money is here. Authorize
 * at checkout, capture when the parcel is dispatched, void or refund when an order is rolled back,
 * refund on support's request, and ask the provider where a payment stands. Each call carries an
 * idempotency key derived from the order and the step (`order-<id>-authorize`, `-capture`, `-void`,
 * `-refund-<n>`), so a retry after a crash or a lost answer reaches the provider as the same request
 * and never charges or refunds twice. The provider keeps a key for a while only (Stripe: 24 hours);
 * a step that replays a request later (a retry after a long outage, a compensation days after a lost
 * answer) first finds what the first request made, by its id or by the order (earlierAuthorization),
 * so that it never places a second hold. The rows are written through src/store/payments.ts and
 * src/store/refunds.ts; the provider adapters are in src/integrations/ (stripe.ts, simulated/).
 */
import type { ActivityDeps } from './deps';
import {
  IDEMPOTENCY_KEY_LIFETIME_MS, PaymentProviderError, type AuthorizationResult, type ProviderPaymentStatus, type RefundAnswer,
} from '../src/integrations/payments';
import { DomainError, ErrorCode } from '../src/domain/errors';
import {
  markPaymentCaptured, markPaymentNeverMade, markPaymentVoided, paymentByKey, recordAuthorization, recordPaymentAttempt, recordPaymentOutcome, type PaymentRow,
} from '../src/store/payments';
import {
  claimCancellationRefund, claimRefund, failRefundClaim, pendingRefundTotal, recordRefundAccepted, recordRefundSucceeded,
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
async function authorizePayment(deps: ActivityDeps, req: AuthorizeRequest): Promise<AuthorizationResult> {
  const { orm, payments } = deps;
  const key = paymentKeys.authorize(req.orderId);
  const { payment, created } = await recordPaymentAttempt(orm.em.fork(), { ...req, provider: payments.name, idempotencyKey: key });
  // A retry: an earlier attempt may have reached the provider. What it made is answered; nothing new is made past the key's lifetime.
  const earlier = created ? 'replay' : await earlierAuthorization(deps, payment);
  const result = typeof earlier === 'object' ? earlier : await payments.authorize({ idempotencyKey: key, ...req });
  await recordAuthorization(orm.em.fork(), key, result);
  return result;
}

/**
 * What an earlier attempt at the order's authorization made, found without creating anything:
 *   - its id was saved: the provider answers for that payment (never a second request to create one);
 *   - no id, within the key's lifetime: 'replay', the same idempotent request answers with what it made
 *     (or makes it now, if the first request never arrived);
 *   - no id, past it: replaying would make a second hold, so the provider is asked for the order's
 *     payment by the order id it keeps with it; 'none' when it has none (nothing was ever made).
 * A provider that cannot be asked leaves no way to tell past the key's lifetime: refused for good, for a person.
 */
async function earlierAuthorization({ payments, clock }: ActivityDeps, payment: PaymentRow): Promise<AuthorizationResult | 'replay' | 'none'> {
  const orderId = payment.order_id;
  const expired = clock().getTime() - new Date(payment.created_at).getTime() >= IDEMPOTENCY_KEY_LIFETIME_MS;
  if (!payments.findAuthorization) {
    if (!expired) return 'replay';
    throw new DomainError(ErrorCode.PaymentProviderError, `the ${payments.name} payment provider cannot be asked for the payment of order ${orderId}, and `
      + 'its idempotency key has expired, so replaying the authorization could place a second hold: check the payment at the provider by hand',
    { orderId, providerCode: 'cannot_find_authorization' });
  }
  if (payment.provider_ref) return (await payments.findAuthorization({ orderId, providerRef: payment.provider_ref })) ?? 'none';
  if (!expired) return 'replay';
  return (await payments.findAuthorization({ orderId })) ?? 'none';
}

/**
 * Undo of authorizePayment: releases a hold that was never captured, or refunds what was
 * captured. When the authorization's answer was lost (no provider reference saved), the payment it
 * made is found first (earlierAuthorization), and nothing new is ever made past the key's lifetime.
 */
async function voidOrRefundPayment(deps: ActivityDeps, orderId: string, reason: string)
  : Promise<{ action: 'none' | 'voided' | 'refunded'; amount: number }> {
  const { orm, payments } = deps;
  const payment = await paymentByKey(orm.em.fork(), paymentKeys.authorize(orderId));
  if (!payment || ['declined', 'failed', 'voided', 'refunded'].includes(payment.status)) return { action: 'none', amount: 0 };
  let providerRef = payment.provider_ref;
  if (!providerRef) {
    const earlier = await earlierAuthorization(deps, payment);
    if (earlier === 'none') {
      await markPaymentNeverMade(orm.em.fork(), payment.id);
      return { action: 'none', amount: 0 };
    }
    // Within the key's lifetime the same idempotent request answers with the payment it made (or makes it now, to release it).
    providerRef = earlier !== 'replay' ? earlier.providerRef : (await payments.authorize({ idempotencyKey: paymentKeys.authorize(orderId), orderId,
      amount: Number(payment.amount), currency: payment.currency, paymentMethod: payment.payment_method })).providerRef;
  }
  const captured = Number(payment.captured_amount) - Number(payment.refunded_amount);
  if (payment.status === 'captured' && captured > 0) {
    const key = paymentKeys.refund(orderId, 'cancel');
    // Claimed before the provider is asked, so a webhook about the refund that beats our record of its id finds the row by its key.
    const claim = await claimCancellationRefund(orm.em.fork(), { paymentId: payment.id, idempotencyKey: key, amount: captured, reason });
    const { refundRef, status = 'succeeded' } = await payments.refund({ idempotencyKey: key, providerRef, amount: captured, orderId });
    // A pending refund is counted when the provider's webhook says it succeeded (src/store/refunds.ts).
    if (status === 'succeeded') await recordRefundSucceeded(orm.em.fork(), { id: claim.id, paymentId: payment.id, amount: captured, refundRef });
    else await recordRefundAccepted(orm.em.fork(), claim.id, refundRef);
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
    const answer = await payments.refund({ idempotencyKey: r.refundKey, providerRef: r.payment.provider_ref as string, amount: r.amount,
      orderId: r.payment.order_id });
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
