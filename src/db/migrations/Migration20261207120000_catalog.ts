import { Migration } from '@mikro-orm/migrations';

/**
 * The catalog as a store manages it: products with a status and a version, options and their
 * values, variants that pick one value per option, prices per currency, categories as a tree,
 * collections, filterable attributes, images, and the audit trail of every staff change.
 *
 * The rules live here, so no writer (staff routes, the import, a hand-written script) can break them:
 * - a variant names exactly one value of each of its product's options, and two variants of a
 *   product never name the same combination. variant_option_values holds the choice (its keys tie
 *   the value to the option and both to the variant's product); statement-level triggers keep each
 *   variant's `option_key` (its value ids in option order) and `option_count` up to date, a unique
 *   constraint on (product_id, option_key) refuses a repeated combination, and a foreign key from
 *   (product_id, option_count) to the product's own option_count refuses a variant missing a value.
 *   Both are checked at commit, so a transaction may write a variant and then its values.
 * - one price per variant and currency, never negative; handles and SKUs unique.
 * - a category is never its own ancestor (a trigger, serialised by an advisory lock so two
 *   concurrent moves cannot make a cycle between them).
 * - an uploaded image's stored object is kept while any product refers to it (foreign key).
 *
 * Today's single price and currency per variant become rows of variant_prices; products with
 * several variants get the option "Title" whose values are their variants' titles (the convention
 * of Shopify's product CSV for products without options of their own). Existing products stay
 * published; a new one starts as a draft.
 *
 * Reservations no longer reference inventory: they are the stock history of orders, kept when a
 * variant is removed (a variant with stock reserved by a live order cannot be: src/store/catalog-admin.ts).
 */
export class Migration20261207120000_catalog extends Migration {
  override async up(): Promise<void> {
    this.products();
    this.optionsAndVariants();
    this.prices();
    this.taxonomy();
    this.images();
    this.audit();
    this.addSql('alter table reservations drop constraint reservations_sku_fkey;');
    this.addSql('alter table cart_lines drop constraint cart_lines_sku_fkey;');
    this.addSql('alter table cart_lines add constraint cart_lines_sku_fkey foreign key (sku) references variants(sku) on delete cascade;');
  }

  private products(): void {
    this.addSql('alter table products rename column slug to handle;');
    this.addSql('alter table products rename constraint products_slug_key to products_handle_key;');
    this.addSql('alter table products rename constraint products_slug_check to products_handle_check;');
    this.addSql(`alter table products
      add column status text not null default 'published' check (status in ('draft', 'published', 'archived')),
      add column version int not null default 1 check (version >= 1),
      add column option_count smallint not null default 0 check (option_count between 0 and 3),
      add column updated_at timestamptz not null default now(),
      add constraint products_description_length check (length(description) <= 20000),
      add constraint products_id_option_count_key unique (id, option_count);`);
    this.addSql(`alter table products alter column status set default 'draft';`);
    // Storefront lists show published products, oldest first: the partial index serves the listing's order.
    this.addSql('drop index products_created_idx;');
    this.addSql(`create index products_published_created_idx on products (created_at, id) where status = 'published';`);
  }

