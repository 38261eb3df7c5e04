import { Migration } from '@mikro-orm/migrations';

/**
 * What an order costs (docs/pricing.md): shipping zones, methods and their rates; tax regions with
 * per-category rates and each currency's tax mode; promotions and the uses counted against their
 * limits; the cart's address, shipping method and codes; and the breakdown an order keeps as it was
 * at checkout.
 *
 * The rules that matter live here, whoever writes:
 * - a promotion's uses never pass its limit: `used <= usage_limit` is a check, the redemption a
 *   conditional increment (src/store/promotions.ts); one redemption per promotion and order (the
 *   primary key), so a retried checkout step never counts twice; per customer, the same on
 *   promotion_customer_uses;
 * - an order's total is its subtotal less its discounts plus shipping plus tax added on top (a check);
 * - amounts are never negative; rates are between 0 and 100 %; a zone names at least one country.
 */
export class Migration20261207140000_pricing extends Migration {
  override async up(): Promise<void> {
    this.shipping();
    this.taxes();
    this.promotions();
    this.cartsAndOrders();
    this.addSql(`alter table catalog_audit drop constraint catalog_audit_entity_check;`);
    this.addSql(`alter table catalog_audit add constraint catalog_audit_entity_check
      check (entity in ('product', 'category', 'collection', 'attribute', 'image', 'shipping_zone', 'shipping_method', 'tax_region', 'promotion', 'currency'));`);
  }

  private shipping(): void {
    this.addSql(`
      create table shipping_zones (
        id uuid primary key default gen_random_uuid(),
        name text not null check (length(name) between 1 and 200),
        countries text[] not null check (cardinality(countries) between 1 and 250 and array_to_string(countries, ',') ~ '^[A-Z]{2}(,[A-Z]{2})*$'),
        regions text[] not null default '{}' check (cardinality(regions) <= 500),
        postal_prefixes text[] not null default '{}' check (cardinality(postal_prefixes) <= 1000),
        version int not null default 1 check (version >= 1),
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      );`);
    this.addSql('create index shipping_zones_countries_idx on shipping_zones using gin (countries);');
    this.addSql(`
      create table shipping_methods (
        id uuid primary key default gen_random_uuid(),
        zone_id uuid not null references shipping_zones(id) on delete cascade,
        name text not null check (length(name) between 1 and 200),
        carrier text not null default '' check (length(carrier) <= 100),
        min_days smallint check (min_days >= 0),
        max_days smallint check (max_days >= 0),
        basis text not null default 'flat' check (basis in ('flat', 'weight', 'subtotal')),
        active boolean not null default true,
        position int not null default 0 check (position >= 0),
        version int not null default 1 check (version >= 1),
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        check (min_days <= max_days)
      );`);
    this.addSql('create index shipping_methods_zone_idx on shipping_methods (zone_id);');
    // Whether a zone serves an address (the cart's, as JSON): its country, then its region and postal code where the zone narrows them.
    this.addSql(`
      create function shipping_zone_serves(countries text[], regions text[], postal_prefixes text[], address jsonb) returns boolean
      language sql immutable as $$
        select coalesce(address ->> 'country' = any(countries)
          and (cardinality(regions) = 0 or upper(address ->> 'region') = any(regions))
          and (cardinality(postal_prefixes) = 0 or exists (select 1 from unnest(postal_prefixes) p
                 where upper(replace(address ->> 'postalCode', ' ', '')) like upper(replace(p, ' ', '')) || '%')), false)
      $$;`);
    // A band applies from its `from_value` (grams of the cart, or minor units of its subtotal; 0 for a flat rate) up to the next band's.
    this.addSql(`
      create table shipping_rates (
        method_id uuid not null references shipping_methods(id) on delete cascade,
        currency char(3) not null check (currency ~ '^[A-Z]{3}$'),
        from_value bigint not null default 0 check (from_value >= 0),
        amount bigint not null check (amount >= 0),
        primary key (method_id, currency, from_value)
      );`);
    this.addSql(`
      create table shipping_free_thresholds (
        method_id uuid not null references shipping_methods(id) on delete cascade,
        currency char(3) not null check (currency ~ '^[A-Z]{3}$'),
        subtotal bigint not null check (subtotal >= 0),
        primary key (method_id, currency)
      );`);
  }

  private taxes(): void {
    this.addSql(`
      create table currency_tax_modes (
        currency char(3) primary key check (currency ~ '^[A-Z]{3}$'),
        prices_include_tax boolean not null,
        updated_at timestamptz not null default now()
      );`);
    this.addSql(`alter table products add column tax_category text not null default 'standard' check (tax_category ~ '^[a-z][a-z0-9_]{0,39}$');`);
    this.addSql(`
      create table tax_regions (
        id uuid primary key default gen_random_uuid(),
        name text not null check (length(name) between 1 and 200),
        country char(2) not null check (country ~ '^[A-Z]{2}$'),
        region text check (length(region) between 1 and 100),
        rate_ppm int not null check (rate_ppm between 0 and 1000000),
        shipping_taxed boolean not null default true,
        version int not null default 1 check (version >= 1),
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        constraint tax_regions_country_region_key unique nulls not distinct (country, region)
      );`);
    this.addSql(`
      create table tax_category_rates (
        region_id uuid not null references tax_regions(id) on delete cascade,
        tax_category text not null check (tax_category ~ '^[a-z][a-z0-9_]{0,39}$'),
        rate_ppm int not null check (rate_ppm between 0 and 1000000),
        primary key (region_id, tax_category)
      );`);
  }

