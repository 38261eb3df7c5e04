import { Migration } from '@mikro-orm/migrations';

/**
 * Real providers: the notification outbox and the webhook log.
 *
 * notifications: 'sending' is the claim an attempt commits before it calls the provider (a retry
 * that finds a stale claim knows a send may have happened, and does not send again); 'skipped' is
 * a message that will never go (e.g. a phone number that is not E.164), with the reason in
 * last_error. Delivery callbacks (Twilio) find their row by the provider's message id.
 *
 * webhook_events: processed_at is set once an event has been handled (delivered to its workflow,
 * or found to have none); a redelivery of a handled event is a no-op, one that was not handled
 * (Temporal was briefly unreachable) is handled again.
 */
export class Migration20261126130000_providers extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table notifications drop constraint notifications_status_check;`);
    this.addSql(`alter table notifications add constraint notifications_status_check
      check (status in ('pending', 'sending', 'sent', 'failed', 'delivered', 'undelivered', 'skipped'));`);
    this.addSql(`alter table notifications add column claimed_at timestamptz, add column delivered_at timestamptz;`);
    this.addSql(`create index notifications_provider_message_idx on notifications (provider, provider_message_id) where provider_message_id is not null;`);
    this.addSql(`alter table webhook_events add column processed_at timestamptz, add column outcome text;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table webhook_events drop column if exists outcome, drop column if exists processed_at;`);
    this.addSql(`drop index if exists notifications_provider_message_idx;`);
    this.addSql(`alter table notifications drop column if exists delivered_at, drop column if exists claimed_at;`);
    this.addSql(`update notifications set status = 'failed' where status in ('sending', 'skipped');`);
    this.addSql(`alter table notifications drop constraint notifications_status_check;`);
    this.addSql(`alter table notifications add constraint notifications_status_check
      check (status in ('pending', 'sent', 'failed', 'delivered', 'undelivered'));`);
  }
}