  private optionsAndVariants(): void {
    this.addSql(`
      create table product_options (
        id uuid primary key default gen_random_uuid(),
        product_id uuid not null references products(id) on delete cascade,
        name text not null check (length(name) between 1 and 100),
        position smallint not null default 0 check (position >= 0),
        unique (product_id, name),
        unique (id, product_id)
      );`);
    this.addSql(`
      create table product_option_values (
        id uuid primary key default gen_random_uuid(),
        option_id uuid not null,
        product_id uuid not null,
        value text not null check (length(value) between 1 and 100),
        position smallint not null default 0 check (position >= 0),
        foreign key (option_id, product_id) references product_options(id, product_id) on delete cascade,
        unique (option_id, value),
        unique (id, option_id)
      );`);
    this.addSql(`
      alter table variants
        add column weight_grams int check (weight_grams between 0 and 10000000),
        add column option_key text not null default '',
        add column option_count smallint not null default 0,
        add column created_at timestamptz not null default now(),
        add column updated_at timestamptz not null default now(),
        add constraint variants_title_length check (length(title) between 1 and 200),
        add constraint variants_id_product_key unique (id, product_id);`);
    this.addSql(`
      create table variant_option_values (
        variant_id uuid not null,
        product_id uuid not null,
        option_id uuid not null,
        value_id uuid not null,
        primary key (variant_id, option_id),
        foreign key (variant_id, product_id) references variants(id, product_id) on delete cascade,
        foreign key (option_id, product_id) references product_options(id, product_id) on delete cascade,
        foreign key (value_id, option_id) references product_option_values(id, option_id)
      );`);
    this.addSql('create index variant_option_values_value_idx on variant_option_values (value_id);');
    this.optionTriggers();
    this.legacyVariantsAsTitleOption();
    // After the legacy rows have their keys: from here on every write is held to both rules.
    this.addSql(`alter table variants add constraint variants_one_per_combination unique (product_id, option_key) deferrable initially deferred;`);
    this.addSql(`alter table variants add constraint variants_one_value_per_option foreign key (product_id, option_count)
      references products (id, option_count) on update no action deferrable initially deferred;`);
  }

  /**
   * Statement-level triggers (one set-based UPDATE per statement, whatever its row count, so a bulk
   * import pays once per batch): a product's option_count follows its options, a variant's
   * option_key and option_count follow its values.
   */
  private optionTriggers(): void {
    this.addSql(`
      create function products_count_options() returns trigger language plpgsql as $$
      begin
        update products p set option_count = (select count(*) from product_options o where o.product_id = p.id)
         where p.id in (select product_id from changed_options);
        return null;
      end $$;`);
    for (const event of ['insert', 'delete']) {
      this.addSql(`create trigger product_options_counted_after_${event} after ${event} on product_options
        referencing ${event === 'insert' ? 'new' : 'old'} table as changed_options for each statement execute function products_count_options();`);
    }
    this.addSql(`
      create function variants_key_options() returns trigger language plpgsql as $$
      begin
        update variants v
           set option_key = coalesce(k.option_key, ''), option_count = coalesce(k.option_count, 0)
          from (select c.variant_id, string_agg(x.value_id::text, ',' order by x.option_id) as option_key, count(x.value_id) as option_count
                  from (select distinct variant_id from changed_values) c
                  left join variant_option_values x on x.variant_id = c.variant_id
                 group by c.variant_id) k
         where v.id = k.variant_id;
        return null;
      end $$;`);
    for (const event of ['insert', 'update', 'delete']) {
      const tables = event === 'update' ? 'new table as changed_values' : `${event === 'insert' ? 'new' : 'old'} table as changed_values`;
      this.addSql(`create trigger variant_option_values_keyed_after_${event} after ${event} on variant_option_values
        referencing ${tables} for each statement execute function variants_key_options();`);
    }
  }

  private legacyVariantsAsTitleOption(): void {
    this.addSql(`
      insert into product_options (product_id, name, position)
      select product_id, 'Title', 0 from variants group by product_id having count(*) > 1;`);
    this.addSql(`
      insert into product_option_values (option_id, product_id, value, position)
      select o.id, o.product_id, v.title, (row_number() over (partition by o.id order by v.position, v.sku) - 1)::smallint
        from product_options o join variants v on v.product_id = o.product_id
       where o.name = 'Title'
      on conflict (option_id, value) do nothing;`);
    // Two variants of one product with the same title would share a value and so a combination: the commit refuses them, naming the product.
    this.addSql(`
      insert into variant_option_values (variant_id, product_id, option_id, value_id)
      select v.id, v.product_id, o.id, ov.id
        from variants v
        join product_options o on o.product_id = v.product_id and o.name = 'Title'
        join product_option_values ov on ov.option_id = o.id and ov.value = v.title;`);
  }

