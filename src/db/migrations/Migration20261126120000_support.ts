import { Migration } from '@mikro-orm/migrations';

/**
 * Support's audit trail and the cart sweep's run log.
 *
 * support_actions: one row per support action (CLI or staff route), written before the action is
 * sent to the order's workflow (outcome 'pending') and completed with what came of it, so a
 * crash in between still leaves a visible trace. Order and shipment ids are plain columns, not
 * foreign keys: the audit trail outlives the rows it talks about.
 *
 * cart_sweep_runs: what each cart-expiry sweep did, one row per workflow run (a retried record
 * activity finds its row and adds nothing).
 */
export class Migration20261126120000_support extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table support_actions (
        id uuid primary key default gen_random_uuid(),
        order_id uuid,
        shipment_id uuid,
        action text not null,
        actor text not null check (length(actor) between 1 and 200),
        via text not null check (via in ('cli', 'api')),
        reason text not null default '',
        request jsonb not null default '{}',
        outcome text not null default 'pending' check (outcome in ('pending', 'done', 'refused', 'not_found', 'failed')),
        outcome_detail text,
        requested_at timestamptz not null default now(),
        completed_at timestamptz,
        constraint support_actions_has_subject check (order_id is not null or shipment_id is not null)
      );`);
    this.addSql(`create index support_actions_order_idx on support_actions (order_id, requested_at);`);
    this.addSql(`create index support_actions_shipment_idx on support_actions (shipment_id, requested_at) where shipment_id is not null;`);

    this.addSql(`
      create table cart_sweep_runs (
        workflow_run_id text primary key,
        workflow_id text not null,
        as_of timestamptz not null,
        reminded int not null check (reminded >= 0),
        reminder_failures int not null default 0 check (reminder_failures >= 0),
        expired int not null check (expired >= 0),
        deleted int not null check (deleted >= 0),
        recorded_at timestamptz not null default now()
      );`);
    this.addSql(`create index cart_sweep_runs_recorded_idx on cart_sweep_runs (recorded_at desc);`);
    // The sweep looks for reminder candidates among active carts of known customers.
    this.addSql(`create index carts_reminder_idx on carts (updated_at) where status = 'active' and reminder_sent_at is null and customer_id is not null;`);
    this.addSql(`create index carts_expired_idx on carts (updated_at) where status = 'expired';`);
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists carts_expired_idx;');
    this.addSql('drop index if exists carts_reminder_idx;');
    this.addSql('drop table if exists cart_sweep_runs;');
    this.addSql('drop table if exists support_actions;');
  }
}
