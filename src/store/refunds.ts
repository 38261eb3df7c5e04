/**
 * Refunds of captured money: one row per refund request (unique by its idempotency key), held
 * against what can be refunded while 'pending', counted in the payment's refunded_amount once
 * 'succeeded', and refundable again once 'failed'.
 *
 * Support's refunds are claimed first (claimRefund, under the payment's row lock, so two refunds at
 * once cannot both fit in the same money), then sent to the provider, then settled here; the
 * provider's later answer (Stripe: refund.updated, refund.failed, charge.refund.updated) settles a
 * pending one (applyRefundReport):
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
import type { EntityManager } from '@mikro-orm/postgresql';
import { describeMoney } from '../domain/format';
import { assertCharged, refundAmount } from '../domain/support';
import { DomainError, ErrorCode } from '../domain/errors';
import { refundLines, type LineRefundRequest } from '../domain/line-refunds';
import { breakdownOfOrder, linesOfOrder, orderById } from './orders';
import { lockPaymentByKey, type PaymentRow } from './payments';
import { raiseRefundFailedNotice } from './support';

/** A refunds row (amount is bigint, read as text). */
export interface RefundRow {
  id: string;
  payment_id: string;
  idempotency_key: string;
  amount: string;
  reason: string;
  provider_ref: string | null;
  status: 'pending' | 'succeeded' | 'failed';
  failure_reason: string | null;
}

