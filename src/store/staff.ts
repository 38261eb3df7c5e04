/**
 * Staff accounts and their API keys. A key is random, prefixed `staff_`, shown once, and kept only
 * as its SHA-256 digest; a request's key is found by its digest (a unique index: an attacker cannot
 * steer a SHA-256 towards a stored one, so the lookup's timing tells nothing). Every change to an
 * account or a key is written with its audit row (support_actions) in one transaction.
 */
import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/postgresql';
import { newToken, sha256Hex } from '../auth/tokens';
import { DomainError, ErrorCode } from '../domain/errors';
import { keyHint, STAFF_KEY_PREFIX, type StaffPrincipal, type StaffRole } from '../domain/staff';
import { sqlRows, statement } from '../db/sql';
import { auditDone } from './support';

/** Who changes staff accounts, and through what: an admin's key, or the bootstrap (by the new admin itself). */
export interface StaffChange { by: Pick<StaffPrincipal, 'id' | 'keyId' | 'name'>; via: 'cli' | 'api' }

export interface StaffKeyRow {
  id: string; staff_id: string; hint: string; label: string; created_at: string; last_used_at: string | null; revoked_at: string | null;
}

export interface StaffAccountRow { id: string; name: string; roles: StaffRole[]; created_at: string; disabled_at: string | null }

export interface StaffAccountWithKeys extends StaffAccountRow { keys: StaffKeyRow[] }

/**
 * The key's owner, when the key is live (not revoked, its account not disabled). In the same
 * statement its last use is recorded, at most once a minute: a key used on every request costs a
 * write a minute, not one per request.
 */
const KEY_OWNER = statement('staff_key_owner', `
  with found as (
    select k.id as key_id, a.id, a.name, a.roles, k.last_used_at
      from staff_api_keys k join staff_accounts a on a.id = k.staff_id
     where k.digest = $1 and k.revoked_at is null and a.disabled_at is null),
  touched as (
    update staff_api_keys set last_used_at = now()
     where id = (select key_id from found) and (last_used_at is null or last_used_at < now() - interval '1 minute'))
  select key_id, id, name, roles from found`);

export async function staffOfKey(em: EntityManager, key: string): Promise<StaffPrincipal | undefined> {
  const [row] = await sqlRows<{ key_id: string; id: string; name: string; roles: StaffRole[] }>(em, KEY_OWNER, [sha256Hex(key)]);
  return row && { id: row.id, name: row.name, roles: row.roles, keyId: row.key_id };
}

const ACCOUNT = 'id, name, roles, created_at, disabled_at';
const KEY = 'id, staff_id, hint, label, created_at, last_used_at, revoked_at';

export async function staffAccounts(em: EntityManager): Promise<StaffAccountWithKeys[]> {
  const accounts = await em.execute<StaffAccountRow[]>(`select ${ACCOUNT} from staff_accounts order by name`);
  const keys = await em.execute<StaffKeyRow[]>(`select ${KEY} from staff_api_keys order by created_at`);
  return accounts.map((a) => ({ ...a, keys: keys.filter((k) => k.staff_id === a.id) }));
}

/** One account, by id or by name, with its keys. */
export async function staffAccount(em: EntityManager, idOrName: string): Promise<StaffAccountWithKeys | undefined> {
  const byId = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(idOrName);
  const [account] = await em.execute<StaffAccountRow[]>(`select ${ACCOUNT} from staff_accounts where ${byId ? 'id' : 'name'} = ?`, [idOrName]);
  if (!account) return undefined;
  const keys = await em.execute<StaffKeyRow[]>(`select ${KEY} from staff_api_keys where staff_id = ? order by created_at`, [account.id]);
  return { ...account, keys };
}

/** A new account and its first key (shown once). */
export async function createStaffAccount(em: EntityManager, a: { name: string; roles: StaffRole[]; label?: string }, change: StaffChange)
  : Promise<{ account: StaffAccountRow; key: string; keyRow: StaffKeyRow }> {
  try {
    return await em.transactional(async (tx) => {
      const [account] = await tx.execute<StaffAccountRow[]>(
        `insert into staff_accounts (name, roles, created_by) values (?, ?::text[], ?) returning ${ACCOUNT}`, [a.name, textArray(a.roles), change.by.id]);
      const { key, keyRow } = await insertKey(tx, account.id, a.label ?? '', change.by.id);
      await auditDone(tx, { ...change, action: 'staff_create', subjectStaffId: account.id, request: { name: a.name, roles: a.roles },
        detail: `staff:${a.name} created with ${a.roles.join(', ')} and key ${keyRow.hint}` });
      return { account, key, keyRow };
    });
  } catch (err) {
    if (err instanceof UniqueConstraintViolationException) {
      throw new DomainError(ErrorCode.StaffNameTaken, `There is already a staff account named ${a.name}.`, { name: a.name });
    }
    throw err;
  }
}

/** Another key for an account (a new device, a rotation); shown once. */
export async function issueStaffKey(em: EntityManager, staffId: string, label: string, change: StaffChange)
  : Promise<{ key: string; keyRow: StaffKeyRow } | undefined> {
  return em.transactional(async (tx) => {
    const [account] = await tx.execute<{ name: string }[]>('select name from staff_accounts where id = ? and disabled_at is null for update', [staffId]);
    if (!account) return undefined;
    const issued = await insertKey(tx, staffId, label, change.by.id);
    await auditDone(tx, { ...change, action: 'staff_key_issue', subjectStaffId: staffId, request: { label },
      detail: `key ${issued.keyRow.hint} issued to staff:${account.name}` });
    return issued;
  });
}

