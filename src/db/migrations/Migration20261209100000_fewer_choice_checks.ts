import { Migration } from '@mikro-orm/migrations';
import { BY_INDEX, Migration20261208100000_search_by_index, searchMark } from './Migration20261208100000_search_by_index';

/**
 * Fewer checks for each choice of a variant (a row of variant_option_values), the most numerous
 * rows of the catalog (about twelve per product), with the same rules.
 *
 * A choice carried three foreign keys: its variant (variant_id, product_id), its option
 * (option_id, product_id) and its value (value_id, option_id). A value names its option and its
 * product, and product_option_values' own key holds those to the option, so the value's key now
 * covers the product too, (value_id, option_id, product_id), and the option's key says nothing the
 * value's does not: it is dropped. What it did on delete (a removed option takes the choices of its
 * values with it) is a trigger on product_options now. The value's key keeps its name, so a value
 * still picked by a variant is refused as before (in_use). At 100,000 products that is 1.2 million
 * checks fewer per import (bench/import: each costs PostgreSQL about 10 µs, with its row lock).
 *
 * Also: a variant's option key is read with one lookup of its choices instead of two, and the
 * search mark for prices looks each variant up once (a variant has a price per currency).
 */
export class Migration20261209100000_fewer_choice_checks extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table product_option_values add constraint product_option_values_id_option_id_product_id_key unique (id, option_id, product_id);');
    this.addSql('alter table variant_option_values drop constraint variant_option_values_value_id_option_id_fkey;');
    this.addSql(`alter table variant_option_values add constraint variant_option_values_value_id_option_id_fkey
      foreign key (value_id, option_id, product_id) references product_option_values (id, option_id, product_id);`);
    this.addSql('alter table product_option_values drop constraint product_option_values_id_option_id_key;');
    this.addSql('alter table variant_option_values drop constraint variant_option_values_option_id_product_id_fkey;');
    this.addSql(`
      create function product_options_release_choices() returns trigger language plpgsql ${BY_INDEX} as $$
      begin
        delete from variant_option_values x using product_option_values ov where ov.option_id = old.id and x.value_id = ov.id;
        return old;
      end $$;`);
    this.addSql(`create trigger product_options_release_choices before delete on product_options
      for each row execute function product_options_release_choices();`);
    this.addSql(`
      create or replace function variants_key_options() returns trigger language plpgsql ${BY_INDEX} as $$
      begin
        with keyed as (
          select c.variant_id, k.option_key, k.option_count
            from (select distinct variant_id from changed_values) c,
                 lateral (select coalesce(string_agg(x.value_id::text, ',' order by x.option_id), '') as option_key, count(*)::smallint as option_count
                            from variant_option_values x where x.variant_id = c.variant_id) k
        ),
        stale as (
          select k.* from keyed k
           where (select (v.option_key, v.option_count) from variants v where v.id = k.variant_id) is distinct from (k.option_key, k.option_count)
        )
        update variants v set option_key = stale.option_key, option_count = stale.option_count from stale where v.id = stale.variant_id;
        return null;
      end $$;`);
    this.addSql(searchMark('search_mark_prices', 'id', 'variant_id', true));
  }

  override async down(): Promise<void> {
    this.addSql('drop trigger product_options_release_choices on product_options;');
    this.addSql('drop function product_options_release_choices();');
    this.addSql(`alter table variant_option_values add constraint variant_option_values_option_id_product_id_fkey
      foreign key (option_id, product_id) references product_options (id, product_id) on delete cascade;`);
    this.addSql('alter table product_option_values add constraint product_option_values_id_option_id_key unique (id, option_id);');
    this.addSql('alter table variant_option_values drop constraint variant_option_values_value_id_option_id_fkey;');
    this.addSql(`alter table variant_option_values add constraint variant_option_values_value_id_option_id_fkey
      foreign key (value_id, option_id) references product_option_values (id, option_id);`);
    this.addSql('alter table product_option_values drop constraint product_option_values_id_option_id_product_id_key;');
    // The previous functions of the option key and the price mark (Migration20261208100000_search_by_index).
    const previous = new Migration20261208100000_search_by_index(this.driver, this.config);
    previous.optionTriggers();
    previous.marks();
    for (const sql of previous.getQueries()) this.addSql(sql);
  }
}
