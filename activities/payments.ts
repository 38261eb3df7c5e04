/**
 * Where money moves. Each call carries an idempotency key derived from the order and the step
 * (`order-<id>-authorize`, `-void`, `-refund-<n>`), so a retry after a crash or a lost answer
 * reaches the provider as the same request and never charges or refunds twice.
 */
import type { ActivityDeps } from './index';
import type { AuthorizationResult } from '../src/integrations/payments';

interface PaymentRow { id: string; status: string; provider_ref: string | null; payment_method: string; currency: string; amount: string; captured_amount: string; refunded_amount: string }

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
        const { refundRef } = await payments.refund({ idempotencyKey: key, providerRef, amount: captured });
        const em = orm.em.fork();
        await em.transactional(async (tx) => {
          const ctx = tx.getTransactionContext();
          const inserted = await tx.getConnection().execute<{ id: string }[]>(
            `insert into refunds (payment_id, idempotency_key, amount, reason, provider_ref, status) values (?, ?, ?, ?, ?, 'succeeded')
             on conflict (idempotency_key) do nothing returning id`, [payment.id, key, captured, reason, refundRef], 'all', ctx);
          if (inserted.length) {
            await tx.getConnection().execute(`update payments set refunded_amount = refunded_amount + ?, status = 'refunded', updated_at = now() where id = ?`,
              [captured, payment.id], 'run', ctx);
          }
        });
        return { action: 'refunded', amount: captured };
      }
      await payments.void({ idempotencyKey: paymentKeys.void(orderId), providerRef });
      await conn().execute(`update payments set status = 'voided', provider_ref = ?, updated_at = now() where id = ?`, [providerRef, payment.id]);
      return { action: 'voided', amount: Number(payment.amount) };
    },
  };
}