/** Revokes a key at once (the next request with it answers 401); false when there is no such live key. */
export async function revokeStaffKey(em: EntityManager, staffId: string, keyId: string, change: StaffChange): Promise<StaffKeyRow | undefined> {
  return em.transactional(async (tx) => {
    const [row] = await tx.execute<StaffKeyRow[]>(
      `update staff_api_keys set revoked_at = now(), revoked_by = ? where id = ? and staff_id = ? and revoked_at is null returning ${KEY}`,
      [change.by.id, keyId, staffId]);
    if (!row) return undefined;
    await auditDone(tx, { ...change, action: 'staff_key_revoke', subjectStaffId: staffId, request: { keyId }, detail: `key ${row.hint} revoked` });
    return row;
  });
}

/** Changes an account's roles, or disables it (its keys stop working at once); undefined when there is no such account. */
export async function updateStaffAccount(em: EntityManager, staffId: string, u: { roles?: StaffRole[]; disabled?: boolean }, change: StaffChange)
  : Promise<StaffAccountRow | undefined> {
  return em.transactional(async (tx) => {
    const [row] = await tx.execute<StaffAccountRow[]>(
      `update staff_accounts set roles = coalesce(?::text[], roles),
              disabled_at = case when ?::boolean is null then disabled_at when ?::boolean then coalesce(disabled_at, now()) else null end
        where id = ? returning ${ACCOUNT}`, [u.roles ? textArray(u.roles) : null, u.disabled ?? null, u.disabled ?? null, staffId]);
    if (!row) return undefined;
    const what = [u.roles && `roles ${u.roles.join(', ')}`, u.disabled !== undefined && (u.disabled ? 'disabled' : 'enabled')].filter(Boolean);
    await auditDone(tx, { ...change, action: 'staff_update', subjectStaffId: staffId, request: u, detail: `staff:${row.name}: ${what.join(', ')}` });
    return row;
  });
}

/**
 * The first admin, for a database that has none with a live key (a new deployment, or one whose
 * admins all lost their keys): run once by someone who can reach the database (`npm run staff --
 * bootstrap`). Concurrent runs queue on a lock, so at most one makes an admin. Undefined when
 * there is an admin with a live key already.
 */
export async function bootstrapAdmin(em: EntityManager, name: string): Promise<{ account: StaffAccountRow; key: string; keyRow: StaffKeyRow } | undefined> {
  return em.transactional(async (tx) => {
    await tx.execute(`select pg_advisory_xact_lock(hashtext('staff_bootstrap'))`);
    const [live] = await tx.execute(`select 1 from staff_accounts a join staff_api_keys k on k.staff_id = a.id
      where 'admin' = any(a.roles) and a.disabled_at is null and k.revoked_at is null limit 1`);
    if (live) return undefined;
    const [account] = await tx.execute<StaffAccountRow[]>(
      `insert into staff_accounts (name, roles) values (?, '{admin}')
       on conflict (name) do update set roles = array(select distinct unnest(staff_accounts.roles || '{admin}')), disabled_at = null
       returning ${ACCOUNT}`, [name]);
    const { key, keyRow } = await insertKey(tx, account.id, 'bootstrap', account.id);
    await auditDone(tx, { by: { id: account.id, keyId: keyRow.id, name }, via: 'cli', action: 'staff_bootstrap', subjectStaffId: account.id,
      request: { name }, detail: `staff:${name} made admin by the bootstrap, key ${keyRow.hint}` });
    return { account, key, keyRow };
  });
}

/**
 * Makes sure `key` is a live key of the account `name` with these roles (created if need be): for
 * `npm run dev`'s admin key and the tests' keys, whose value is kept outside the database. False
 * when the key was revoked or its account disabled (make another).
 */
export async function ensureStaffKey(em: EntityManager, a: { name: string; roles: StaffRole[]; key: string; label: string }): Promise<boolean> {
  return em.transactional(async (tx) => {
    const [account] = await tx.execute<{ id: string; disabled_at: string | null }[]>(
      `insert into staff_accounts (name, roles) values (?, ?::text[]) on conflict (name) do update set name = excluded.name returning id, disabled_at`,
      [a.name, textArray(a.roles)]);
    if (account.disabled_at) return false;
    const [existing] = await tx.execute<{ staff_id: string; revoked_at: string | null }[]>(
      'select staff_id, revoked_at from staff_api_keys where digest = ?', [sha256Hex(a.key)]);
    if (existing) return existing.staff_id === account.id && existing.revoked_at === null;
    await tx.execute('insert into staff_api_keys (staff_id, digest, hint, label) values (?, ?, ?, ?)',
      [account.id, sha256Hex(a.key), keyHint(a.key), a.label]);
    return true;
  });
}

async function insertKey(tx: EntityManager, staffId: string, label: string, by: string | null): Promise<{ key: string; keyRow: StaffKeyRow }> {
  const key = `${STAFF_KEY_PREFIX}${newToken()}`;
  const [keyRow] = await tx.execute<StaffKeyRow[]>(
    `insert into staff_api_keys (staff_id, digest, hint, label, created_by) values (?, ?, ?, ?, ?) returning ${KEY}`,
    [staffId, sha256Hex(key), keyHint(key), label, by]);
  return { key, keyRow };
}

/** A PostgreSQL array literal of checked role names (the driver would spread a JS array into several parameters). */
const textArray = (values: readonly string[]) => `{${values.join(',')}}`;