  private promotions(): void {
    this.addSql(`
      create table promotions (
        id uuid primary key default gen_random_uuid(),
        code text unique check (code ~ '^[A-Z0-9][A-Z0-9_-]{1,39}$'),
        name text not null check (length(name) between 1 and 200),
        kind text not null check (kind in ('percentage', 'fixed', 'free_shipping', 'buy_x_get_y')),
        percent_ppm int check (percent_ppm between 0 and 1000000),
        product_ids uuid[] not null default '{}',
        category_ids uuid[] not null default '{}',
        buy_quantity int check (buy_quantity between 1 and 999),
        get_quantity int check (get_quantity between 1 and 999),
        starts_at timestamptz,
        ends_at timestamptz,
        usage_limit int check (usage_limit >= 0),
        used int not null default 0 check (used >= 0),
        per_customer_limit int check (per_customer_limit >= 1),
        combinable boolean not null default true,
        priority int not null default 0 check (priority between 0 and 1000),
        active boolean not null default true,
        version int not null default 1 check (version >= 1),
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        constraint promotions_within_limit check (usage_limit is null or used <= usage_limit),
        constraint promotions_window check (ends_at > starts_at),
        constraint promotions_percent_given check (kind not in ('percentage', 'buy_x_get_y') or percent_ppm is not null),
        constraint promotions_quantities_given check (kind <> 'buy_x_get_y' or (buy_quantity is not null and get_quantity is not null))
      );`);
    this.addSql(`create index promotions_automatic_idx on promotions (priority) where code is null and active;`);
    this.addSql(`
      create table promotion_amounts (
        promotion_id uuid not null references promotions(id) on delete cascade,
        currency char(3) not null check (currency ~ '^[A-Z]{3}$'),
        amount_off bigint check (amount_off >= 0),
        min_subtotal bigint not null default 0 check (min_subtotal >= 0),
        primary key (promotion_id, currency)
      );`);
    // One use per promotion and order: the checkout's redemption step inserts it, its compensation deletes it (src/store/promotions.ts).
    this.addSql(`
      create table promotion_redemptions (
        promotion_id uuid not null references promotions(id),
        order_id uuid not null references orders(id) on delete cascade,
        customer_key text not null check (length(customer_key) between 1 and 300),
        created_at timestamptz not null default now(),
        primary key (promotion_id, order_id)
      );`);
    this.addSql(`
      create table promotion_customer_uses (
        promotion_id uuid not null references promotions(id) on delete cascade,
        customer_key text not null check (length(customer_key) between 1 and 300),
        used int not null check (used >= 0),
        primary key (promotion_id, customer_key)
      );`);
  }

  private cartsAndOrders(): void {
    this.addSql(`alter table carts
      add column shipping_address jsonb,
      add column shipping_method_id uuid references shipping_methods(id) on delete set null;`);
    this.addSql(`
      create table cart_promotions (
        cart_id text not null references carts(id) on delete cascade,
        promotion_id uuid not null references promotions(id) on delete cascade,
        added_at timestamptz not null default now(),
        primary key (cart_id, promotion_id)
      );`);
    this.addSql(`alter table orders
      add column discount_amount bigint not null default 0 check (discount_amount >= 0),
      add column tax_amount bigint not null default 0 check (tax_amount >= 0),
      add column prices_include_tax boolean not null default false,
      add column pricing jsonb,
      add constraint orders_total_adds_up
        check (total_amount = subtotal_amount - discount_amount + shipping_amount + case when prices_include_tax then 0 else tax_amount end);`);
    // The promotions an order was priced with, as it was at checkout; a promotion used by an order cannot be deleted (deactivate it).
    this.addSql(`
      create table order_promotions (
        order_id uuid not null references orders(id) on delete cascade,
        promotion_id uuid not null references promotions(id),
        code text,
        name text not null,
        amount bigint not null check (amount >= 0),
        primary key (order_id, promotion_id)
      );`);
    this.addSql(`
      create table refund_lines (
        refund_id uuid not null references refunds(id) on delete cascade,
        sku text not null,
        quantity int not null check (quantity > 0),
        amount bigint not null check (amount >= 0),
        primary key (refund_id, sku)
      );`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists refund_lines, order_promotions, cart_promotions, promotion_customer_uses, promotion_redemptions, promotion_amounts, promotions, '
      + 'tax_category_rates, tax_regions, currency_tax_modes, shipping_free_thresholds, shipping_rates cascade;');
    this.addSql('alter table carts drop column if exists shipping_method_id, drop column if exists shipping_address;');
    this.addSql('drop table if exists shipping_methods, shipping_zones cascade;');
    this.addSql('drop function if exists shipping_zone_serves(text[], text[], text[], jsonb);');
    this.addSql(`alter table orders drop constraint if exists orders_total_adds_up, drop column if exists discount_amount, drop column if exists tax_amount,
      drop column if exists prices_include_tax, drop column if exists pricing;`);
    this.addSql('alter table products drop column if exists tax_category;');
  }
}
