import { Migration } from '@mikro-orm/migrations';

/**
 * Bulk catalog imports (workflows/catalog-import.ts): the import itself (who started it, its file's
 * format, mode and currency, its status and counts), its file, split at product boundaries into
 * chunks that the workflow's activities read one at a time (the file never travels through the
 * workflow's history), and the errors found in its rows.
 *
 * A chunk is written once with the upload and marked done in the same transaction as the batch of
 * products it held, so an import resumed after a crash carries on from the first chunk not done and
 * never writes a batch twice. The chunks are deleted when the import ends; the import and its errors stay.
 *
 * The triggers that keep each product's option_count and each variant's option_key up to date now
 * write only the rows whose value changes: a writer that sets them right as it inserts (the import
 * does) no longer pays for a second version of every product and variant row, and of their index
 * entries (the products' full-text entries among them).
 */
export class Migration20261207160000_catalog_imports extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table catalog_imports (
        id uuid primary key,
        idempotency_key text not null unique check (length(idempotency_key) between 8 and 255),
        content_sha256 text not null check (content_sha256 ~ '^[0-9a-f]{64}$'),
        format text not null check (format in ('csv', 'jsonl')),
        mode text not null check (mode in ('all', 'partial')),
        currency char(3) not null check (currency ~ '^[A-Z]{3}$'),
        header text[],
        ignored_columns text[] not null default '{}',
        status text not null default 'uploaded'
          check (status in ('uploaded', 'validating', 'importing', 'completed', 'rejected', 'failed')),
        bytes bigint not null check (bytes >= 0),
        rows_total int not null check (rows_total >= 0),
        products_total int not null check (products_total >= 0),
        chunks_total int not null check (chunks_total >= 0),
        rows_checked int not null default 0 check (rows_checked >= 0),
        rows_done int not null default 0 check (rows_done >= 0),
        products_created int not null default 0 check (products_created >= 0),
        products_updated int not null default 0 check (products_updated >= 0),
        variants_written int not null default 0 check (variants_written >= 0),
        rows_failed int not null default 0 check (rows_failed >= 0),
        error_count int not null default 0 check (error_count >= 0),
        failure text,
        actor text not null check (length(actor) between 1 and 200),
        staff_id uuid,
        key_id uuid,
        request_id text,
        created_at timestamptz not null default now(),
        started_at timestamptz,
        finished_at timestamptz,
        updated_at timestamptz not null default now(),
        constraint catalog_imports_rows_done_at_most_total check (rows_done + rows_failed <= rows_total)
      );`);
    this.addSql('create index catalog_imports_created_idx on catalog_imports (created_at desc, id);');
    this.addSql(`
      create table catalog_import_chunks (
        import_id uuid not null references catalog_imports(id) on delete cascade,
        seq int not null check (seq >= 0),
        first_row int not null check (first_row >= 1),
        rows int not null check (rows >= 1),
        products int not null check (products >= 1),
        records text not null,
        -- Rows of the products validation found errors in (each product by its first row): left out when the chunk is written.
        skip_rows int[] not null default '{}',
        done_at timestamptz,
        primary key (import_id, seq)
      );`);
    // Each chunk is read whole by one activity: stored out of line and uncompressed, read without a decompression pass.
    this.addSql('alter table catalog_import_chunks alter column records set storage external;');
    this.addSql(`
      create table catalog_import_errors (
        import_id uuid not null references catalog_imports(id) on delete cascade,
        id bigint generated always as identity,
        row int not null check (row >= 1),
        column_name text,
        code text not null,
        message text not null check (length(message) <= 2000),
        primary key (import_id, id)
      );`);
    this.addSql('create index catalog_import_errors_row_idx on catalog_import_errors (import_id, row, id);');
    this.optionTriggers(true);
  }

  /**
   * The option triggers' functions: writing only the rows whose value changes (`onlyChanged`), or every row of the statement as the catalog
   * migration made them. (Migration20261208100000's down() restores the first.)
   */
  optionTriggers(onlyChanged: boolean): void {
    this.addSql(`
      create or replace function products_count_options() returns trigger language plpgsql as $$
      begin
        update products p set option_count = k.n
          from (select c.product_id, (select count(*) from product_options o where o.product_id = c.product_id) as n
                  from (select distinct product_id from changed_options) c) k
         where p.id = k.product_id${onlyChanged ? ' and p.option_count <> k.n' : ''};
        return null;
      end $$;`);
    this.addSql(`
      create or replace function variants_key_options() returns trigger language plpgsql as $$
      begin
        update variants v
           set option_key = coalesce(k.option_key, ''), option_count = coalesce(k.option_count, 0)
          from (select c.variant_id, string_agg(x.value_id::text, ',' order by x.option_id) as option_key, count(x.value_id) as option_count
                  from (select distinct variant_id from changed_values) c
                  left join variant_option_values x on x.variant_id = c.variant_id
                 group by c.variant_id) k
         where v.id = k.variant_id${onlyChanged ? `
           and (v.option_key, v.option_count) is distinct from (coalesce(k.option_key, ''), coalesce(k.option_count, 0))` : ''};
        return null;
      end $$;`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists catalog_import_errors, catalog_import_chunks, catalog_imports;');
    this.optionTriggers(false);
  }
}