  private prices(): void {
    this.addSql(`
      create table variant_prices (
        variant_id uuid not null references variants(id) on delete cascade,
        currency char(3) not null check (currency ~ '^[A-Z]{3}$'),
        amount bigint not null check (amount between 0 and 100000000000),
        primary key (variant_id, currency)
      );`);
    this.addSql('insert into variant_prices (variant_id, currency, amount) select id, currency, price_amount from variants;');
    this.addSql('alter table variants drop column price_amount, drop column currency;');
  }

  private taxonomy(): void {
    const handle = `text not null unique check (handle ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and length(handle) <= 200)`;
    const versioned = `version int not null default 1 check (version >= 1),
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()`;
    this.addSql(`
      create table categories (
        id uuid primary key default gen_random_uuid(),
        parent_id uuid references categories(id),
        handle ${handle},
        name text not null check (length(name) between 1 and 200),
        description text not null default '' check (length(description) <= 20000),
        position int not null default 0,
        ${versioned},
        constraint categories_not_own_parent check (parent_id <> id)
      );`);
    this.addSql('create index categories_parent_idx on categories (parent_id, position);');
    this.addSql(`
      create function categories_refuse_cycle() returns trigger language plpgsql as $$
      begin
        -- Moves take turns: each sees the tree as the one before it left it (READ COMMITTED reads
        -- afresh after the lock), so two concurrent moves cannot close a loop between them.
        perform pg_advisory_xact_lock(hashtext('categories_tree'));
        if exists (with recursive up(id) as (
                     select new.parent_id
                     union
                     select c.parent_id from categories c join up on c.id = up.id where c.parent_id is not null)
                   select 1 from up where up.id = new.id) then
          raise exception 'category % cannot move under %, which is inside it', new.id, new.parent_id
            using errcode = 'check_violation', constraint = 'categories_no_cycle';
        end if;
        return new;
      end $$;`);
    this.addSql(`create trigger categories_no_cycle before update of parent_id on categories
      for each row when (new.parent_id is not null and new.parent_id is distinct from old.parent_id) execute function categories_refuse_cycle();`);
    this.addSql(`
      create table product_categories (
        product_id uuid not null references products(id) on delete cascade,
        category_id uuid not null references categories(id) on delete cascade,
        primary key (product_id, category_id)
      );`);
    this.addSql('create index product_categories_category_idx on product_categories (category_id, product_id);');

    this.addSql(`
      create table collections (
        id uuid primary key default gen_random_uuid(),
        handle ${handle},
        title text not null check (length(title) between 1 and 200),
        description text not null default '' check (length(description) <= 20000),
        ${versioned}
      );`);
    this.addSql(`
      create table product_collections (
        collection_id uuid not null references collections(id) on delete cascade,
        product_id uuid not null references products(id) on delete cascade,
        primary key (collection_id, product_id)
      );`);
    this.addSql('create index product_collections_product_idx on product_collections (product_id);');

    this.addSql(`
      create table attributes (
        id uuid primary key default gen_random_uuid(),
        code text not null unique check (code ~ '^[a-z][a-z0-9_]{0,49}$'),
        name text not null check (length(name) between 1 and 100),
        filterable boolean not null default true,
        position int not null default 0,
        ${versioned}
      );`);
    this.addSql(`
      create table attribute_values (
        id uuid primary key default gen_random_uuid(),
        attribute_id uuid not null references attributes(id) on delete cascade,
        value text not null check (length(value) between 1 and 100),
        position int not null default 0,
        unique (attribute_id, value),
        unique (id, attribute_id)
      );`);
    this.addSql(`
      create table product_attribute_values (
        product_id uuid not null references products(id) on delete cascade,
        attribute_id uuid not null,
        value_id uuid not null,
        primary key (product_id, value_id),
        foreign key (value_id, attribute_id) references attribute_values(id, attribute_id) on delete cascade
      );`);
    this.addSql('create index product_attribute_values_value_idx on product_attribute_values (value_id, product_id);');
  }

