import { Migration } from '@mikro-orm/migrations';

/** The catalog rows written per product (a bulk import writes about fourteen per product: the product, its options, values and variants, and its images). */
const TABLES = ['products', 'product_options', 'product_option_values', 'variants', 'product_images'];

/** A version-7 UUID without PostgreSQL 18's uuidv7(): the Unix time in milliseconds over gen_random_uuid()'s first 48 bits, version 7 over its 4. */
export const PORTABLE_UUID_V7 = `encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
  placing substring(int8send((extract(epoch from clock_timestamp()) * 1000)::bigint) from 3) from 1 for 6), 52, 1), 53, 1), 'hex')::uuid`;

/**
 * New catalog rows get time-ordered UUIDs (version 7: a millisecond timestamp, then random bits)
 * instead of random ones (version 4). Every index keyed by these ids, or led by them (a variant's
 * choices, prices and stock rows by its id; a product's options, variants, attribute values,
 * categories, images, search document and card by its id), then takes a batch's new entries at
 * its right edge instead of on pages all over it: the pages a write touches stay few and in cache,
 * and a leaf page filled by increasing keys is split once, full, instead of in halves. What the
 * ids are is unchanged: unique, unguessable enough for what they name (62 random bits or more), and
 * PostgreSQL's `uuid` type; rows written before keep theirs.
 *
 * uuid_v7() is PostgreSQL 18's uuidv7() where the server has it (embedded, dev, tests, the stack)
 * and the same layout built from gen_random_uuid() elsewhere (compose's PostgreSQL 16).
 */
export class Migration20261210110000_time_ordered_catalog_ids extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      do $do$
      begin
        if exists (select 1 from pg_proc where proname = 'uuidv7' and pronamespace = 'pg_catalog'::regnamespace) then
          create function uuid_v7() returns uuid language sql volatile parallel safe as $f$ select uuidv7() $f$;
        else
          create function uuid_v7() returns uuid language sql volatile parallel safe as $f$ select ${PORTABLE_UUID_V7} $f$;
        end if;
      end $do$;`);
    for (const table of TABLES) this.addSql(`alter table ${table} alter column id set default uuid_v7();`);
  }

  override async down(): Promise<void> {
    for (const table of TABLES) this.addSql(`alter table ${table} alter column id set default gen_random_uuid();`);
    this.addSql('drop function uuid_v7();');
  }
}
