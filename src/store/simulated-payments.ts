/**
 * The simulated payment provider's own ledger (src/integrations/simulated/payments.ts), standing in
 * for Stripe's side: its PaymentIntents (simulated_payment_intents, Stripe's statuses) and the calls
 * made to it by idempotency key (simulated_provider_calls), so a repeated call answers as Stripe would.
 */
import type { EntityManager } from '@mikro-orm/postgresql';

/** A simulated_payment_intents row (amounts bigint, read as text). */
export interface IntentRow {
  id: string; idempotency_key: string; amount: string; currency: string; payment_method: string; status: string;
  amount_captured: string; amount_refunded: string; metadata: { orderId: string };
}

const COLUMNS = 'id, idempotency_key, amount, currency, payment_method, status, amount_captured, amount_refunded, metadata';

/** Counts a call under its key; answers how many there have been (1 for the first). */
export async function countProviderCall(em: EntityManager, key: string, operation: string): Promise<number> {
  const [row] = await em.execute<{ attempts: number }[]>(
    `insert into simulated_provider_calls (idempotency_key, operation, attempts) values (?, ?, 1)
     on conflict (idempotency_key) do update set attempts = simulated_provider_calls.attempts + 1 returning attempts`, [key, operation]);
  return row.attempts;
}

/** The intent made under this key: created now, or the one a call with the same key made before. */
export async function intentOnce(em: EntityManager, i: {
  id: string; idempotencyKey: string; amount: number; currency: string; paymentMethod: string; status: string; orderId: string;
}): Promise<IntentRow> {
  await em.execute(
    `insert into simulated_payment_intents (id, idempotency_key, amount, currency, payment_method, status, metadata)
     values (?, ?, ?, ?, ?, ?, ?) on conflict (idempotency_key) do nothing`,
    [i.id, i.idempotencyKey, i.amount, i.currency, i.paymentMethod, i.status, JSON.stringify({ orderId: i.orderId })]);
  const [row] = await em.execute<IntentRow[]>(`select ${COLUMNS} from simulated_payment_intents where idempotency_key = ?`, [i.idempotencyKey]);
  return row;
}

export async function intentById(em: EntityManager, id: string): Promise<IntentRow | undefined> {
  const [row] = await em.execute<IntentRow[]>(`select ${COLUMNS} from simulated_payment_intents where id = ?`, [id]);
  return row;
}

/** The newest intent made for an order (its id in the metadata, as Stripe keeps it). */
export async function intentOfOrder(em: EntityManager, orderId: string): Promise<IntentRow | undefined> {
  const [row] = await em.execute<IntentRow[]>(
    `select ${COLUMNS} from simulated_payment_intents where metadata->>'orderId' = ? order by created_at desc limit 1`, [orderId]);
  return row;
}

/** Captures `amount` of an authorized intent (again: the same amount); undefined when the intent cannot be captured. */
export async function captureIntent(em: EntityManager, id: string, amount: number): Promise<IntentRow | undefined> {
  const [row] = await em.execute<IntentRow[]>(
    `update simulated_payment_intents set status = 'succeeded', amount_captured = ?, updated_at = now()
      where id = ? and (status = 'requires_capture' or (status = 'succeeded' and amount_captured = ?)) and ? <= amount returning ${COLUMNS}`,
    [amount, id, amount, amount]);
  return row;
}

/** Cancels an intent not captured (again: no change); undefined when it cannot be. */
export async function cancelIntent(em: EntityManager, id: string): Promise<IntentRow | undefined> {
  const [row] = await em.execute<IntentRow[]>(
    `update simulated_payment_intents set status = 'canceled', updated_at = now()
      where id = ? and status in ('requires_capture', 'requires_action', 'requires_payment_method', 'canceled') returning ${COLUMNS}`, [id]);
  return row;
}

/**
 * Refunds `amount` of a captured intent once per key, in one transaction: a repeat answers the first
 * refund's id; undefined when the intent has not that much captured and unrefunded.
 */
export async function refundIntentOnce(em: EntityManager, r: { key: string; id: string; amount: number; refundRef: string })
  : Promise<{ refundRef: string } | undefined> {
  return em.transactional(async (tx) => {
    const [done] = await tx.execute<{ result: { refundRef: string } }[]>(
      'select result from simulated_provider_calls where idempotency_key = ? and result is not null', [r.key]);
    if (done) return done.result;
    const rows = await tx.execute<{ id: string }[]>(
      `update simulated_payment_intents set amount_refunded = amount_refunded + ?, updated_at = now()
        where id = ? and status = 'succeeded' and amount_refunded + ? <= amount_captured returning id`, [r.amount, r.id, r.amount]);
    if (rows.length === 0) return undefined;
    const result = { refundRef: r.refundRef };
    await tx.execute(
      `insert into simulated_provider_calls (idempotency_key, operation, attempts, result) values (?, 'refund', 1, ?)
       on conflict (idempotency_key) do update set result = excluded.result`, [r.key, JSON.stringify(result)]);
    return result;
  });
}

/** The customer finished (or failed) 3-D Secure: a waiting intent moves to `status`; undefined when it was not waiting. */
export async function completeIntentAction(em: EntityManager, id: string, status: string): Promise<IntentRow | undefined> {
  const [row] = await em.execute<IntentRow[]>(
    `update simulated_payment_intents set status = ?, updated_at = now() where id = ? and status = 'requires_action' returning ${COLUMNS}`, [status, id]);
  return row;
}
