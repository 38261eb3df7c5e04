import { Migration } from '@mikro-orm/migrations';

/**
 * A per-customer limit counted a signed-in customer's uses under the account only, and a guest's
 * under the e-mail only, so a customer who had used a code once could use it again by checking out
 * as a guest with the same e-mail. A signed-in customer's order now counts under both keys (the
 * account, and the e-mail the order was placed with) and a guest's under the e-mail, and every key
 * an order counted is kept on its redemption, so the give-back takes back exactly those.
 */
export class Migration20261210120000_customer_uses_by_account_and_email extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table promotion_redemptions add column customer_keys text[];');
    this.addSql('update promotion_redemptions set customer_keys = array[customer_key];');
    this.addSql(`alter table promotion_redemptions alter column customer_keys set not null,
      add constraint promotion_redemptions_customer_keys_check check (cardinality(customer_keys) between 1 and 2),
      drop column customer_key;`);
  }

  override async down(): Promise<void> {
    this.addSql('alter table promotion_redemptions add column customer_key text check (length(customer_key) between 1 and 300);');
    this.addSql('update promotion_redemptions set customer_key = customer_keys[1];');
    this.addSql('alter table promotion_redemptions alter column customer_key set not null, drop column customer_keys;');
  }
}
