import { Migration } from '@mikro-orm/migrations';
import { documentWrites, Migration20261207150000_search, taxonomyParts } from './Migration20261207150000_search';
import { Migration20261207160000_catalog_imports } from './Migration20261207160000_catalog_imports';

/**
 * PL/pgSQL keeps a function's plans for the life of the connection, and a statement without
 * parameters (a trigger's) is not planned again until an ANALYZE: a plan made while the tables
 * were nearly empty (an import into a new catalog) would go on scanning them whole for as long as
 * the import's connections live. These functions reach every row of a large table by its key, so
 * they forbid the other plans outright: the triggers look rows up one by one (BY_INDEX: a few
 * thousand lookups a statement at most), the rebuild reads each table once per batch by the
 * batch's keys and hashes the batch's rows together (BATCH_PLANS: no nested loop over two
 * batches, whatever the row estimates).
 */
export const BY_INDEX = 'set enable_seqscan = off set enable_hashjoin = off set enable_mergejoin = off';
const BATCH_PLANS = 'set enable_seqscan = off set enable_nestloop = off set enable_mergejoin = off';

/**
 * The functions that run in every catalog write (the search rebuild at commit, the option
 * triggers, the search marks for prices and stock) reach the large tables only through their
 * indexes, keyed by the rows the write touched, so what a write costs no longer grows with the
 * catalog.
 *
 * Before, they were single set-based statements whose plans joined the batch's rows to whole
 * tables: the rebuild read every row of inventory, variant_prices, variant_option_values,
 * product_option_values, product_options and product_attribute_values (hash or merge joins), and
 * all published products to find the documents to take down; the option-key trigger read all of
 * variants and variant_option_values. Cheap on a small catalog; on one that grows to 100,000
 * products during an import, each batch of 250 paid for every product already there (bench/import:
 * PostgreSQL's CPU per product doubled between 5,000 and 100,000 products). A plan PL/pgSQL made
 * when the tables were small also stays cached until the next ANALYZE.
 *
 * Now every one of those reads is keyed by the rows the statement touched: the rebuild reads each
 * table by `key = any(<the batch's keys>)` (the products' ids, then their variants' ids and SKUs,
 * their options' ids), the triggers look each row up by its key. The documents, cards and terms
 * are the same as before.
 */
/**
 * A search mark for rows keyed by a variant (`column` of the rows, `key` of variants): the products
 * of the rows a statement wrote, each variant looked up by its key. `once`: each variant's key taken
 * once first (rows with several per variant, prices: Migration20261209100000).
 */
export function searchMark(name: string, key: string, column: string, once = false): string {
  const products = (rows: string) => `select product_id from (select distinct (select v.product_id from variants v where v.${key} = r.${column}) as product_id
        from ${once ? `(select distinct ${column} from ${rows})` : rows} r) x where product_id is not null`;
  return `
      create or replace function ${name}() returns trigger language plpgsql ${BY_INDEX} as $$
      begin
        if tg_op in ('INSERT', 'UPDATE') then
          insert into search_pending (product_id) ${products('new_rows')} on conflict do nothing;
        end if;
        if tg_op in ('DELETE', 'UPDATE') then
          insert into search_pending (product_id) ${products('old_rows')} on conflict do nothing;
        end if;
        insert into search_pending_tx default values on conflict do nothing;
        return null;
      end $$;`;
}

export class Migration20261208100000_search_by_index extends Migration {
  override async up(): Promise<void> {
    this.addSql('drop function search_rebuild(uuid[], bigint);');
    this.rebuild();
    this.optionTriggers();
    this.marks();
  }

