import { Migration } from '@mikro-orm/migrations';

/**
 * A parcel can reach the same status twice (out for delivery, missed the customer, out for delivery
 * again the next day), and the customer is told each time: an order's outbox row is now one per
 * order + template + channel + occurrence. Every other message is only ever occurrence 1, so it
 * stays once per order + template + channel; a retry of the same occurrence still finds its row.
 */
export class Migration20261126150000_repeated_notifications extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table notifications add column occurrence int not null default 1 constraint notifications_occurrence_check check (occurrence >= 1);`);
    this.addSql(`drop index notifications_order_once_idx;`);
    this.addSql(`create unique index notifications_order_once_idx on notifications (order_id, template, channel, occurrence) where order_id is not null;`);
  }

  override async down(): Promise<void> {
    // The older key has room for one message of each template: the repeats go.
    this.addSql(`delete from notifications where occurrence > 1;`);
    this.addSql(`drop index notifications_order_once_idx;`);
    this.addSql(`create unique index notifications_order_once_idx on notifications (order_id, template, channel) where order_id is not null;`);
    this.addSql(`alter table notifications drop column occurrence;`);
  }
}
