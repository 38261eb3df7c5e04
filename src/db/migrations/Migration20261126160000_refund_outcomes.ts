import { Migration } from '@mikro-orm/migrations';

/**
 * A refund Stripe accepts as pending can still fail days later (refund.failed, charge.refund.updated):
 * a refund row now keeps why it failed and when its status last moved, and is found by Stripe's
 * refund id. Support's notices can point at a refund, one open notice per failed refund.
 */
export class Migration20261126160000_refund_outcomes extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table refunds add column failure_reason text, add column updated_at timestamptz not null default now();`);
    this.addSql(`alter table refunds add constraint refunds_status_check check (status in ('pending', 'succeeded', 'failed'));`);
    this.addSql(`create unique index refunds_provider_ref_idx on refunds (provider_ref) where provider_ref is not null;`);
    this.addSql(`alter table support_notices add column refund_id uuid references refunds(id) on delete cascade;`);
    this.addSql(`create unique index support_notices_refund_idx on support_notices (kind, refund_id) where refund_id is not null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists support_notices_refund_idx;`);
    this.addSql(`alter table support_notices drop column refund_id;`);
    this.addSql(`drop index if exists refunds_provider_ref_idx;`);
    this.addSql(`alter table refunds drop constraint refunds_status_check;`);
    this.addSql(`alter table refunds drop column failure_reason, drop column updated_at;`);
  }
}