  /**
   * search_rebuild(ids, v): the documents and cards of products `ids` as the catalog now has them,
   * written with version v; products no longer published (or gone) lose theirs. Set-based as
   * before (one aggregate per kind of data), but every large table is read only by
   * `key = any(<the batch's keys>)`, through its index, and the batch's rows are joined by hashing
   * (BATCH_PLANS).
   */
  private rebuild(): void {
    this.addSql(`
      create function search_rebuild(ids uuid[], v bigint) returns void language plpgsql
      ${BATCH_PLANS} set random_page_cost = 1.1 as $$
      begin
        with gone as (
          delete from search_documents d
           where d.product_id = any(ids)
             and (select p.status from products p where p.id = d.product_id) is distinct from 'published'
          returning d.doc_no)
        insert into search_removed (doc_no, version) select doc_no, v from gone;

        with recursive batch as materialized (
          -- By id alone (the primary key): with the status here, PostgreSQL may skip-scan the published products' index instead.
          select p.id, p.handle, p.title, p.description, p.created_at, p.search, p.status from products p where p.id = any(ids)
        ),
        pub as (select * from batch where status = 'published'),
${taxonomyParts()}        popts as materialized (
          select id, product_id, name from product_options where product_id = any(ids)
        ),
        pvals as materialized (
          select id, option_id, value from product_option_values where option_id = any(array(select id from popts))
        ),
        opts as (
          select o.product_id, string_agg(ov.value, ' ') as words from popts o join pvals ov on ov.option_id = o.id group by o.product_id
        ),
        batch_variants as materialized (
          select product_id, id, sku, title, position from variants where product_id = any(ids)
        ),
        stock as (
          select sku, on_hand > reserved as in_stock from inventory where sku = any(array(select sku from batch_variants))
        ),
        vars as materialized (
          select v.*, coalesce(stock.in_stock, false) as in_stock from batch_variants v left join stock on stock.sku = v.sku
        ),
        vprices as materialized (
          select vars.product_id, vp.variant_id, vp.currency, vp.amount
            from variant_prices vp join vars on vars.id = vp.variant_id
           where vp.variant_id = any(array(select id from vars))
        ),
        vopts as (
          select x.variant_id, jsonb_object_agg(o.name, ov.value) as options
            from variant_option_values x join popts o on o.id = x.option_id join pvals ov on ov.id = x.value_id
           where x.variant_id = any(array(select id from vars))
           group by x.variant_id
        ),
${documentWrites(true)}      end $$;`);
  }

  /** A product's option_count follows its options, a variant's option_key and option_count its values; rows already right are not written. (Migration20261209100000's down() restores these.) */
  optionTriggers(): void {
    this.addSql(`
      create or replace function products_count_options() returns trigger language plpgsql ${BY_INDEX} as $$
      begin
        with counted as (
          select c.product_id, (select count(*) from product_options o where o.product_id = c.product_id) as n
            from (select distinct product_id from changed_options) c
        ),
        stale as (
          select product_id, n from counted where (select p.option_count from products p where p.id = counted.product_id) <> n
        )
        update products p set option_count = stale.n from stale where p.id = stale.product_id;
        return null;
      end $$;`);
    this.addSql(`
      create or replace function variants_key_options() returns trigger language plpgsql ${BY_INDEX} as $$
      begin
        with keyed as (
          select c.variant_id,
                 coalesce((select string_agg(x.value_id::text, ',' order by x.option_id) from variant_option_values x where x.variant_id = c.variant_id), '')
                   as option_key,
                 (select count(*) from variant_option_values x where x.variant_id = c.variant_id) as option_count
            from (select distinct variant_id from changed_values) c
        ),
        stale as (
          select k.* from keyed k
           where (select (v.option_key, v.option_count) from variants v where v.id = k.variant_id) is distinct from (k.option_key, k.option_count::smallint)
        )
        update variants v set option_key = stale.option_key, option_count = stale.option_count from stale where v.id = stale.variant_id;
        return null;
      end $$;`);
  }

  /** The products whose prices or stock rows a statement wrote, each found by its variant's key. */
  marks(): void {
    this.addSql(searchMark('search_mark_prices', 'id', 'variant_id'));
    this.addSql(searchMark('search_mark_stock', 'sku', 'sku'));
  }

  override async down(): Promise<void> {
    this.addSql('drop function search_rebuild(uuid[], bigint);');
    const search = new Migration20261207150000_search(this.driver, this.config);
    search.rebuild();
    search.markFunctions();
    const imports = new Migration20261207160000_catalog_imports(this.driver, this.config);
    imports.optionTriggers(true);
    for (const sql of [...search.getQueries(), ...imports.getQueries()]) this.addSql(sql);
  }
}
