import { Migration } from '@mikro-orm/migrations';

/**
 * Staff accounts with roles, and their personal API keys; the audit trail names the account.
 *
 * staff_accounts: one per person, never deleted (disabled instead), so the audit trail can always
 * say who acted. Roles are a checked array: a new role is a new migration.
 * staff_api_keys: only the SHA-256 digest of each key is kept (the key is shown once), with a hint
 * (its first characters) to tell keys apart in lists, and when it was last used (written at most
 * once a minute per key: src/store/staff.ts).
 * support_actions: each new row names the staff account and the key that acted (support_actions_by_staff
 * holds for new rows only: rows written before this migration named a self-declared agent). Stock
 * changes (by SKU) and changes to staff accounts are audited in the same table.
 */
export class Migration20261207110000_staff_accounts extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table staff_accounts (
        id uuid primary key default gen_random_uuid(),
        name text not null unique check (name ~ '^[a-z0-9][a-z0-9._@-]{0,63}$'),
        roles text[] not null check (cardinality(roles) > 0 and roles <@ array['support', 'warehouse', 'catalog', 'admin']::text[]),
        created_at timestamptz not null default now(),
        created_by uuid references staff_accounts(id),
        disabled_at timestamptz
      );`);
    this.addSql(`
      create table staff_api_keys (
        id uuid primary key default gen_random_uuid(),
        staff_id uuid not null references staff_accounts(id),
        digest text not null unique check (digest ~ '^[0-9a-f]{64}$'),
        hint text not null check (hint like 'staff\\_%'),
        label text not null default '' check (length(label) <= 100),
        created_at timestamptz not null default now(),
        created_by uuid references staff_accounts(id),
        last_used_at timestamptz,
        revoked_at timestamptz,
        revoked_by uuid references staff_accounts(id)
      );`);
    this.addSql(`create index staff_api_keys_staff_idx on staff_api_keys (staff_id, created_at);`);

    this.addSql(`
      alter table support_actions
        add column staff_id uuid references staff_accounts(id),
        add column staff_key_id uuid references staff_api_keys(id),
        add column sku text,
        add column subject_staff_id uuid references staff_accounts(id);`);
    this.addSql(`alter table support_actions drop constraint support_actions_has_subject;`);
    this.addSql(`alter table support_actions add constraint support_actions_has_subject
      check (num_nonnulls(order_id, shipment_id, sku, subject_staff_id) > 0);`);
    this.addSql(`alter table support_actions add constraint support_actions_by_staff check (staff_id is not null) not valid;`);
    this.addSql(`create index support_actions_sku_idx on support_actions (sku, requested_at) where sku is not null;`);
    this.addSql(`create index support_actions_staff_idx on support_actions (staff_id, requested_at) where staff_id is not null;`);
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists support_actions_staff_idx;');
    this.addSql('drop index if exists support_actions_sku_idx;');
    this.addSql('alter table support_actions drop constraint support_actions_by_staff;');
    this.addSql('delete from support_actions where order_id is null and shipment_id is null;');
    this.addSql('alter table support_actions drop constraint support_actions_has_subject;');
    this.addSql('alter table support_actions add constraint support_actions_has_subject check (order_id is not null or shipment_id is not null);');
    this.addSql('alter table support_actions drop column staff_id, drop column staff_key_id, drop column sku, drop column subject_staff_id;');
    this.addSql('drop table if exists staff_api_keys;');
    this.addSql('drop table if exists staff_accounts;');
  }
}
