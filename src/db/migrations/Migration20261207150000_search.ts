import { Migration } from '@mikro-orm/migrations';

/**
 * The storefront's search documents: one row per published product in search_documents (its text
 * as a weighted tsvector, its facet keys, lowest price per currency, whether any variant is in
 * stock) and its listing card in search_cards (title, images, variants with prices and stock
 * flags), kept by the database in the transaction of every write to the catalog, whoever writes.
 *
 * How: statement-level triggers on every catalog table note the products a statement touched in
 * search_pending, and a marker row in search_pending_tx; the marker's deferred constraint trigger
 * runs once per transaction, at commit (or at `set constraints all immediate`), and rebuilds the
 * noted documents set-based, in one pass, so a bulk import pays once per batch, not once per row.
 * Stock moved by orders touches a document only when a variant sells out or comes back (a row
 * trigger with a WHEN clause), so reservations stay as cheap as they were.
 *
 * catalog_state.version counts those commits. Each rebuild first moves it, under its row lock,
 * so rebuilds take turns (no two can deadlock over documents) and versions follow commit order:
 * a reader that sees version V sees every change up to V. It is the ETag of storefront lists,
 * and it is how an API process knows which documents changed since it last looked (each carries
 * the version that wrote it; search_removed keeps the documents taken down, for a day).
 *
 * search_terms: every word that names or files a published product (titles, categories,
 * collections, attribute and option values; not descriptions, whose words shoppers rarely type and
 * which would double the cost of a rebuild), trigram-indexed, for the spelling fallback and the
 * suggestions. Words are only added, so a correction may name a word no product has any more:
 * the corrected search then finds nothing, as the misspelt one did.
 */
/**
 * Part of search_rebuild(ids, v): the categories (with their ancestors), collections and attribute
 * values of products `ids`, as facet keys and words (cats, cols, attrs). Shared with Migration20261208100000.
 */
export function taxonomyParts(): string {
  return `        up (category_id, ancestor_id) as (
          select distinct category_id, category_id from product_categories where product_id = any(ids)
          union
          select up.category_id, c.parent_id from up join categories c on c.id = up.ancestor_id where c.parent_id is not null
        ),
        cats as (
          select pc.product_id, array_agg(distinct (1 << 28) | c.facet_no) as keys, string_agg(distinct c.name, ' ') as words
            from product_categories pc join up on up.category_id = pc.category_id join categories c on c.id = up.ancestor_id
           where pc.product_id = any(ids)
           group by pc.product_id
        ),
        cols as (
          select pc.product_id, array_agg((2 << 28) | c.facet_no) as keys, string_agg(c.title, ' ') as words
            from product_collections pc join collections c on c.id = pc.collection_id
           where pc.product_id = any(ids)
           group by pc.product_id
        ),
        attrs as (
          select pa.product_id, array_agg((3 << 28) | av.facet_no) as keys, string_agg(av.value, ' ') as words
            from product_attribute_values pa join attribute_values av on av.id = pa.value_id
           where pa.product_id = any(ids)
           group by pa.product_id
        ),
`;
}

/**
 * The end of search_rebuild(ids, v): each product's lowest prices and variants (lowest, vagg, from
 * vars, vprices and vopts) and images (imgs), then each published product's document, card and words
 * (docs, with pub, cats, cols, attrs and opts), written with version v. `byKey`: the documents to update found by `any(ids)` too (Migration20261208100000).
 */
