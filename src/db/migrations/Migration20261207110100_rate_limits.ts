import { Migration } from '@mikro-orm/migrations';

/**
 * The counters of the rate limits (src/store/rate-limits.ts), shared by every API replica. The
 * layout is rate-limiter-flexible's own for PostgreSQL (key, points, expire in epoch milliseconds);
 * it is created here, not by the library at run time (the API never changes the schema).
 * Unlogged: the counters are disposable (a crash empties the table, which only restarts the
 * windows), and each counted request then writes no WAL.
 *
 * orders.decline_counted_at: a declined payment counts against the limits once per order, however
 * often the API learns of it (the checkout's answer, its replay, a webhook).
 */
export class Migration20261207110100_rate_limits extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create unlogged table rate_limits (
        key varchar(255) primary key,
        points integer not null default 0,
        expire bigint
      );`);
    this.addSql(`create index rate_limits_expire_idx on rate_limits (expire);`);
    this.addSql(`alter table orders add column decline_counted_at timestamptz;`);
  }

  override async down(): Promise<void> {
    this.addSql('alter table orders drop column decline_counted_at;');
    this.addSql('drop table if exists rate_limits;');
  }
}
