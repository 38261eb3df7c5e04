import { Migration } from '@mikro-orm/migrations';

/**
 * One access token per order, derived instead of stored (src/auth/order-tokens.ts): each order keeps
 * a random 32-byte secret, and its token is an HMAC of the order id and that secret under a key from
 * the configuration. Revoking an order's access deletes its secret (and says when). The table of
 * issued token digests, which grew a row with every replay of a checkout, goes.
 */
export class Migration20261207130100_order_access_secret extends Migration {
  override async up(): Promise<void> {
    // Every order gets its secret from the database (32 random bytes: two random UUIDs, 244 random bits), whoever inserts it;
    // orders placed before this get a fresh one, so the tokens given out for them so far stop working.
    this.addSql(`alter table orders add column access_secret bytea default (uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid())),
      add column access_revoked_at timestamptz;`);
    this.addSql(`alter table orders add constraint orders_access_secret_check check (
      (access_secret is not null and octet_length(access_secret) = 32 and access_revoked_at is null)
      or (access_secret is null and access_revoked_at is not null));`);
    this.addSql(`drop table order_access_tokens;`);
  }

  override async down(): Promise<void> {
    this.addSql(`create table order_access_tokens (token_hash text primary key, order_id uuid not null references orders(id) on delete cascade,
      created_at timestamptz not null default now());`);
    this.addSql(`alter table orders drop constraint orders_access_secret_check, drop column access_secret, drop column access_revoked_at;`);
  }
}