export function documentWrites(byKey: boolean): string {
  return `        lowest as (
          select product_id, jsonb_object_agg(currency, amount) as prices
            from (select product_id, currency, min(amount) as amount from vprices group by product_id, currency) m
           group by product_id
        ),
        vagg as (
          select vars.product_id, bool_or(vars.in_stock) as in_stock,
                 jsonb_agg(jsonb_build_object('sku', vars.sku, 'title', vars.title, 'options', coalesce(vopts.options, '{}'),
                                              'prices', coalesce(p.prices, '{}'), 'inStock', vars.in_stock)
                           order by vars.position, vars.sku) as variants
            from vars
            left join (select variant_id, jsonb_object_agg(currency, amount) as prices from vprices group by variant_id) p on p.variant_id = vars.id
            left join vopts on vopts.variant_id = vars.id
           group by vars.product_id
        ),
        imgs as (
          select im.product_id, jsonb_agg(jsonb_build_object('key', im.object_key, 'url', im.url, 'alt', im.alt) order by im.position, im.created_at) as images
            from product_images im where im.product_id = any(ids) group by im.product_id
        ),
        docs as (
          select pub.id as product_id, pub.created_at, coalesce(vagg.in_stock, false) as in_stock,
                 array(select distinct k from unnest(coalesce(cats.keys, '{}') || coalesce(cols.keys, '{}') || coalesce(attrs.keys, '{}')) k order by k) as facets,
                 coalesce(lowest.prices, '{}') as prices,
                 pub.search || setweight(to_tsvector('english', concat_ws(' ', cats.words, cols.words, attrs.words, opts.words)), 'C') as tsv,
                 jsonb_build_object('id', pub.id, 'handle', pub.handle, 'title', pub.title, 'description', pub.description,
                                    'images', coalesce(imgs.images, '[]'), 'variants', coalesce(vagg.variants, '[]')) as card,
                 concat_ws(' ', pub.title, cats.words, cols.words, attrs.words, opts.words) as words
            from pub
            left join cats on cats.product_id = pub.id left join cols on cols.product_id = pub.id
            left join attrs on attrs.product_id = pub.id left join opts on opts.product_id = pub.id
            left join vagg on vagg.product_id = pub.id left join lowest on lowest.product_id = pub.id
            left join imgs on imgs.product_id = pub.id
        ),
        changed as (
          update search_documents d
             set version = v, created_at = docs.created_at, in_stock = docs.in_stock, facets = docs.facets, prices = docs.prices, tsv = docs.tsv
            from docs where ${byKey ? 'd.product_id = any(ids) and ' : ''}d.product_id = docs.product_id
          returning d.product_id
        ),
        added as (
          insert into search_documents (product_id, version, created_at, in_stock, facets, prices, tsv)
          select product_id, v, created_at, in_stock, facets, prices, tsv from docs
           where product_id not in (select product_id from changed)
           order by product_id
          returning product_id
        ),
        cards as (
          insert into search_cards (product_id, card) select product_id, card from docs
          on conflict (product_id) do update set card = excluded.card
        )
        insert into search_terms (term)
        select distinct w from docs, unnest(tsvector_to_array(to_tsvector('simple', docs.words))) w
         where length(w) between 3 and 40 and w ~ '[a-z]'
         order by w
        on conflict do nothing;
`;
}

export class Migration20261207150000_search extends Migration {
  override async up(): Promise<void> {
    this.addSql('create extension if not exists pg_trgm;');
    for (const table of ['categories', 'collections', 'attribute_values']) {
      // A small integer per facet value, so a document's facet keys are a compact int[] (src/domain/search.ts decodes them).
      this.addSql(`alter table ${table} add column facet_no int generated always as identity, add constraint ${table}_facet_no_key unique (facet_no);`);
    }
    // GET /products/suggestions would hide a product with this handle.
    this.addSql(`alter table products add constraint products_handle_not_reserved check (handle <> 'suggestions');`);
    this.tables();
    this.rebuild();
    this.commit();
    this.marks();
    this.addSql(`insert into search_pending (product_id) select id from products where status = 'published';`);
    this.addSql(`select search_rebuild(array(select product_id from search_pending order by product_id), 1);`);
    this.addSql('delete from search_pending;');
  }

  private tables(): void {
    this.addSql(`
      create table catalog_state (
        singleton boolean primary key default true check (singleton),
        version bigint not null default 1,
        taxonomy_version bigint not null default 1,
        removed_before bigint not null default 0
      );`);
    this.addSql('insert into catalog_state default values;');
    // Narrow on purpose: a broad search visits one row per match, and row width is most of its cost (bench/catalog).
    this.addSql(`
      create table search_documents (
        doc_no int generated always as identity primary key,
        product_id uuid not null unique,
        version bigint not null,
        created_at timestamptz not null,
        in_stock boolean not null,
        facets int[] not null,
        prices jsonb not null,
        tsv tsvector not null
      );`);
    this.addSql('create index search_documents_tsv_idx on search_documents using gin (tsv);');
    this.addSql('create index search_documents_version_idx on search_documents (version);');
    // Newest first: the suggestions' order, walked until enough products match a common prefix.
    this.addSql('create index search_documents_created_idx on search_documents (created_at desc, doc_no desc);');
    this.addSql(`
      create table search_cards (
        product_id uuid primary key references search_documents (product_id) on delete cascade,
        card jsonb not null
      );`);
    this.addSql(`
      create table search_removed (
        doc_no int not null,
        version bigint not null,
        removed_at timestamptz not null default now()
      );`);
    this.addSql('create index search_removed_version_idx on search_removed (version);');
    this.addSql('create index search_removed_at_idx on search_removed (removed_at);');
    this.addSql(`create table search_terms (term text primary key check (length(term) between 3 and 40));`);
    this.addSql('create index search_terms_trgm_idx on search_terms using gist (term gist_trgm_ops);');
    this.addSql('create index search_terms_prefix_idx on search_terms (term text_pattern_ops);');
    // Rows live only inside the writing transaction (the commit trigger deletes them): unlogged, nothing to recover.
    this.addSql(`
      create unlogged table search_pending (
        xid xid8 not null default pg_current_xact_id(),
        product_id uuid not null,
        primary key (xid, product_id)
      );`);
    this.addSql(`
      create unlogged table search_pending_tx (
        xid xid8 primary key default pg_current_xact_id(),
        taxonomy boolean not null default false
      );`);
  }

