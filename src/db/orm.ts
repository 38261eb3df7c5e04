import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { ALL_ENTITIES } from './entities';
import { closeSqlPool, openSqlPool } from './sql';
import { Migration20261126000000_initial } from './migrations/Migration20261126000000_initial';
import { Migration20261126090000_fulfillment } from './migrations/Migration20261126090000_fulfillment';
import { Migration20261126120000_support } from './migrations/Migration20261126120000_support';
import { Migration20261126130000_providers } from './migrations/Migration20261126130000_providers';
import { Migration20261126140000_delivery_reports } from './migrations/Migration20261126140000_delivery_reports';
import { Migration20261126150000_repeated_notifications } from './migrations/Migration20261126150000_repeated_notifications';
import { Migration20261126160000_refund_outcomes } from './migrations/Migration20261126160000_refund_outcomes';
import { Migration20261207100000_customer_accounts } from './migrations/Migration20261207100000_customer_accounts';
import { Migration20261207110000_staff_accounts } from './migrations/Migration20261207110000_staff_accounts';
import { Migration20261207110100_rate_limits } from './migrations/Migration20261207110100_rate_limits';
import { Migration20261207120000_catalog } from './migrations/Migration20261207120000_catalog';
import { Migration20261207130000_failure_notices } from './migrations/Migration20261207130000_failure_notices';
import { Migration20261207130100_order_access_secret } from './migrations/Migration20261207130100_order_access_secret';
import { Migration20261207140000_pricing } from './migrations/Migration20261207140000_pricing';
import { Migration20261207150000_search } from './migrations/Migration20261207150000_search';
import { Migration20261207160000_catalog_imports } from './migrations/Migration20261207160000_catalog_imports';
import { Migration20261207170000_privacy } from './migrations/Migration20261207170000_privacy';
import { Migration20261207180000_order_events } from './migrations/Migration20261207180000_order_events';
import { Migration20261208100000_search_by_index } from './migrations/Migration20261208100000_search_by_index';
import { Migration20261208120000_order_events_in_commit_order } from './migrations/Migration20261208120000_order_events_in_commit_order';
import { Migration20261209100000_fewer_choice_checks } from './migrations/Migration20261209100000_fewer_choice_checks';
import { Migration20261209100100_one_product_key_per_variant } from './migrations/Migration20261209100100_one_product_key_per_variant';
import { Migration20261209110000_hot_cart_touch } from './migrations/Migration20261209110000_hot_cart_touch';
import { Migration20261210100000_variants_by_combination_index } from './migrations/Migration20261210100000_variants_by_combination_index';
import { Migration20261210110000_time_ordered_catalog_ids } from './migrations/Migration20261210110000_time_ordered_catalog_ids';
import { Migration20261210120000_customer_uses_by_account_and_email } from './migrations/Migration20261210120000_customer_uses_by_account_and_email';

/** Migrations are listed here (not discovered from disk) so compiled and tsx runs see the same set. */
export const MIGRATIONS = [
  { name: 'Migration20261126000000_initial', class: Migration20261126000000_initial },
  { name: 'Migration20261126090000_fulfillment', class: Migration20261126090000_fulfillment },
  { name: 'Migration20261126120000_support', class: Migration20261126120000_support },
  { name: 'Migration20261126130000_providers', class: Migration20261126130000_providers },
  { name: 'Migration20261126140000_delivery_reports', class: Migration20261126140000_delivery_reports },
  { name: 'Migration20261126150000_repeated_notifications', class: Migration20261126150000_repeated_notifications },
  { name: 'Migration20261126160000_refund_outcomes', class: Migration20261126160000_refund_outcomes },
  { name: 'Migration20261207100000_customer_accounts', class: Migration20261207100000_customer_accounts },
  { name: 'Migration20261207110000_staff_accounts', class: Migration20261207110000_staff_accounts },
  { name: 'Migration20261207110100_rate_limits', class: Migration20261207110100_rate_limits },
  { name: 'Migration20261207120000_catalog', class: Migration20261207120000_catalog },
  { name: 'Migration20261207130000_failure_notices', class: Migration20261207130000_failure_notices },
  { name: 'Migration20261207130100_order_access_secret', class: Migration20261207130100_order_access_secret },
  { name: 'Migration20261207140000_pricing', class: Migration20261207140000_pricing },
  { name: 'Migration20261207150000_search', class: Migration20261207150000_search },
  { name: 'Migration20261207160000_catalog_imports', class: Migration20261207160000_catalog_imports },
  { name: 'Migration20261207170000_privacy', class: Migration20261207170000_privacy },
  { name: 'Migration20261207180000_order_events', class: Migration20261207180000_order_events },
  { name: 'Migration20261208100000_search_by_index', class: Migration20261208100000_search_by_index },
  { name: 'Migration20261208120000_order_events_in_commit_order', class: Migration20261208120000_order_events_in_commit_order },
  { name: 'Migration20261209100000_fewer_choice_checks', class: Migration20261209100000_fewer_choice_checks },
  { name: 'Migration20261209100100_one_product_key_per_variant', class: Migration20261209100100_one_product_key_per_variant },
  { name: 'Migration20261209110000_hot_cart_touch', class: Migration20261209110000_hot_cart_touch },
  { name: 'Migration20261210100000_variants_by_combination_index', class: Migration20261210100000_variants_by_combination_index },
  { name: 'Migration20261210110000_time_ordered_catalog_ids', class: Migration20261210110000_time_ordered_catalog_ids },
  { name: 'Migration20261210120000_customer_uses_by_account_and_email', class: Migration20261210120000_customer_uses_by_account_and_email },
];

export function ormOptions(clientUrl: string, poolMax = 10): Options {
  return {
    clientUrl,
    entities: ALL_ENTITIES,
    extensions: [Migrator],
    pool: { min: 0, max: poolMax },
    discovery: { warnWhenNoEntities: true },
    debug: false,
    allowGlobalContext: false,
    migrations: { migrationsList: MIGRATIONS, silent: true, transactional: true, allOrNothing: true, tableName: 'mikro_orm_migrations' },
  };
}

/**
 * The ORM, and beside it the plain-SQL pool of the storefront's hot paths (src/db/sql.ts), of the
 * same size: a process may hold up to twice `poolMax` connections. Close both with closeOrm.
 */
export async function createOrm(clientUrl: string, poolMax = 10): Promise<MikroORM> {
  const orm = await MikroORM.init(ormOptions(clientUrl, poolMax));
  openSqlPool(orm, clientUrl, poolMax);
  return orm;
}

/** Closes what createOrm opened: the plain-SQL pool, then the ORM's (`force`: without waiting for its connections in use). */
export async function closeOrm(orm: MikroORM, force = false): Promise<void> {
  await closeSqlPool(orm);
  await orm.close(force);
}

/** Applies pending migrations; never schema-sync. Returns the names applied. */
export async function migrate(orm: MikroORM): Promise<string[]> {
  const applied = await orm.getMigrator().up();
  return applied.map((m) => m.name);
}

export type { MikroORM };
