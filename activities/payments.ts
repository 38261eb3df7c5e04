/**
 * Where money moves. Each call carries an idempotency key derived from the order and the step
 * (`order-<id>-authorize`, `-void`, `-refund-<n>`), so a retry after a crash or a lost answer
 * reaches the provider as the same request and never charges or refunds twice.
 */
import type { ActivityDeps } from './deps';
import { PaymentProviderError, type AuthorizationResult, type ProviderPaymentStatus } from '../src/integrations/payments';
import { DomainError, ErrorCode } from '../src/domain/errors';
import { describeMoney } from '../src/domain/format';
import { countRefund } from '../src/store/refunds';
import type { RefundOutcome } from '../src/contracts/support';

interface PaymentRow { id: string; status: string; provider_ref: string | null; payment_method: string; currency: string; amount: string; captured_amount: string; refunded_amount: string }

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

export function paymentActivities({ orm, payments }: ActivityDeps) {
  const conn = () => orm.em.fork().getConnection();
  const load = async (orderId: string) =>
    (await conn().execute<PaymentRow[]>('select * from payments where idempotency_key = ?', [paymentKeys.authorize(orderId)]))[0];

  return {
    async authorizePayment(req: { orderId: string; amount: number; currency: string; paymentMethod: string }): Promise<AuthorizationResult> {
      const key = paymentKeys.authorize(req.orderId);
      await conn().execute(
        `insert into payments (order_id, provider, payment_method, idempotency_key, status, amount, currency)
         values (?, ?, ?, ?, 'pending', ?, ?) on conflict (idempotency_key) do nothing`,
        [req.orderId, payments.name, req.paymentMethod, key, req.amount, req.currency]);
      const result = await payments.authorize({ idempotencyKey: key, ...req });
      await conn().execute(
        `update payments set status = ?, provider_ref = ?, failure_code = ?, updated_at = now() where idempotency_key = ?`,
        [result.status, result.providerRef, result.declineCode ?? null, key]);
      return result;
    },

    /** Records what a provider event (webhook, 3-D Secure completion) said about the authorization. */
    async recordPaymentOutcome(orderId: string, status: 'authorized' | 'declined' | 'failed', declineCode?: string): Promise<void> {
      await conn().execute(`update payments set status = ?, failure_code = ?, updated_at = now() where idempotency_key = ?`,
        [status, declineCode ?? null, paymentKeys.authorize(orderId)]);
    },

    /**
     * Undo of authorizePayment: releases a hold that was never captured, or refunds what was
     * captured. When the authorization's answer was lost (no provider reference saved), the same
     * idempotent request is replayed to learn which payment to release.
     */
    async voidOrRefundPayment(orderId: string, reason: string): Promise<{ action: 'none' | 'voided' | 'refunded'; amount: number }> {
      const payment = await load(orderId);
      if (!payment || ['declined', 'failed', 'voided', 'refunded'].includes(payment.status)) return { action: 'none', amount: 0 };
      let providerRef = payment.provider_ref;
      if (!providerRef) {
        // Same key, same parameters: the provider answers with the payment it already made (or makes it now, to release it).
        const replay = await payments.authorize({ idempotencyKey: paymentKeys.authorize(orderId), orderId,
          amount: Number(payment.amount), currency: payment.currency, paymentMethod: payment.payment_method });
        providerRef = replay.providerRef;
      }
      const captured = Number(payment.captured_amount) - Number(payment.refunded_amount);
      if (payment.status === 'captured' && captured > 0) {
        const key = paymentKeys.refund(orderId, 'cancel');
        const { refundRef, status = 'succeeded' } = await payments.refund({ idempotencyKey: key, providerRef, amount: captured });
        const em = orm.em.fork();
        await em.transactional(async (tx) => {
          const ctx = tx.getTransactionContext();
          // A pending refund is counted when the provider's webhook says it succeeded (src/store/refunds.ts).
          const inserted = await tx.getConnection().execute<{ id: string }[]>(
            `insert into refunds (payment_id, idempotency_key, amount, reason, provider_ref, status) values (?, ?, ?, ?, ?, ?)
             on conflict (idempotency_key) do nothing returning id`, [payment.id, key, captured, reason, refundRef, status], 'all', ctx);
          if (inserted.length && status === 'succeeded') {
            await countRefund(tx, payment.id, captured);
          }
        });
        return { action: 'refunded', amount: captured };
      }
      await payments.void({ idempotencyKey: paymentKeys.void(orderId), providerRef });
      await conn().execute(`update payments set status = 'voided', provider_ref = ?, updated_at = now() where id = ?`, [providerRef, payment.id]);
      return { action: 'voided', amount: Number(payment.amount) };
    },

    /**
     * A support refund of captured money, never above what was captured less what is refunded or
     * being refunded. The refund is claimed first (a 'pending' refunds row, written under the
     * payment's row lock, so two refunds at once cannot both fit in the same money), then sent to
     * the provider with its own idempotency key, then recorded; no transaction spans the provider
     * call. A retry finds its claim and repeats the same provider request, which refunds once.
     */
    async refundPayment(req: { orderId: string; amount?: number; reason: string; requestId: string }): Promise<RefundOutcome> {
      const key = paymentKeys.refund(req.orderId, `support-${req.requestId}`);
      const claim = await orm.em.fork().transactional(async (tx) => {
        const c = tx.getConnection();
        const ctx = tx.getTransactionContext();
        const [payment] = await c.execute<PaymentRow[]>('select * from payments where idempotency_key = ? for update', [paymentKeys.authorize(req.orderId)], 'all', ctx);
        if (!payment || !payment.provider_ref || Number(payment.captured_amount) === 0) {
          throw new DomainError(ErrorCode.NothingToRefund, `order ${req.orderId} has not been charged (its payment is ${payment?.status ?? 'missing'}): `
            + 'there is nothing to refund; cancel the order to release an authorization', { orderId: req.orderId });
        }
        const [mine] = await c.execute<RefundRow[]>('select id, amount, status, provider_ref from refunds where idempotency_key = ?', [key], 'all', ctx);
        if (mine && mine.status !== 'failed') return { payment, refund: mine };
        const [{ pending }] = await c.execute<{ pending: string }[]>(
          `select coalesce(sum(amount), 0) as pending from refunds where payment_id = ? and status = 'pending'`, [payment.id], 'all', ctx);
        const left = Number(payment.captured_amount) - Number(payment.refunded_amount) - Number(pending);
        const money = (n: number) => describeMoney(n, payment.currency);
        if (left <= 0) {
          throw new DomainError(ErrorCode.NothingToRefund, `everything captured for order ${req.orderId} (${money(Number(payment.captured_amount))}) `
            + 'has already been refunded', { orderId: req.orderId });
        }
        const amount = req.amount ?? left;
        if (amount > left) {
          throw new DomainError(ErrorCode.RefundExceedsCaptured, `a refund of ${money(amount)} is more than the ${money(left)} left to refund on order `
            + `${req.orderId} (captured ${money(Number(payment.captured_amount))}, refunded ${money(Number(payment.refunded_amount) + Number(pending))})`,
          { orderId: req.orderId, requested: amount, refundable: left });
        }
        const [refund] = await c.execute<RefundRow[]>(
          `insert into refunds (payment_id, idempotency_key, amount, reason, status) values (?, ?, ?, ?, 'pending')
           on conflict (idempotency_key) do update set amount = excluded.amount, status = 'pending', provider_ref = null, failure_reason = null, updated_at = now()
           returning id, amount, status, provider_ref`,
          [payment.id, key, amount, req.reason], 'all', ctx);
        return { payment, refund };
      });
      const { payment, refund } = claim;
      const amount = Number(refund.amount);
      let refundRef = refund.provider_ref ?? '';
      let status: RefundStatus = refund.status === 'succeeded' ? 'succeeded' : 'pending';
      if (refund.status === 'pending') {
        try {
          const answer = await payments.refund({ idempotencyKey: key, providerRef: payment.provider_ref as string, amount });
          refundRef = answer.refundRef;
          status = answer.status ?? 'succeeded';
        } catch (err) {
          // A final "no" frees the claimed amount; a transient failure keeps it for the retry (same key).
          if (err instanceof PaymentProviderError && !err.retryable) {
            await conn().execute(`update refunds set status = 'failed', failure_reason = ?, updated_at = now() where id = ? and status = 'pending'`,
              [err.code, refund.id]);
          }
          throw err;
        }
      }
      if (refund.status === 'pending' && status === 'pending') {
        // Accepted but not settled (Stripe's pending): it stays pending, still held against what can be refunded,
        // until the provider's webhook says it succeeded or failed (src/store/refunds.ts).
        await conn().execute(`update refunds set provider_ref = ?, updated_at = now() where id = ? and status = 'pending'`, [refundRef, refund.id]);
      } else if (refund.status === 'pending') {
        await orm.em.fork().transactional(async (tx) => {
          const ctx = tx.getTransactionContext();
          const done = await tx.getConnection().execute<{ id: string }[]>(
            `update refunds set status = 'succeeded', provider_ref = ?, updated_at = now() where id = ? and status = 'pending' returning id`,
            [refundRef, refund.id], 'all', ctx);
          if (done.length) {
            await countRefund(tx, payment.id, amount);
          }
        });
      }
      const after = await load(req.orderId);
      const [{ pending }] = await conn().execute<{ pending: string }[]>(
        `select coalesce(sum(amount), 0) as pending from refunds where payment_id = ? and status = 'pending'`, [payment.id]);
      return { refunded: amount, currency: payment.currency, capturedAmount: Number(after.captured_amount),
        refundedAmount: Number(after.refunded_amount), refundRef, status, pendingAmount: Number(pending) };
    },

    /** Asks the provider where an authorization stands (support's retry-payment: a 3-D Secure outcome that never reached us). */
    async checkPaymentWithProvider(orderId: string): Promise<{ providerRef: string; status: ProviderPaymentStatus }> {
      const payment = await load(orderId);
      if (!payment?.provider_ref) {
        throw new DomainError(ErrorCode.ActionRefused, `order ${orderId} has no payment at the provider yet`, { orderId });
      }
      if (!payments.retrieve) {
        throw new DomainError(ErrorCode.ActionRefused, `the ${payments.name} payment provider cannot be asked about a payment; nothing was changed`, { orderId });
      }
      return { providerRef: payment.provider_ref, status: await payments.retrieve(payment.provider_ref) };
    },
  };
}

interface RefundRow { id: string; amount: string; status: string; provider_ref: string | null }

type RefundStatus = RefundOutcome['status'];
