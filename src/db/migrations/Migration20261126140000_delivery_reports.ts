import { Migration } from '@mikro-orm/migrations';

/**
 * Final delivery reports of providers (Twilio's delivered / undelivered), kept as they arrive. A
 * report can reach us before the send that it reports is recorded (the provider calls back within
 * milliseconds; the outbox row is marked sent right after the provider answers): kept here, it is
 * applied when the row is marked sent (src/store/delivery-reports.ts) instead of being dropped.
 */
export class Migration20261126140000_delivery_reports extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table delivery_reports (
      provider text not null,
      message_id text not null,
      status text not null check (status in ('delivered', 'undelivered')),
      detail text,
      received_at timestamptz not null default now(),
      primary key (provider, message_id, status)
    );`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists delivery_reports;`);
  }
}
