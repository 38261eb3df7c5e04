import { Migration } from '@mikro-orm/migrations';

/** Fulfillment bookkeeping and the notices support sees (e.g. a parcel that stopped moving). */
export class Migration20261126090000_fulfillment extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table fulfillments (
        order_id uuid primary key references orders(id) on delete cascade,
        warehouse text not null,
        status text not null check (status in ('allocated', 'packed', 'labelled', 'shipped', 'cancelled')),
        packed_by text,
        allocated_at timestamptz not null default now(),
        packed_at timestamptz,
        shipped_at timestamptz
      );`);
    this.addSql(`create unique index shipments_one_per_order_idx on shipments (order_id);`);
    this.addSql(`
      create table support_notices (
        id uuid primary key default gen_random_uuid(),
        kind text not null,
        order_id uuid references orders(id) on delete cascade,
        shipment_id uuid references shipments(id) on delete cascade,
        message text not null,
        created_at timestamptz not null default now(),
        resolved_at timestamptz
      );`);
    // One open notice of a kind per shipment: a retried activity or a second stall does not pile up duplicates.
    this.addSql(`create unique index support_notices_open_idx on support_notices (kind, shipment_id) where resolved_at is null;`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists support_notices;');
    this.addSql('drop index if exists shipments_one_per_order_idx;');
    this.addSql('drop table if exists fulfillments;');
  }
}