export interface RefundReport {
  /** The provider's refund id (refunds.provider_ref). */
  refundRef: string;
  /**
   * The idempotency key the refund was made under, as the provider keeps it (Stripe: the refund's metadata): the
   * row of a refund whose id is not saved yet (the webhook beat the activity's bookkeeping) is found by it.
   */
  idempotencyKey?: string;
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

export type ClaimedRefund = Pick<RefundRow, 'id' | 'amount' | 'status' | 'provider_ref'>;

/**
 * A refund that went through counts in its payment's refunded_amount (inside the caller's
 * transaction); the payment reads refunded once nothing captured is left. The one place this is written.
 */
async function countRefund(tx: EntityManager, paymentId: string, amount: number): Promise<void> {
  await tx.execute(`update payments set refunded_amount = refunded_amount + ?,
      status = case when refunded_amount + ? >= captured_amount then 'refunded' else status end, updated_at = now() where id = ?`,
  [amount, amount, paymentId]);
}

/** What refunds still pending at the provider hold of a payment. */
export async function pendingRefundTotal(em: EntityManager, paymentId: string): Promise<number> {
  const [{ pending }] = await em.execute<{ pending: string }[]>(
    `select coalesce(sum(amount), 0) as pending from refunds where payment_id = ? and status = 'pending'`, [paymentId]);
  return Number(pending);
}

/**
 * Claims a support refund: under the payment's row lock, a 'pending' refunds row of the amount asked
 * for or of all that is left (src/domain/support.ts decides, and refuses). A retry with the same
 * refund key finds its claim and gets it back, unless it failed: then the claim is made again.
 */
export async function claimRefund(em: EntityManager, req: {
  orderId: string; paymentKey: string; refundKey: string; amount?: number; lines?: LineRefundRequest[]; reason: string;
})
  : Promise<{ payment: PaymentRow; refund: ClaimedRefund }> {
  return em.transactional(async (tx) => {
    const payment = await lockPaymentByKey(tx, req.paymentKey);
    assertCharged(req.orderId, payment && { status: payment.status, providerRef: payment.provider_ref, captured: Number(payment.captured_amount) });
    const charged = payment as PaymentRow;
    const [mine] = await tx.execute<ClaimedRefund[]>('select id, amount, status, provider_ref from refunds where idempotency_key = ?', [req.refundKey]);
    if (mine && mine.status !== 'failed') return { payment: charged, refund: mine };
    const byLines = req.lines && await priceLineRefund(tx, req.orderId, charged.id, req.lines);
    const amount = refundAmount(req.orderId, { captured: Number(charged.captured_amount), refunded: Number(charged.refunded_amount),
      pending: await pendingRefundTotal(tx, charged.id), currency: charged.currency }, byLines ? byLines.amount : req.amount);
    const [refund] = await tx.execute<ClaimedRefund[]>(
      `insert into refunds (payment_id, idempotency_key, amount, reason, status) values (?, ?, ?, ?, 'pending')
       on conflict (idempotency_key) do update set amount = excluded.amount, status = 'pending', provider_ref = null, failure_reason = null, updated_at = now()
       returning id, amount, status, provider_ref`,
      [charged.id, req.refundKey, amount, req.reason]);
    if (byLines) {
      await tx.execute('delete from refund_lines where refund_id = ?', [refund.id]);
      await tx.execute(`insert into refund_lines (refund_id, sku, quantity, amount) values ${byLines.lines.map(() => '(?, ?, ?, ?)').join(', ')}`,
        byLines.lines.flatMap((l) => [refund.id, l.sku, l.quantity, l.amount]));
    }
    return { payment: charged, refund };
  });
}

/**
 * What refunding these lines gives back, priced from the order's breakdown (src/domain/line-refunds.ts)
 * against the quantities its refunds that have not failed already hold; called under the payment's
 * row lock, so two line refunds at once take turns and cannot refund one unit twice.
 */
async function priceLineRefund(tx: EntityManager, orderId: string, paymentId: string, lines: LineRefundRequest[]) {
  const order = await orderById(tx, orderId);
  if (!order) throw new DomainError(ErrorCode.OrderNotFound, `Order ${orderId} does not exist.`, { orderId });
  const breakdown = breakdownOfOrder(order, await linesOfOrder(tx, orderId));
  const rows = await tx.execute<{ sku: string; quantity: number }[]>(`select rl.sku, sum(rl.quantity)::int as quantity from refund_lines rl
    join refunds r on r.id = rl.refund_id where r.payment_id = ? and r.status <> 'failed' group by rl.sku`, [paymentId]);
  return refundLines(orderId, breakdown.lines, Object.fromEntries(rows.map((r) => [r.sku, r.quantity])), lines);
}

/** The provider said no for good: the claimed amount is refundable again. */
export async function failRefundClaim(em: EntityManager, refundId: string, reason: string): Promise<void> {
  await em.execute(`update refunds set status = 'failed', failure_reason = ?, updated_at = now() where id = ? and status = 'pending'`, [reason, refundId]);
}

/** The provider accepted the refund but has not settled it (Stripe's pending): it stays held until applyRefundReport. */
export async function recordRefundAccepted(em: EntityManager, refundId: string, refundRef: string): Promise<void> {
  await em.execute(`update refunds set provider_ref = ?, updated_at = now() where id = ? and status = 'pending'`, [refundRef, refundId]);
}

/** The provider refunded it: succeeded and counted in the payment, once (a second call finds it settled). */
export async function recordRefundSucceeded(em: EntityManager, refund: { id: string; paymentId: string; amount: number; refundRef: string }): Promise<void> {
  await em.transactional(async (tx) => {
    const done = await tx.execute<{ id: string }[]>(
      `update refunds set status = 'succeeded', provider_ref = ?, updated_at = now() where id = ? and status = 'pending' returning id`,
      [refund.refundRef, refund.id]);
    if (done.length) await countRefund(tx, refund.paymentId, refund.amount);
  });
}

/**
 * The refund of a cancelled order's captured money (the saga's compensation), claimed before the
 * provider is asked, like support's: a webhook about it that arrives before its id is saved finds it
 * by its idempotency key (applyRefundReport). A retry finds its claim; recordRefundSucceeded and
 * recordRefundAccepted settle it once.
 */
export async function claimCancellationRefund(em: EntityManager, r: { paymentId: string; idempotencyKey: string; amount: number; reason: string })
  : Promise<ClaimedRefund> {
  await em.execute(
    `insert into refunds (payment_id, idempotency_key, amount, reason, status) values (?, ?, ?, ?, 'pending') on conflict (idempotency_key) do nothing`,
    [r.paymentId, r.idempotencyKey, r.amount, r.reason]);
  const [claim] = await em.execute<ClaimedRefund[]>('select id, amount, status, provider_ref from refunds where idempotency_key = ?', [r.idempotencyKey]);
  return claim;
}

interface ReportedRefund { id: string; amount: string; status: string; payment_id: string; order_id: string; currency: string }

export async function applyRefundReport(em: EntityManager, report: RefundReport): Promise<{ outcome: RefundOutcome; orderId?: string; refundId?: string }> {
  return em.transactional(async (tx) => {
    const [row] = await tx.execute<ReportedRefund[]>(
      `select r.id, r.amount, r.status, r.payment_id, p.order_id, p.currency from refunds r join payments p on p.id = r.payment_id
        where r.provider_ref = ? or (r.provider_ref is null and r.idempotency_key = ?) order by r.provider_ref nulls last limit 1 for update of r, p`,
      [report.refundRef, report.idempotencyKey ?? null]);
    if (!row) return { outcome: 'unknown_refund' };
    // Found by its key: the provider's id is saved now, so the activity's own bookkeeping that follows finds it settled.
    await tx.execute('update refunds set provider_ref = ? where id = ? and provider_ref is null', [report.refundRef, row.id]);
    const ids = { orderId: row.order_id, refundId: row.id };
    const amount = Number(row.amount);
    const failed = report.status === 'failed' || report.status === 'canceled';
    if (report.status === 'succeeded' && row.status === 'pending') {
      await tx.execute(`update refunds set status = 'succeeded', updated_at = now() where id = ?`, [row.id]);
      await countRefund(tx, row.payment_id, amount);
      return { outcome: 'refund_succeeded', ...ids };
    }
    if (failed && row.status !== 'failed') {
      await refundFailedAtProvider(tx, row, report);
      return { outcome: 'refund_failed', ...ids };
    }
    return { outcome: 'refund_unchanged', ...ids };
  });
}

/** The refund is failed with the provider's reason, taken back out of the payment if it had counted, and support is told. */
async function refundFailedAtProvider(tx: EntityManager, row: ReportedRefund, report: RefundReport): Promise<void> {
  const amount = Number(row.amount);
  const reason = report.failureReason || report.status;
  await tx.execute(`update refunds set status = 'failed', failure_reason = ?, updated_at = now() where id = ?`, [reason, row.id]);
  if (row.status === 'succeeded') {
    await tx.execute(`update payments set refunded_amount = refunded_amount - ?,
        status = case when status = 'refunded' then 'captured' else status end, updated_at = now() where id = ?`,
    [amount, row.payment_id]);
  }
  const money = describeMoney(amount, row.currency);
  const message = `The refund of ${money} on order ${row.order_id} (Stripe refund ${report.refundRef}) ${report.status === 'canceled' ? 'was cancelled' : 'failed'}`
    + ` at the provider: ${reason}. No money went back to the customer, and ${money} can be refunded again. Refund it again `
    + `(npm run support -- refund ${row.order_id} --amount ${money.split(' ')[0]} --reason "…"), or contact the customer `
    + 'for another way to pay them back (their card may be closed or expired), then resolve this notice.';
  await raiseRefundFailedNotice(tx, { orderId: row.order_id, refundId: row.id, message });
}