  /**
   * search_rebuild(ids, v): the documents and cards of products `ids` as the catalog now has them,
   * written with version v; products no longer published (or gone) lose theirs. Set-based
   * throughout (one aggregate per kind of data, no query per product), so a batch of a thousand
   * products is one pass over each table. (Migration20261208100000's down() restores this version.)
   */
  rebuild(): void {
    this.addSql(`
      create function search_rebuild(ids uuid[], v bigint) returns void language plpgsql
      -- A batch is a few thousand rows of tables with millions: index lookups, which the default cost of a random read (4) makes the planner shun.
      set random_page_cost = 1.1 as $$
      begin
        with gone as (
          delete from search_documents d
           where d.product_id = any(ids)
             and not exists (select 1 from products p where p.id = d.product_id and p.status = 'published')
          returning d.doc_no)
        insert into search_removed (doc_no, version) select doc_no, v from gone;

        with recursive pub as (
          select p.id, p.handle, p.title, p.description, p.created_at, p.search from products p where p.id = any(ids) and p.status = 'published'
        ),
${taxonomyParts()}        opts as (
          select o.product_id, string_agg(ov.value, ' ') as words
            from product_options o join product_option_values ov on ov.option_id = o.id
           where o.product_id = any(ids)
           group by o.product_id
        ),
        vars as (
          select v.product_id, v.id, v.sku, v.title, v.position, coalesce(i.on_hand > i.reserved, false) as in_stock
            from variants v left join inventory i on i.sku = v.sku
           where v.product_id = any(ids)
        ),
        vprices as (
          select vp.variant_id, vars.product_id, vp.currency, vp.amount from vars join variant_prices vp on vp.variant_id = vars.id
        ),
        vopts as (
          select x.variant_id, jsonb_object_agg(o.name, ov.value) as options
            from vars join variant_option_values x on x.variant_id = vars.id
            join product_options o on o.id = x.option_id join product_option_values ov on ov.id = x.value_id
           group by x.variant_id
        ),
${documentWrites(false)}      end $$;`);
  }

  /**
   * Once per writing transaction, at commit: move the version (its row lock makes rebuilds take
   * turns), rebuild what the transaction touched, forget tombstones older than a day (an API
   * process further behind than that loads everything again).
   */
  private commit(): void {
    this.addSql(`
      create function search_commit() returns trigger language plpgsql as $$
      declare
        v bigint;
        purged bigint;
      begin
        update catalog_state
           set version = version + 1,
               taxonomy_version = taxonomy_version + (select count(*) from search_pending_tx where xid = pg_current_xact_id() and taxonomy)
         returning version into v;
        perform search_rebuild(array(select product_id from search_pending where xid = pg_current_xact_id() order by product_id), v);
        delete from search_pending where xid = pg_current_xact_id();
        delete from search_pending_tx where xid = pg_current_xact_id();
        with old as (delete from search_removed where removed_at < now() - interval '1 day' returning version)
        select max(version) into purged from old;
        if purged is not null then
          update catalog_state set removed_before = greatest(removed_before, purged + 1);
        end if;
        return null;
      end $$;`);
    this.addSql(`create constraint trigger search_commit after insert on search_pending_tx deferrable initially deferred
      for each row execute function search_commit();`);
  }

  /** The statement triggers that note what a write touched, table by table. */
  private marks(): void {
    this.markFunctions();
    this.taxonomyMarks();
    const tables: [string, string][] = [
      ['products', 'search_mark_products'], ['variants', 'search_mark_product_rows'], ['product_options', 'search_mark_product_rows'],
      ['product_option_values', 'search_mark_product_rows'], ['variant_option_values', 'search_mark_product_rows'],
      ['product_categories', 'search_mark_product_rows'], ['product_collections', 'search_mark_product_rows'],
      ['product_attribute_values', 'search_mark_product_rows'], ['product_images', 'search_mark_product_rows'],
      ['variant_prices', 'search_mark_prices'],
      ['categories', 'search_mark_taxonomy'], ['collections', 'search_mark_taxonomy'], ['attributes', 'search_mark_taxonomy'],
      ['attribute_values', 'search_mark_taxonomy'],
    ];
    for (const [table, func] of tables) {
      for (const event of ['insert', 'update', 'delete'] as const) this.statementTrigger(table, event, func);
    }
    // Stock: a new or removed row changes a product's availability; an update only when a variant sells out or comes back.
    this.statementTrigger('inventory', 'insert', 'search_mark_stock');
    this.statementTrigger('inventory', 'delete', 'search_mark_stock');
    this.addSql(`create trigger inventory_search_after_flip after update on inventory for each row
      when ((old.on_hand > old.reserved) is distinct from (new.on_hand > new.reserved)) execute function search_mark_stock_flip();`);
  }

