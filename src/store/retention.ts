/**
 * Retention of what providers send us (docs/privacy.md#retention). Stripe's events carry the
 * customer's name, e-mail and billing address; Twilio's delivery reports their phone number. Past
 * their retention, a webhook event's payload is emptied and a delivery report's detail dropped; the
 * rows themselves (provider, event or message id) stay, so a redelivery years later is still
 * recognised as one. Bounded batches, each its own transaction, rows locked with SKIP LOCKED so two
 * sweeps at once never wait on each other.
 */
import type { EntityManager } from '@mikro-orm/postgresql';

export async function pruneWebhookPayloads(em: EntityManager, olderThanMs: number, limit: number): Promise<number> {
  const rows = await em.execute<unknown[]>(`update webhook_events set payload = '{}', payload_pruned_at = now()
    where (provider, event_id) in (select provider, event_id from webhook_events
      where payload_pruned_at is null and received_at < now() - make_interval(secs => ?) limit ? for update skip locked)
    returning 1`, [olderThanMs / 1000, limit]);
  return rows.length;
}

export async function pruneDeliveryReports(em: EntityManager, olderThanMs: number, limit: number): Promise<number> {
  const rows = await em.execute<unknown[]>(`update delivery_reports set detail = null, detail_pruned_at = now()
    where (provider, message_id, status) in (select provider, message_id, status from delivery_reports
      where detail_pruned_at is null and received_at < now() - make_interval(secs => ?) limit ? for update skip locked)
    returning 1`, [olderThanMs / 1000, limit]);
  return rows.length;
}
