import { Migration } from '@mikro-orm/migrations';

/**
 * Every write to a cart touches its row (`updated_at = now()`, src/store/carts.ts), a few times a
 * minute per shopper. `updated_at` was in three of carts' indexes, so no touch could be a HOT
 * update: each one wrote a new entry in every index of carts (four for a customer's cart) and left
 * a dead version behind for vacuum.
 *
 * The indexes now hold `updated_minute`, the minute `updated_at` falls in (a stored generated
 * column, so every writer keeps it right), and a touch changes an indexed value only when the
 * minute turns: the others are HOT, their old versions pruned from the page without vacuum. The
 * sweeps and the customer's latest cart read `updated_at`, exact as before; they find their rows
 * through the minute (`updated_minute <= x` holds for every row with `updated_at <= x`, and
 * ordering by the minute first, then `updated_at`, is ordering by `updated_at`).
 *
 * fillfactor 70 leaves room on each page for a touched row's new version, which a HOT update
 * needs (at 100 the pages fill up and the updates are not HOT). Autovacuum at 2% of the table
 * instead of 20%: the carts that churn are the few active ones of a table that keeps expired and
 * checked-out carts for weeks, and each minute's first touch still leaves an index entry behind.
 *
 * Also an index on `merged_into`: deleting a cart (the sweep, in batches) checks that foreign key
 * (on delete set null) for carts merged into it, which read the whole table without one (4.8 s for
 * a batch of 100 among 300,000 carts).
 */
export class Migration20261209110000_hot_cart_touch extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create function cart_minute(t timestamptz) returns timestamptz language sql immutable parallel safe
      return date_bin('1 minute', t, timestamptz '2000-01-01 00:00:00+00');`);
    this.addSql('alter table carts set (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);');
    // Adding a stored column rewrites the table, at the fillfactor just set.
    this.addSql('alter table carts add column updated_minute timestamptz generated always as (cart_minute(updated_at)) stored;');
    this.addSql('drop index carts_sweep_idx, carts_reminder_idx, carts_expired_idx, carts_customer_idx;');
    this.addSql('create index carts_sweep_idx on carts (status, updated_minute);');
    this.addSql(`create index carts_reminder_idx on carts (updated_minute) where status = 'active' and reminder_sent_at is null and customer_id is not null;`);
    this.addSql(`create index carts_expired_idx on carts (updated_minute) where status = 'expired';`);
    this.addSql(`create index carts_customer_idx on carts (customer_id, updated_minute desc) where customer_id is not null and status = 'active';`);
    this.addSql('create index carts_merged_into_idx on carts (merged_into) where merged_into is not null;');
  }

  override async down(): Promise<void> {
    this.addSql('drop index carts_merged_into_idx, carts_sweep_idx, carts_reminder_idx, carts_expired_idx, carts_customer_idx;');
    this.addSql('alter table carts drop column updated_minute;');
    this.addSql('drop function cart_minute(timestamptz);');
    this.addSql('alter table carts reset (fillfactor, autovacuum_vacuum_scale_factor, autovacuum_analyze_scale_factor);');
    this.addSql('create index carts_sweep_idx on carts (status, updated_at);');
    this.addSql(`create index carts_reminder_idx on carts (updated_at) where status = 'active' and reminder_sent_at is null and customer_id is not null;`);
    this.addSql(`create index carts_expired_idx on carts (updated_at) where status = 'expired';`);
    this.addSql(`create index carts_customer_idx on carts (customer_id, updated_at desc) where customer_id is not null and status = 'active';`);
  }
}
