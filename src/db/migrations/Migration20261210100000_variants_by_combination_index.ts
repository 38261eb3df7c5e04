import { Migration } from '@mikro-orm/migrations';

/**
 * variants_product_idx (product_id, position) is dropped: every read of a product's variants
 * (the product page's stock, the search rebuild, the admin's product, a deleted product's
 * variants) finds them through variants_one_per_combination (product_id, option_key) as well, and
 * none needs them in position order from the index (a product has a few variants, sorted where
 * their order matters). One index entry fewer per variant written: 650,000 per 100,000-product
 * import (bench/import).
 */
export class Migration20261210100000_variants_by_combination_index extends Migration {
  override async up(): Promise<void> {
    this.addSql('drop index variants_product_idx;');
  }

  override async down(): Promise<void> {
    this.addSql('create index variants_product_idx on variants (product_id, position);');
  }
}
