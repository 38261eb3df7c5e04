import { Migration } from '@mikro-orm/migrations';
import { BY_INDEX } from './Migration20261208100000_search_by_index';

/**
 * A variant carried two foreign keys to its product: product_id alone (on delete cascade) and
 * (product_id, option_count), deferred, which holds a variant to one value of each of its
 * product's options and so to a product that exists. The first is dropped: one check fewer per
 * variant (650,000 per 100,000-product import). What it did on delete (a deleted product takes its
 * variants with it, at once) is a trigger on products now.
 *
 * What changes: a variant written for a product that does not exist is refused at commit (or at
 * `set constraints all immediate`), by the second key, instead of at once. Every write of the
 * catalog takes its product's row first (its version, or the import's upsert), so none meets a
 * missing product.
 */
export class Migration20261209100100_one_product_key_per_variant extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create function products_delete_variants() returns trigger language plpgsql ${BY_INDEX} as $$
      begin
        delete from variants where product_id = old.id;
        return old;
      end $$;`);
    this.addSql('create trigger products_delete_variants before delete on products for each row execute function products_delete_variants();');
    this.addSql('alter table variants drop constraint variants_product_id_fkey;');
  }

  override async down(): Promise<void> {
    this.addSql('alter table variants add constraint variants_product_id_fkey foreign key (product_id) references products (id) on delete cascade;');
    this.addSql('drop trigger products_delete_variants on products;');
    this.addSql('drop function products_delete_variants();');
  }
}
