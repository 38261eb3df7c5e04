import { Migration } from '@mikro-orm/migrations';

/**
 * The initial schema. Written by hand rather than generated, because the rules that protect
 * money and stock live in the database itself: CHECK constraints (stock never negative, never
 * over-reserved), unique keys that make every retry idempotent, and a generated tsvector for search.
 */
export class Migration20261126000000_initial extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create extension if not exists pgcrypto;`);

    this.addSql(`
      create table products (
        id uuid primary key default gen_random_uuid(),
        slug text not null unique check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
        title text not null check (length(title) between 1 and 200),
        description text not null default '',
        search tsvector generated always as (
          setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', description), 'B')
        ) stored,
        created_at timestamptz not null default now()
      );`);
    this.addSql(`create index products_search_idx on products using gin (search);`);
    this.addSql(`create index products_created_idx on products (created_at, id);`);

    this.addSql(`
      create table variants (
        id uuid primary key default gen_random_uuid(),
        product_id uuid not null references products(id) on delete cascade,
        sku text not null unique check (sku ~ '^[A-Z0-9][A-Z0-9-]{1,63}$'),
        title text not null,
        price_amount bigint not null check (price_amount >= 0),
        currency char(3) not null check (currency ~ '^[A-Z]{3}$'),
        position int not null default 0
      );`);
    this.addSql(`create index variants_product_idx on variants (product_id, position);`);

    this.addSql(`
      create table inventory (
        sku text primary key references variants(sku) on delete cascade,
        on_hand int not null check (on_hand >= 0),
        reserved int not null default 0 check (reserved >= 0),
        updated_at timestamptz not null default now(),
        constraint inventory_reserved_within_on_hand check (reserved <= on_hand)
      );`);

    this.addSql(`
      create table customers (
        id uuid primary key default gen_random_uuid(),
        email text not null,
        password_hash text not null,
        name text not null default '',
        marketing_opt_in boolean not null default false,
        created_at timestamptz not null default now()
      );`);
    this.addSql(`create unique index customers_email_idx on customers (lower(email));`);

    this.addSql(`
      create table carts (
        id text primary key check (length(id) >= 22),
        customer_id uuid references customers(id) on delete set null,
        currency char(3) not null,
        status text not null default 'active'
          check (status in ('active', 'checking_out', 'checked_out', 'expired')),
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        reminder_sent_at timestamptz,
        expired_at timestamptz
      );`);
    this.addSql(`create index carts_sweep_idx on carts (status, updated_at);`);

    this.addSql(`
      create table cart_lines (
        cart_id text not null references carts(id) on delete cascade,
        sku text not null references variants(sku),
        quantity int not null check (quantity between 1 and 999),
        added_at timestamptz not null default now(),
        primary key (cart_id, sku)
      );`);

    this.addSql(`
      create table orders (
        id uuid primary key default gen_random_uuid(),
        cart_id text references carts(id) on delete set null,
        customer_id uuid references customers(id) on delete set null,
        idempotency_key text not null unique,
        request_hash text not null,
        status text not null,
        email text not null,
        phone text,
        shipping_address jsonb not null,
        currency char(3) not null,
        subtotal_amount bigint not null check (subtotal_amount >= 0),
        shipping_amount bigint not null default 0 check (shipping_amount >= 0),
        total_amount bigint not null check (total_amount >= 0),
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      );`);
    // One live order per cart: a failed or cancelled order reopens the cart for another attempt.
    this.addSql(`create unique index orders_one_live_per_cart_idx on orders (cart_id) where cart_id is not null and status not in ('failed', 'cancelled');`);
    this.addSql(`create index orders_status_idx on orders (status, created_at);`);

    // Order access tokens are random and shown once; only their SHA-256 is kept. A replayed
    // checkout (same Idempotency-Key) issues a fresh token, so one order may have several.
    this.addSql(`
      create table order_access_tokens (
        token_hash text primary key,
        order_id uuid not null references orders(id) on delete cascade,
        created_at timestamptz not null default now()
      );`);
    this.addSql(`create index orders_customer_idx on orders (customer_id, created_at desc);`);

    this.addSql(`
      create table order_lines (
        id uuid primary key default gen_random_uuid(),
        order_id uuid not null references orders(id) on delete cascade,
        sku text not null,
        title text not null,
        quantity int not null check (quantity > 0),
        unit_price_amount bigint not null check (unit_price_amount >= 0),
        line_total_amount bigint not null check (line_total_amount >= 0),
        unique (order_id, sku)
      );`);

    this.addSql(`
      create table reservations (
        id uuid primary key default gen_random_uuid(),
        order_id uuid not null references orders(id) on delete cascade,
        sku text not null references inventory(sku),
        quantity int not null check (quantity > 0),
        status text not null default 'reserved' check (status in ('reserved', 'released', 'committed')),
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        unique (order_id, sku)
      );`);

    this.addSql(`
      create table payments (
        id uuid primary key default gen_random_uuid(),
        order_id uuid not null references orders(id) on delete cascade,
        provider text not null,
        provider_ref text,
        payment_method text not null,
        idempotency_key text not null unique,
        status text not null,
        amount bigint not null check (amount >= 0),
        captured_amount bigint not null default 0 check (captured_amount >= 0),
        refunded_amount bigint not null default 0 check (refunded_amount >= 0),
        currency char(3) not null,
        failure_code text,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        constraint payments_captured_within_amount check (captured_amount <= amount),
        constraint payments_refunded_within_captured check (refunded_amount <= captured_amount)
      );`);
    this.addSql(`create index payments_order_idx on payments (order_id);`);

    this.addSql(`
      create table refunds (
        id uuid primary key default gen_random_uuid(),
        payment_id uuid not null references payments(id) on delete cascade,
        idempotency_key text not null unique,
        amount bigint not null check (amount > 0),
        reason text not null,
        provider_ref text,
        status text not null,
        created_at timestamptz not null default now()
      );`);

    this.addSql(`
      create table shipments (
        id uuid primary key default gen_random_uuid(),
        order_id uuid not null references orders(id) on delete cascade,
        carrier text not null,
        tracking_number text not null unique,
        status text not null,
        label_url text,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      );`);

    this.addSql(`
      create table shipment_events (
        id uuid primary key default gen_random_uuid(),
        shipment_id uuid not null references shipments(id) on delete cascade,
        provider_event_id text not null,
        status text not null,
        description text not null default '',
        occurred_at timestamptz not null,
        recorded_at timestamptz not null default now(),
        unique (shipment_id, provider_event_id)
      );`);

    this.addSql(`
      create table notifications (
        id uuid primary key default gen_random_uuid(),
        order_id uuid references orders(id) on delete cascade,
        cart_id text references carts(id) on delete cascade,
        template text not null,
        channel text not null check (channel in ('email', 'sms')),
        recipient text not null,
        status text not null default 'pending' check (status in ('pending', 'sent', 'failed', 'delivered', 'undelivered')),
        provider text,
        provider_message_id text,
        payload jsonb not null default '{}',
        attempts int not null default 0,
        last_error text,
        created_at timestamptz not null default now(),
        sent_at timestamptz,
        constraint notifications_has_subject check (order_id is not null or cart_id is not null)
      );`);
    this.addSql(`create unique index notifications_order_once_idx on notifications (order_id, template, channel) where order_id is not null;`);
    this.addSql(`create unique index notifications_cart_once_idx on notifications (cart_id, template, channel) where cart_id is not null;`);

    // The simulated payment provider's own ledger (it stands in for Stripe's side, so it keeps
    // its own state, keyed by idempotency key exactly as Stripe does).
    this.addSql(`
      create table simulated_payment_intents (
        id text primary key,
        idempotency_key text not null unique,
        amount bigint not null check (amount >= 0),
        currency char(3) not null,
        payment_method text not null,
        status text not null,
        amount_captured bigint not null default 0,
        amount_refunded bigint not null default 0,
        metadata jsonb not null default '{}',
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      );`);
    this.addSql(`
      create table simulated_provider_calls (
        idempotency_key text primary key,
        operation text not null,
        attempts int not null default 0,
        result jsonb,
        created_at timestamptz not null default now()
      );`);

    this.addSql(`
      create table webhook_events (
        provider text not null,
        event_id text not null,
        type text not null,
        payload jsonb not null,
        received_at timestamptz not null default now(),
        primary key (provider, event_id)
      );`);
  }

  override async down(): Promise<void> {
    for (const table of ['simulated_provider_calls', 'simulated_payment_intents', 'order_access_tokens', 'webhook_events', 'notifications', 'shipment_events', 'shipments', 'refunds', 'payments',
      'reservations', 'order_lines', 'orders', 'cart_lines', 'carts', 'customers', 'inventory', 'variants', 'products']) {
      this.addSql(`drop table if exists ${table} cascade;`);
    }
  }
}