  /** The functions of the statement triggers that note the products a write touched (Migration20261208100000's down() restores them with this). */
  markFunctions(): void {
    const noted = `insert into search_pending_tx default values on conflict do nothing;`;
    const fromRows = (select: (rows: string) => string) => `
        if tg_op in ('INSERT', 'UPDATE') then
          insert into search_pending (product_id) ${select('new_rows')} on conflict do nothing;
        end if;
        if tg_op in ('DELETE', 'UPDATE') then
          insert into search_pending (product_id) ${select('old_rows')} on conflict do nothing;
        end if;`;
    const fn = (name: string, body: string) => this.addSql(`
      create or replace function ${name}() returns trigger language plpgsql as $$
      begin
        ${body}
        ${noted}
        return null;
      end $$;`);
    fn('search_mark_products', fromRows((rows) => `select distinct id from ${rows}`));
    fn('search_mark_product_rows', fromRows((rows) => `select distinct product_id from ${rows}`));
    fn('search_mark_prices', fromRows((rows) => `select distinct v.product_id from ${rows} r join variants v on v.id = r.variant_id`));
    fn('search_mark_stock', fromRows((rows) => `select distinct v.product_id from ${rows} r join variants v on v.sku = r.sku`));
    this.addSql(`
      create or replace function search_mark_stock_flip() returns trigger language plpgsql as $$
      begin
        insert into search_pending (product_id) select product_id from variants where sku = new.sku on conflict do nothing;
        ${noted}
        return null;
      end $$;`);
  }

  private statementTrigger(table: string, event: 'insert' | 'update' | 'delete', func: string): void {
    const rows = { insert: 'new table as new_rows', update: 'old table as old_rows new table as new_rows', delete: 'old table as old_rows' }[event];
    this.addSql(`create trigger ${table}_search_after_${event} after ${event} on ${table}
      referencing ${rows} for each statement execute function ${func}();`);
  }

  /**
   * Taxonomy: a change of names, handles or the tree rebuilds the documents of the products filed
   * under it (a category's whole subtree: a move changes its products' ancestors); any change
   * tells API processes to reload the facet labels (taxonomy_version).
   */
  private taxonomyMarks(): void {
    this.addSql(`
      create function search_mark_taxonomy() returns trigger language plpgsql as $$
      begin
        if tg_op = 'UPDATE' then
          if tg_table_name = 'categories' then
            insert into search_pending (product_id)
            with recursive below (id) as (
              select id from new_rows union select c.id from categories c join below on c.parent_id = below.id)
            select distinct pc.product_id from product_categories pc join below on below.id = pc.category_id
            on conflict do nothing;
          elsif tg_table_name = 'collections' then
            insert into search_pending (product_id)
            select distinct pc.product_id from product_collections pc join new_rows r on r.id = pc.collection_id on conflict do nothing;
          elsif tg_table_name = 'attributes' then
            insert into search_pending (product_id)
            select distinct pa.product_id from product_attribute_values pa join new_rows r on r.id = pa.attribute_id on conflict do nothing;
          else
            insert into search_pending (product_id)
            select distinct pa.product_id from product_attribute_values pa join new_rows r on r.id = pa.value_id on conflict do nothing;
          end if;
        end if;
        insert into search_pending_tx (taxonomy) values (true) on conflict (xid) do update set taxonomy = true;
        return null;
      end $$;`);
  }

  override async down(): Promise<void> {
    const tables = ['products', 'variants', 'product_options', 'product_option_values', 'variant_option_values', 'product_categories',
      'product_collections', 'product_attribute_values', 'product_images', 'variant_prices', 'categories', 'collections', 'attributes', 'attribute_values'];
    for (const table of tables) {
      for (const event of ['insert', 'update', 'delete']) this.addSql(`drop trigger if exists ${table}_search_after_${event} on ${table};`);
    }
    for (const event of ['insert', 'delete', 'flip']) this.addSql(`drop trigger if exists inventory_search_after_${event} on inventory;`);
    this.addSql('drop table if exists search_pending_tx, search_pending, search_terms, search_removed, search_cards, search_documents, catalog_state cascade;');
    this.addSql(`drop function if exists search_commit(), search_rebuild(uuid[], bigint), search_mark_products(), search_mark_product_rows(),
      search_mark_prices(), search_mark_stock(), search_mark_stock_flip(), search_mark_taxonomy();`);
    this.addSql('alter table products drop constraint products_handle_not_reserved;');
    for (const table of ['categories', 'collections', 'attribute_values']) this.addSql(`alter table ${table} drop column facet_no;`);
  }
}
