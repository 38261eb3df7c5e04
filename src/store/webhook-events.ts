/**
 * Webhook events we received, once per (provider, event id): Stripe's payment and refund events
 * and the carrier's scans. A redelivery finds its row and is answered without acting twice.
 */
import type { EntityManager } from '@mikro-orm/postgresql';

export interface WebhookEvent { provider: string; eventId: string; type: string; payload: unknown }

/**
 * Keeps the event; false when it was handled before. An event kept but never marked processed
 * (its handling failed) counts as new, so the provider's redelivery finishes the job.
 */
export async function keepWebhookEvent(em: EntityManager, e: WebhookEvent): Promise<boolean> {
  await em.execute(`insert into webhook_events (provider, event_id, type, payload) values (?, ?, ?, ?)
    on conflict (provider, event_id) do nothing`, [e.provider, e.eventId, e.type, JSON.stringify(e.payload)]);
  const [row] = await em.execute<{ processed_at: string | null }[]>(
    'select processed_at from webhook_events where provider = ? and event_id = ?', [e.provider, e.eventId]);
  return row.processed_at === null;
}

/** The event was handled, with what came of it (kept for support to read). */
export async function markWebhookEventProcessed(em: EntityManager, provider: string, eventId: string, outcome: string): Promise<void> {
  await em.execute('update webhook_events set processed_at = now(), outcome = ? where provider = ? and event_id = ?', [outcome, provider, eventId]);
}

/**
 * Keeps the event and runs `handle` in the same transaction: if `handle` throws, the row goes too
 * and the provider's retry gets through; a concurrent redelivery waits on the row and is answered
 * 'duplicate', as is one that comes after.
 */
export async function handleWebhookEventOnce<T>(em: EntityManager, e: WebhookEvent, handle: () => Promise<T>): Promise<T | 'duplicate'> {
  return em.transactional(async (tx) => {
    const kept = await tx.execute<{ event_id: string }[]>(
      `insert into webhook_events (provider, event_id, type, payload) values (?, ?, ?, ?)
       on conflict (provider, event_id) do nothing returning event_id`,
      [e.provider, e.eventId, e.type, JSON.stringify(e.payload)]);
    if (kept.length === 0) return 'duplicate' as const;
    return handle();
  });
}
