/**
 * A customer's erasure, in PostgreSQL (the steps of workflows/gdpr-erasure.ts). Requesting closes
 * the account at once: no sign-in, no password reset, every session and link ended. Erasing, once
 * no order of theirs is between payment and delivery (or an admin says so), replaces their
 * personal data with tombstones in one transaction: orders and money stay for the accounts, without
 * a name, an e-mail address, a phone number or an address; the outbox, delivery reports, stored
 * webhook payloads, shipment scans and support's notes about them are scrubbed; saved addresses,
 * sessions, links, carts, access tokens and the per-customer promotion counts kept under their
 * account or e-mail go. Each step is idempotent: a retry after a crash, or a
 * second erasure of the same customer, changes nothing more.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { FINAL_STATUSES } from '../domain/order';
import { customerKeysOf } from './promotions';

/** A PostgreSQL array literal for a `?::text[]` parameter (the driver would spread a JavaScript array into a list). */
export function pgArray(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/[\\"]/g, '\\$&')}"`).join(',')}}`;
}

export interface ErasureRow { customer_id: string; requested_by: string; requested_at: string; status: string; decided_by: string | null;
  erased_at: string | null; rows_changed: Record<string, number> }

/** Closes the account and records the request (once); false when there is no such customer. */
export async function requestErasure(em: EntityManager, customerId: string, requestedBy: string): Promise<boolean> {
  return em.transactional(async (tx) => {
    const [customer] = await tx.execute<{ id: string }[]>(
      'update customers set erasure_requested_at = coalesce(erasure_requested_at, now()), updated_at = now() where id = ? returning id', [customerId]);
    if (!customer) return false;
    await tx.execute(`insert into erasures (customer_id, requested_by) values (?, ?)
      on conflict (customer_id) do update set status = 'waiting', requested_by = excluded.requested_by, requested_at = now()
      where erasures.status = 'withdrawn'`, [customerId, requestedBy]);
    await tx.execute('update customer_sessions set revoked_at = now() where customer_id = ? and revoked_at is null', [customerId]);
    await tx.execute('update customer_links set used_at = now() where customer_id = ? and used_at is null', [customerId]);
    return true;
  });
}

export async function erasureOf(em: EntityManager, customerId: string): Promise<ErasureRow | undefined> {
  const [row] = await em.execute<ErasureRow[]>('select * from erasures where customer_id = ?', [customerId]);
  return row;
}

/** The customer's orders between payment and delivery (or not yet paid): their e-mail and address are still needed. */
export async function ordersInFlight(em: EntityManager, customerId: string): Promise<string[]> {
  const rows = await em.execute<{ id: string }[]>('select id from orders where customer_id = ? and status <> all(?::text[]) order by created_at',
    [customerId, pgArray(FINAL_STATUSES)]);
  return rows.map((r) => r.id);
}

/** The customer's orders whose workflows may still be open (the after-sales window is 30 days by default): told to forget. */
export async function recentOrdersOf(em: EntityManager, customerId: string, withinDays: number): Promise<string[]> {
  const rows = await em.execute<{ id: string }[]>(`select id from orders where customer_id = ? and updated_at > now() - make_interval(days => ?)
    order by created_at`, [customerId, withinDays]);
  return rows.map((r) => r.id);
}

/** The admin's decision: withdrawn, the account opens again (sessions stay ended: the customer signs in anew). */
export async function withdrawErasure(em: EntityManager, customerId: string, by: string): Promise<void> {
  await em.transactional(async (tx) => {
    await tx.execute(`update erasures set status = 'withdrawn', decided_by = ? where customer_id = ? and status = 'waiting'`, [by, customerId]);
    await tx.execute('update customers set erasure_requested_at = null, updated_at = now() where id = ? and erased_at is null', [customerId]);
  });
}

/** Replaces the customer's personal data with tombstones (see above); the rows changed per table. Done once: a second call returns the first's counts. */
export async function erasePersonalData(em: EntityManager, customerId: string, decidedBy?: string): Promise<Record<string, number>> {
  return em.transactional(async (tx) => {
    const [erasure] = await tx.execute<ErasureRow[]>('select * from erasures where customer_id = ? for update', [customerId]);
    if (!erasure) throw new Error(`customer ${customerId} has no erasure request`);
    if (erasure.status === 'erased') return erasure.rows_changed;
    const n = async (sql: string, args: unknown[]) => (await tx.execute<unknown[]>(`${sql} returning 1`, args)).length;
    const [{ email }] = await tx.execute<{ email: string }[]>('select email from customers where id = ?', [customerId]);
    const orders = (await tx.execute<{ id: string }[]>('select id from orders where customer_id = ?', [customerId])).map((r) => r.id);
    const refs = await tx.execute<{ ref: string }[]>(`
      select provider_ref as ref from payments where order_id = any(?::uuid[]) and provider_ref is not null
      union select r.provider_ref from refunds r join payments p on p.id = r.payment_id where p.order_id = any(?::uuid[]) and r.provider_ref is not null
      union select tracking_number from shipments where order_id = any(?::uuid[])
      union select provider_message_id from notifications where (customer_id = ? or order_id = any(?::uuid[])) and provider_message_id is not null`,
    [pgArray(orders), pgArray(orders), pgArray(orders), customerId, pgArray(orders)]);
    // The keys their promotion uses were counted under (customerKeysOf): the account, its e-mail and each order's, read before the orders lose them.
    const orderEmails = (await tx.execute<{ email: string }[]>(`select distinct email from orders where customer_id = ? and email <> 'erased'`, [customerId]))
      .map((r) => r.email);
    const promotionKeys = [...new Set([email, ...orderEmails].flatMap((e) => customerKeysOf({ customerId, email: e })))];
    // Provider events name an order by its id, a payment by its reference, a message by its id, a parcel by its tracking number.
    const mentions = [email, ...orders, ...refs.map((r) => r.ref)].map((s) => `%${s.replace(/[%_\\]/g, '\\$&')}%`);
    const rows: Record<string, number> = {
      orders: await n(`update orders set email = 'erased', phone = null,
        shipping_address = jsonb_build_object('erased', true, 'country', shipping_address->'country'), updated_at = now()
        where id = any(?::uuid[]) and email <> 'erased'`, [pgArray(orders)]),
      // The order's access token derives from its secret: deleting the secret revokes it for good (as support's revoke-access does).
      order_access: await n(`update orders set access_secret = null, access_revoked_at = coalesce(access_revoked_at, now())
        where id = any(?::uuid[]) and access_secret is not null`, [pgArray(orders)]),
      delivery_reports: await n(`update delivery_reports set detail = null, detail_pruned_at = coalesce(detail_pruned_at, now())
        where message_id in (select provider_message_id from notifications where customer_id = ? or order_id = any(?::uuid[])) and detail is not null`,
      [customerId, pgArray(orders)]),
      notifications: await n(`update notifications set recipient = 'erased', payload = '{}', last_error = null
        where (customer_id = ? or order_id = any(?::uuid[]) or cart_id in (select id from carts where customer_id = ?)) and recipient <> 'erased'`,
      [customerId, pgArray(orders), customerId]),
      webhook_events: await n(`update webhook_events set payload = '{}', payload_pruned_at = now()
        where payload <> '{}'::jsonb and payload::text ilike any(?::text[])`, [pgArray(mentions)]),
      shipment_events: await n(`update shipment_events set description = '' where description <> ''
        and shipment_id in (select id from shipments where order_id = any(?::uuid[]))`, [pgArray(orders)]),
      // The storefront's timeline copies a scan's description (who took the parcel, where it was left).
      order_events: await n(`update order_events set detail = detail - 'description' where order_id = any(?::uuid[]) and detail->>'description' is not null`,
        [pgArray(orders)]),
      support_actions: await n(`update support_actions set reason = '', request = '{}', outcome_detail = null
        where (order_id = any(?::uuid[]) or shipment_id in (select id from shipments where order_id = any(?::uuid[]))) and (reason <> '' or request <> '{}')`,
      [pgArray(orders), pgArray(orders)]),
      refunds: await n(`update refunds set reason = 'erased' where reason <> 'erased'
        and payment_id in (select id from payments where order_id = any(?::uuid[]))`, [pgArray(orders)]),
      // The counts go: the erased customer could use a once-per-customer code again under a new account, which erasure accepts.
      promotion_customer_uses: await n('delete from promotion_customer_uses where customer_key = any(?::text[])', [pgArray(promotionKeys)]),
      // A redemption keeps how many keys it counted (a give-back of 'erased' takes back nothing) but not whose they were.
      promotion_redemptions: await n(`update promotion_redemptions
        set customer_keys = array(select case when k = any(?::text[]) then 'erased' else k end from unnest(customer_keys) k)
        where customer_keys && ?::text[]`, [pgArray(promotionKeys), pgArray(promotionKeys)]),
      carts: await n(`delete from carts where customer_id = ? and status <> 'checking_out'`, [customerId]),
      customer_addresses: await n('delete from customer_addresses where customer_id = ?', [customerId]),
      customer_sessions: await n('delete from customer_sessions where customer_id = ?', [customerId]),
      customer_links: await n('delete from customer_links where customer_id = ?', [customerId]),
      rate_limits: await n('delete from rate_limits where key like ?', [`%:${email.toLowerCase().replace(/[%_\\]/g, '\\$&')}`]),
      customers: await n(`update customers set email = 'erased-' || id || '@erased.invalid', name = '', password_hash = '!erased',
        marketing_opt_in = false, email_verified_at = null, erased_at = now(), updated_at = now() where id = ?`, [customerId]),
    };
    await tx.execute(`update erasures set status = 'erased', erased_at = now(), decided_by = coalesce(?, decided_by), rows_changed = ?
      where customer_id = ?`, [decidedBy ?? null, JSON.stringify(rows), customerId]);
    return rows;
  });
}
