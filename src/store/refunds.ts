/**
 * A refund's later outcome, as the provider reports it (Stripe: refund.updated, refund.failed,
 * charge.refund.updated). A refund Stripe accepted as pending is held against what can be refunded
 * but not counted as refunded; the provider's answer settles it:
 *
 * - succeeded: the row becomes succeeded and its amount is counted in the payment's refunded_amount.
 * - failed or canceled: the row becomes failed with the provider's reason, its amount is refundable
 *   again, and support gets a refund_failed notice (refund again, or reach the customer). Stripe can
 *   also fail a refund it had reported succeeded; then the amount is taken back out of refunded_amount.
 *
 * Failed is final: a late or out-of-order "succeeded" or "pending" for a failed refund changes nothing,
 * and "pending" never moves a settled refund back. Everything happens in one transaction under the
 * refund row's lock, so two events for the same refund at once apply one after the other.
 */
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { describeMoney } from '../domain/format';

export interface RefundReport {
  /** The provider's refund id (refunds.provider_ref). */
  refundRef: string;
  /** The provider's status for it now (Stripe: pending, requires_action, succeeded, failed, canceled). */
  status: string;
  failureReason?: string | null;
}

/**
 * - unknown_refund: no refund of ours has this id (made elsewhere, or by an older system): nothing changed
 * - refund_succeeded / refund_failed: the row moved to that state
 * - refund_unchanged: the row already says this, or is failed for good (a stale event)
 */
export type RefundOutcome = 'unknown_refund' | 'refund_succeeded' | 'refund_failed' | 'refund_unchanged';

interface Row { id: string; amount: string; status: string; payment_id: string; order_id: string; currency: string }

/**
 * A refund that went through counts in its payment's refunded_amount (inside the caller's
 * transaction); the payment reads refunded once nothing captured is left. The one place this is
 * written: the refund activities (activities/payments.ts) and the provider's later answer below.
 */
export async function countRefund(tx: EntityManager, paymentId: string, amount: number): Promise<void> {
  await tx.getConnection().execute(`update payments set refunded_amount = refunded_amount + ?,
      status = case when refunded_amount + ? >= captured_amount then 'refunded' else status end, updated_at = now() where id = ?`,
  [amount, amount, paymentId], 'run', tx.getTransactionContext());
}

export async function applyRefundReport(orm: MikroORM, report: RefundReport): Promise<{ outcome: RefundOutcome; orderId?: string; refundId?: string }> {
  return orm.em.fork().transactional(async (tx) => {
    const c = tx.getConnection();
    const ctx = tx.getTransactionContext();
    const [row] = await c.execute<Row[]>(
      `select r.id, r.amount, r.status, r.payment_id, p.order_id, p.currency from refunds r join payments p on p.id = r.payment_id
        where r.provider_ref = ? for update of r, p`, [report.refundRef], 'all', ctx);
    if (!row) return { outcome: 'unknown_refund' };
    const ids = { orderId: row.order_id, refundId: row.id };
    const amount = Number(row.amount);
    const failed = report.status === 'failed' || report.status === 'canceled';
    if (report.status === 'succeeded' && row.status === 'pending') {
      await c.execute(`update refunds set status = 'succeeded', updated_at = now() where id = ?`, [row.id], 'run', ctx);
      await countRefund(tx, row.payment_id, amount);
      return { outcome: 'refund_succeeded', ...ids };
    }
    if (failed && row.status !== 'failed') {
      const reason = report.failureReason || report.status;
      await c.execute(`update refunds set status = 'failed', failure_reason = ?, updated_at = now() where id = ?`, [reason, row.id], 'run', ctx);
      if (row.status === 'succeeded') {
        await c.execute(`update payments set refunded_amount = refunded_amount - ?,
            status = case when status = 'refunded' then 'captured' else status end, updated_at = now() where id = ?`,
        [amount, row.payment_id], 'run', ctx);
      }
      const money = describeMoney(amount, row.currency);
      const message = `The refund of ${money} on order ${row.order_id} (Stripe refund ${report.refundRef}) ${report.status === 'canceled' ? 'was cancelled' : 'failed'}`
        + ` at the provider: ${reason}. No money went back to the customer, and ${money} can be refunded again. Refund it again `
        + `(npm run support -- refund ${row.order_id} --amount ${money.split(' ')[0]} --reason "…"), or contact the customer `
        + 'for another way to pay them back (their card may be closed or expired), then resolve this notice.';
      await c.execute(`insert into support_notices (kind, order_id, refund_id, message) values ('refund_failed', ?, ?, ?)
        on conflict (kind, refund_id) where refund_id is not null do nothing`, [row.order_id, row.id, message], 'run', ctx);
      return { outcome: 'refund_failed', ...ids };
    }
    return { outcome: 'refund_unchanged', ...ids };
  });
}
