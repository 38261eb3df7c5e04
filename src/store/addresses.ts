/**
 * A customer's saved addresses: at most MAX_SAVED_ADDRESSES, at most one the default (a unique
 * index), usable at checkout by id. Every change locks the customer's row first, so two at once
 * cannot both pass the limit or both become the default.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { DomainError, ErrorCode } from '../domain/errors';
import { MAX_SAVED_ADDRESSES, type ShippingAddress } from '../domain/order';
import type { Sql } from '../db/sql';

/** A customer_addresses row (timestamps as text). */
export interface AddressRow {
  id: string; customer_id: string; name: string; line1: string; line2: string | null; city: string; region: string | null;
  postal_code: string; country: string; is_default: boolean; created_at: string; updated_at: string;
}

const COLUMNS = 'id, customer_id, name, line1, line2, city, region, postal_code, country, is_default, created_at, updated_at';

/** The saved address as an order takes it. */
export function shippingAddressOf(a: AddressRow): ShippingAddress {
  return { name: a.name, line1: a.line1, ...(a.line2 ? { line2: a.line2 } : {}), city: a.city, ...(a.region ? { region: a.region } : {}),
    postalCode: a.postal_code, country: a.country };
}

export const addressNotFound = (id: string) => new DomainError(ErrorCode.AddressNotFound, `Address ${id} does not exist.`, { id });

/** The customer's saved address of this id as an order takes it, inside a cart write's transaction; another customer's is not found. */
export async function savedShippingAddressIn(sql: Sql, customerId: string, id: string): Promise<ShippingAddress> {
  const [row] = await sql.rows<AddressRow>(`select ${COLUMNS} from customer_addresses where id = $1 and customer_id = $2`, [id, customerId]);
  if (!row) throw addressNotFound(id);
  return shippingAddressOf(row);
}

/** The default first, then oldest first. */
export async function addressesOf(em: EntityManager, customerId: string): Promise<AddressRow[]> {
  return em.execute<AddressRow[]>(`select ${COLUMNS} from customer_addresses where customer_id = ? order by is_default desc, created_at, id`, [customerId]);
}

/** The customer's address of this id; another customer's is not found, as a missing one. */
export async function addressOf(em: EntityManager, customerId: string, id: string): Promise<AddressRow> {
  const [row] = await em.execute<AddressRow[]>(`select ${COLUMNS} from customer_addresses where id = ? and customer_id = ?`, [id, customerId]);
  if (!row) throw addressNotFound(id);
  return row;
}

/** Saves an address; the first one, or one saved with makeDefault, becomes the default. */
export async function addAddress(em: EntityManager, customerId: string, a: ShippingAddress, makeDefault: boolean): Promise<AddressRow> {
  return em.transactional(async (tx) => {
    const count = await lockAddressesOf(tx, customerId);
    if (count >= MAX_SAVED_ADDRESSES) {
      throw new DomainError(ErrorCode.TooManyAddresses, `An account keeps at most ${MAX_SAVED_ADDRESSES} addresses; delete one first.`, { max: MAX_SAVED_ADDRESSES });
    }
    const isDefault = makeDefault || count === 0;
    if (isDefault) await clearDefault(tx, customerId);
    const [row] = await tx.execute<AddressRow[]>(
      `insert into customer_addresses (customer_id, name, line1, line2, city, region, postal_code, country, is_default)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?) returning ${COLUMNS}`,
      [customerId, a.name, a.line1, a.line2 ?? null, a.city, a.region ?? null, a.postalCode, a.country, isDefault]);
    return row;
  });
}

/** Changes the fields given (null clears line2 or region); isDefault true makes it the default, false leaves the account without one. */
export async function updateAddress(em: EntityManager, customerId: string, id: string,
  patch: Partial<Record<keyof ShippingAddress, string | null>> & { isDefault?: boolean }): Promise<AddressRow> {
  return em.transactional(async (tx) => {
    await lockAddressesOf(tx, customerId);
    const current = await addressOf(tx, customerId, id);
    if (patch.isDefault) await clearDefault(tx, customerId);
    const value = <K extends keyof ShippingAddress>(k: K, column: keyof AddressRow) => (patch[k] === undefined ? current[column] : patch[k]);
    const [row] = await tx.execute<AddressRow[]>(
      `update customer_addresses set name = ?, line1 = ?, line2 = ?, city = ?, region = ?, postal_code = ?, country = ?, is_default = ?, updated_at = now()
        where id = ? and customer_id = ? returning ${COLUMNS}`,
      [value('name', 'name'), value('line1', 'line1'), value('line2', 'line2'), value('city', 'city'), value('region', 'region'),
        value('postalCode', 'postal_code'), value('country', 'country'), patch.isDefault ?? current.is_default, id, customerId]);
    return row;
  });
}

/** Deletes the address; if it was the default, the most recently saved of the others takes its place. */
export async function deleteAddress(em: EntityManager, customerId: string, id: string): Promise<void> {
  await em.transactional(async (tx) => {
    await lockAddressesOf(tx, customerId);
    const [gone] = await tx.execute<{ is_default: boolean }[]>(
      `delete from customer_addresses where id = ? and customer_id = ? returning is_default`, [id, customerId]);
    if (!gone) throw addressNotFound(id);
    if (gone.is_default) {
      await tx.execute(`update customer_addresses set is_default = true, updated_at = now()
                         where id = (select id from customer_addresses where customer_id = ? order by created_at desc, id desc limit 1)`, [customerId]);
    }
  });
}

/** Locks the customer's row for the rest of the transaction (every address change queues here) and answers how many addresses they keep. */
async function lockAddressesOf(tx: EntityManager, customerId: string): Promise<number> {
  await tx.execute('select id from customers where id = ? for update', [customerId]);
  // Counted by a statement of its own, after the lock is granted: in READ COMMITTED it then sees what the change before it committed.
  const [row] = await tx.execute<{ n: number }[]>('select count(*)::int as n from customer_addresses where customer_id = ?', [customerId]);
  return row.n;
}

async function clearDefault(tx: EntityManager, customerId: string): Promise<void> {
  await tx.execute(`update customer_addresses set is_default = false, updated_at = now() where customer_id = ? and is_default`, [customerId]);
}
