import { Migration } from '@mikro-orm/migrations';

/**
 * Customer accounts: a verified e-mail address, sessions (only their SHA-256 kept), one-time links
 * e-mailed through the outbox (verify an address, reset a password; only their SHA-256 kept), saved
 * addresses with at most one default, carts a signed-in customer owns (a guest cart merged into one
 * is kept as 'merged', pointing at it), and the index that lists a customer's orders newest first.
 */
export class Migration20261207100000_customer_accounts extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table customers
        add column email_verified_at timestamptz,
        add column updated_at timestamptz not null default now(),
        add constraint customers_email_shape check (length(email) between 3 and 254 and email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
        add constraint customers_name_length check (length(name) <= 200);`);

    this.addSql(`
      create table customer_sessions (
        id uuid primary key default gen_random_uuid(),
        token_hash text not null unique check (token_hash ~ '^[0-9a-f]{64}$'),
        customer_id uuid not null references customers(id) on delete cascade,
        created_at timestamptz not null default now(),
        last_used_at timestamptz not null default now(),
        expires_at timestamptz not null,
        revoked_at timestamptz,
        user_agent text check (length(user_agent) <= 300),
        constraint customer_sessions_expire_after_creation check (expires_at > created_at)
      );`);
    this.addSql(`create index customer_sessions_customer_idx on customer_sessions (customer_id) where revoked_at is null;`);

    // A message to a customer about their account has no order or cart: the customer is its subject.
    this.addSql(`alter table notifications add column customer_id uuid references customers(id) on delete cascade;`);
    this.addSql(`alter table notifications drop constraint notifications_has_subject;`);
    this.addSql(`alter table notifications add constraint notifications_has_subject
      check (order_id is not null or cart_id is not null or customer_id is not null);`);

    // One outbox row per link (notification_id unique), so a link is e-mailed once however often its sending is retried.
    this.addSql(`
      create table customer_links (
        token_hash text primary key check (token_hash ~ '^[0-9a-f]{64}$'),
        customer_id uuid not null references customers(id) on delete cascade,
        purpose text not null check (purpose in ('verify_email', 'password_reset')),
        email text not null,
        notification_id uuid not null unique references notifications(id) on delete cascade,
        created_at timestamptz not null default now(),
        expires_at timestamptz not null,
        used_at timestamptz,
        constraint customer_links_expire_after_creation check (expires_at > created_at)
      );`);
    this.addSql(`create index customer_links_customer_idx on customer_links (customer_id, purpose, created_at desc);`);

    this.addSql(`
      create table customer_addresses (
        id uuid primary key default gen_random_uuid(),
        customer_id uuid not null references customers(id) on delete cascade,
        name text not null check (length(name) between 1 and 200),
        line1 text not null check (length(line1) between 1 and 200),
        line2 text check (length(line2) between 1 and 200),
        city text not null check (length(city) between 1 and 100),
        region text check (length(region) between 1 and 100),
        postal_code text not null check (length(postal_code) between 1 and 20),
        country char(2) not null check (country ~ '^[A-Z]{2}$'),
        is_default boolean not null default false,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      );`);
    this.addSql(`create unique index customer_addresses_one_default_idx on customer_addresses (customer_id) where is_default;`);
    this.addSql(`create index customer_addresses_customer_idx on customer_addresses (customer_id, created_at);`);

    this.addSql(`alter table carts drop constraint carts_status_check;`);
    this.addSql(`alter table carts add constraint carts_status_check
      check (status in ('active', 'checking_out', 'checked_out', 'expired', 'merged'));`);
    this.addSql(`alter table carts add column merged_into text references carts(id) on delete set null;`);
    this.addSql(`create index carts_customer_idx on carts (customer_id, updated_at desc) where customer_id is not null and status = 'active';`);

    // GET /me/orders: newest first, keyset on (created_at, id). Guest orders are found by address when one is verified.
    this.addSql(`drop index orders_customer_idx;`);
    this.addSql(`create index orders_customer_idx on orders (customer_id, created_at desc, id desc) where customer_id is not null;`);
    this.addSql(`create index orders_guest_email_idx on orders (lower(email)) where customer_id is null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index orders_guest_email_idx;`);
    this.addSql(`drop index orders_customer_idx;`);
    this.addSql(`create index orders_customer_idx on orders (customer_id, created_at desc);`);
    this.addSql(`drop index carts_customer_idx;`);
    this.addSql(`alter table carts drop column merged_into;`);
    this.addSql(`update carts set status = 'expired', expired_at = coalesce(expired_at, now()) where status = 'merged';`);
    this.addSql(`alter table carts drop constraint carts_status_check;`);
    this.addSql(`alter table carts add constraint carts_status_check check (status in ('active', 'checking_out', 'checked_out', 'expired'));`);
    this.addSql(`drop table customer_addresses;`);
    this.addSql(`drop table customer_links;`);
    this.addSql(`delete from notifications where order_id is null and cart_id is null;`);
    this.addSql(`alter table notifications drop constraint notifications_has_subject;`);
    this.addSql(`alter table notifications add constraint notifications_has_subject check (order_id is not null or cart_id is not null);`);
    this.addSql(`alter table notifications drop column customer_id;`);
    this.addSql(`drop table customer_sessions;`);
    this.addSql(`alter table customers drop column updated_at, drop column email_verified_at,
      drop constraint customers_email_shape, drop constraint customers_name_length;`);
  }
}
