/**
 * The payments table: one row per order's payment, keyed by the idempotency key of its
 * authorization (activities/payments.ts, paymentKeys) and moved on as the provider answers:
 * pending → authorized | declined | failed → captured | voided → refunded. Refunds counted against it
 * are in src/store/refunds.ts.
 */
import type { EntityManager } from '@mikro-orm/postgresql';

/** A payments row. Amounts are bigint, which pg reads as text: Number() them. */
export interface PaymentRow {
  id: string;
  order_id: string;
  provider: string;
  /** The provider's id of the payment (a PaymentIntent's pi_…); null until the provider answered. */
  provider_ref: string | null;
  payment_method: string;
  idempotency_key: string;
  status: string;
  amount: string;
  captured_amount: string;
  refunded_amount: string;
  currency: string;
  failure_code: string | null;
  /** When the first attempt was recorded, just before the provider was first asked: the idempotency key's lifetime starts here. */
  created_at: string;
}

const COLUMNS = `id, order_id, provider, provider_ref, payment_method, idempotency_key, status, amount, captured_amount,
  refunded_amount, currency, failure_code, created_at`;

/** The order's most recent payment (an order makes one attempt, so its only one); undefined before checkout started it. */
export async function latestPaymentOfOrder(em: EntityManager, orderId: string): Promise<PaymentRow | undefined> {
  const [row] = await em.execute<PaymentRow[]>(`select ${COLUMNS} from payments where order_id = ? order by created_at desc limit 1`, [orderId]);
  return row;
}

/** The payment written under this authorization key. */
export async function paymentByKey(em: EntityManager, idempotencyKey: string): Promise<PaymentRow | undefined> {
  const [row] = await em.execute<PaymentRow[]>(`select ${COLUMNS} from payments where idempotency_key = ?`, [idempotencyKey]);
  return row;
}

/** The same, locked for the rest of the caller's transaction (refunds claim against it). */
export async function lockPaymentByKey(tx: EntityManager, idempotencyKey: string): Promise<PaymentRow | undefined> {
  const [row] = await tx.execute<PaymentRow[]>(`select ${COLUMNS} from payments where idempotency_key = ? for update`, [idempotencyKey]);
  return row;
}

/** A pending payment, before the provider is asked; a retry finds it there and adds nothing. Answers the row, and whether this call made it. */
export async function recordPaymentAttempt(em: EntityManager, p: {
  orderId: string; provider: string; paymentMethod: string; idempotencyKey: string; amount: number; currency: string;
}): Promise<{ payment: PaymentRow; created: boolean }> {
  const made = await em.execute<{ id: string }[]>(
    `insert into payments (order_id, provider, payment_method, idempotency_key, status, amount, currency)
     values (?, ?, ?, ?, 'pending', ?, ?) on conflict (idempotency_key) do nothing returning id`,
    [p.orderId, p.provider, p.paymentMethod, p.idempotencyKey, p.amount, p.currency]);
  return { payment: (await paymentByKey(em, p.idempotencyKey))!, created: made.length > 0 };
}

/** An authorization nobody ever made (its answer was lost, and the provider has none for the order): failed, nothing to release. */
export async function markPaymentNeverMade(em: EntityManager, paymentId: string): Promise<void> {
  await em.execute(`update payments set status = 'failed', failure_code = 'not_at_provider', updated_at = now() where id = ? and status = 'pending'`,
    [paymentId]);
}

/** The provider's answer to the authorization: its status, its id of the payment, and a decline's code. */
export async function recordAuthorization(em: EntityManager, idempotencyKey: string,
  answer: { status: string; providerRef: string | null; declineCode?: string }): Promise<void> {
  await em.execute(`update payments set status = ?, provider_ref = ?, failure_code = ?, updated_at = now() where idempotency_key = ?`,
    [answer.status, answer.providerRef, answer.declineCode ?? null, idempotencyKey]);
}

/** What a later provider event (webhook, 3-D Secure completion) said about the authorization. */
export async function recordPaymentOutcome(em: EntityManager, idempotencyKey: string, status: string, declineCode?: string): Promise<void> {
  await em.execute(`update payments set status = ?, failure_code = ?, updated_at = now() where idempotency_key = ?`,
    [status, declineCode ?? null, idempotencyKey]);
}

export async function markPaymentVoided(em: EntityManager, paymentId: string, providerRef: string): Promise<void> {
  await em.execute(`update payments set status = 'voided', provider_ref = ?, updated_at = now() where id = ?`, [providerRef, paymentId]);
}

/** An authorized payment becomes captured; a second call (a retry) finds it captured and changes nothing. */
export async function markPaymentCaptured(em: EntityManager, paymentId: string, capturedAmount: number): Promise<void> {
  await em.execute(`update payments set status = 'captured', captured_amount = ?, updated_at = now() where id = ? and status = 'authorized'`,
    [capturedAmount, paymentId]);
}
