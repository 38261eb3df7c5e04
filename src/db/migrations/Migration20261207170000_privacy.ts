import { Migration } from '@mikro-orm/migrations';

/**
 * Privacy (docs/privacy.md). A customer's erasure: `erasure_requested_at` closes the account at once
 * (no sign-in, no password reset), `erased_at` says its personal data is gone; `erasures` records
 * that an erasure was asked for, by whom (the customer, or a staff account by name), what became of
 * it and how many rows it changed, and never any personal data. Retention: a provider's webhook
 * payload and a delivery report's detail are emptied once older than their retention, the rows
 * (their ids) kept so a late redelivery is still recognised.
 */
export class Migration20261207170000_privacy extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table customers add column erasure_requested_at timestamptz, add column erased_at timestamptz,
      add constraint customers_erased_after_request check (erased_at is null or erasure_requested_at is not null);`);
    this.addSql(`
      create table erasures (
        customer_id uuid primary key references customers(id),
        requested_by text not null check (requested_by = 'customer' or requested_by ~ '^staff:[^[:space:]]{1,64}$'),
        requested_at timestamptz not null default now(),
        status text not null default 'waiting' check (status in ('waiting', 'erased', 'withdrawn')),
        decided_by text check (decided_by is null or decided_by ~ '^staff:[^[:space:]]{1,64}$'),
        erased_at timestamptz,
        rows_changed jsonb not null default '{}',
        constraint erasures_erased_when check ((status = 'erased') = (erased_at is not null))
      );`);
    this.addSql(`alter table webhook_events add column payload_pruned_at timestamptz;`);
    this.addSql(`create index webhook_events_unpruned_idx on webhook_events (received_at) where payload_pruned_at is null;`);
    this.addSql(`alter table delivery_reports add column detail_pruned_at timestamptz;`);
    this.addSql(`create index delivery_reports_unpruned_idx on delivery_reports (received_at) where detail_pruned_at is null;`);
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists delivery_reports_unpruned_idx;');
    this.addSql('alter table delivery_reports drop column detail_pruned_at;');
    this.addSql('drop index if exists webhook_events_unpruned_idx;');
    this.addSql('alter table webhook_events drop column payload_pruned_at;');
    this.addSql('drop table if exists erasures;');
    this.addSql('alter table customers drop constraint customers_erased_after_request, drop column erased_at, drop column erasure_requested_at;');
  }
}
