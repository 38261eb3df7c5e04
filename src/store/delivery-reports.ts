/**
 * Providers' final delivery reports (Twilio's delivered / undelivered) and the outbox rows they
 * finish. A report is kept first, then applied to its row if that row is marked sent; marking a
 * row sent applies any report that came first (src/store/notifications.ts markMessageSent).
 * Whichever of the two commits last applies it, so a report racing ahead of our own bookkeeping is
 * never lost, and a late report never undoes a final state (only a 'sent' row moves).
 */
import type { EntityManager } from '@mikro-orm/postgresql';

export interface DeliveryReport {
  provider: string;
  messageId: string;
  status: 'delivered' | 'undelivered';
  /** What the provider said, for the row's last_error when undelivered. */
  detail?: string;
}

export async function keepDeliveryReport(em: EntityManager, report: DeliveryReport): Promise<void> {
  await em.execute(
    `insert into delivery_reports (provider, message_id, status, detail) values (?, ?, ?, ?)
     on conflict (provider, message_id, status) do nothing`,
    [report.provider, report.messageId, report.status, report.detail ?? null]);
}

/** Applies the newest kept report of this message to its outbox row, if the row is 'sent'; returns the rows moved. */
export async function applyDeliveryReport(em: EntityManager, provider: string, messageId: string): Promise<{ id: string; order_id: string | null }[]> {
  return em.execute<{ id: string; order_id: string | null }[]>(
    `update notifications n
        set status = r.status,
            delivered_at = case when r.status = 'delivered' then r.received_at else n.delivered_at end,
            last_error = case when r.status = 'undelivered' then r.detail else n.last_error end
       from (select status, detail, received_at from delivery_reports where provider = ? and message_id = ?
              order by received_at desc limit 1) r
      where n.provider = ? and n.provider_message_id = ? and n.status = 'sent'
      returning n.id, n.order_id`,
    [provider, messageId, provider, messageId]);
}