  private images(): void {
    // Uploaded files, content-addressed: the key is the SHA-256 of the bytes and the type's extension.
    this.addSql(`
      create table image_objects (
        key text primary key check (key ~ '^[0-9a-f]{64}[.](jpg|png|webp|avif)$'),
        content_type text not null check (content_type in ('image/jpeg', 'image/png', 'image/webp', 'image/avif')),
        bytes int not null check (bytes > 0),
        width int check (width > 0),
        height int check (height > 0),
        uploaded_at timestamptz not null default now()
      );`);
    this.addSql(`
      create table product_images (
        id uuid primary key default gen_random_uuid(),
        product_id uuid not null references products(id) on delete cascade,
        object_key text references image_objects(key),
        url text check (url ~ '^https?://' and length(url) <= 2000),
        alt text not null default '' check (length(alt) <= 500),
        position int not null default 0 check (position >= 0),
        created_at timestamptz not null default now(),
        constraint product_images_one_source check ((object_key is null) <> (url is null))
      );`);
    this.addSql('create index product_images_product_idx on product_images (product_id, position);');
    this.addSql('create index product_images_object_idx on product_images (object_key) where object_key is not null;');
    this.addSql('create index image_objects_uploaded_idx on image_objects (uploaded_at);');
  }

  private audit(): void {
    // Who changed what in the catalog, and when: the staff account (its name, id and the key it used). Ids are plain columns: the trail outlives what it talks about.
    this.addSql(`
      create table catalog_audit (
        id bigint generated always as identity primary key,
        at timestamptz not null default now(),
        actor text not null check (length(actor) between 1 and 200),
        staff_id uuid,
        key_id uuid,
        action text not null,
        entity text not null check (entity in ('product', 'category', 'collection', 'attribute', 'image')),
        entity_id text not null,
        product_id uuid,
        version int,
        changes jsonb not null default '{}',
        request_id text
      );`);
    this.addSql('create index catalog_audit_entity_idx on catalog_audit (entity_id, id);');
    this.addSql('create index catalog_audit_product_idx on catalog_audit (product_id, id) where product_id is not null;');
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists catalog_audit, product_images, image_objects, product_attribute_values, attribute_values, attributes, '
      + 'product_collections, collections, product_categories, categories cascade;');
    this.addSql('drop function if exists categories_refuse_cycle();');
    this.addSql('alter table variants add column price_amount bigint, add column currency char(3);');
    this.addSql(`update variants v set price_amount = p.amount, currency = p.currency
      from (select distinct on (variant_id) variant_id, amount, currency from variant_prices order by variant_id, currency <> 'USD', currency) p
     where p.variant_id = v.id;`);
    this.addSql('drop table variant_prices;');
    this.addSql('alter table variants drop constraint variants_one_per_combination, drop constraint variants_one_value_per_option;');
    this.addSql('drop table variant_option_values, product_option_values, product_options cascade;');
    this.addSql('drop function if exists variants_key_options(), products_count_options();');
    this.addSql(`alter table variants drop column weight_grams, drop column option_key, drop column option_count, drop column created_at,
      drop column updated_at, drop constraint variants_title_length, drop constraint variants_id_product_key;`);
    this.addSql('drop index products_published_created_idx;');
    this.addSql('create index products_created_idx on products (created_at, id);');
    this.addSql(`alter table products drop constraint products_id_option_count_key, drop column status, drop column version, drop column option_count,
      drop column updated_at, drop constraint products_description_length;`);
    this.addSql('alter table products rename constraint products_handle_check to products_slug_check;');
    this.addSql('alter table products rename constraint products_handle_key to products_slug_key;');
    this.addSql('alter table products rename column handle to slug;');
  }
}
