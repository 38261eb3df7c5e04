/** Orders placed and moved along through the REST API, for the support tests. */
import { randomUUID } from 'node:crypto';
import { STAFF_TOKEN, type ApiResponse, type TestApi } from './api';
import { ADDRESS } from './checkout';
import type { TestDatabase } from './db';
import { sessionFor } from './accounts';

export const staff = { Authorization: `Bearer ${STAFF_TOKEN}` };

/** The warehouse waits for a person to pack (autoPack off), so an order stays put until a test ships it. */
export const WAIT_FOR_WAREHOUSE = { fulfillment: { autoPack: false, trackingPollEvery: '6 hours', trackingStallAfter: '5 days' } };

export interface Placed { orderId: string; accessToken: string; body: { payment: { status: string; nextAction?: { url: string } } } }

/** A cart of 2 mugs and a tee (49.00 USD), checked out; with customerId, by that customer, signed in. */
export async function placeOrder(api: TestApi, db: TestDatabase, opts: { paymentMethod?: string; customerId?: string } = {}): Promise<Placed> {
  const session = opts.customerId ? await sessionFor(db, opts.customerId) : {};
  const cart = await api.request('POST', '/carts', { headers: session });
  await api.request('POST', `/carts/${cart.body.id}/items`, { headers: session, body: { sku: 'MUG-1', quantity: 2 } });
  await api.request('POST', `/carts/${cart.body.id}/items`, { headers: session, body: { sku: 'TEE-1', quantity: 1 } });
  const res = await api.request('POST', `/carts/${cart.body.id}/checkout`, {
    headers: { ...session, 'Idempotency-Key': randomUUID() },
    body: { email: 'ada@example.com', shippingAddress: ADDRESS, paymentMethod: opts.paymentMethod ?? 'pm_card_visa' },
  });
  if (res.status !== 202) throw new Error(`checkout answered ${res.status}: ${JSON.stringify(res.body)}`);
  return { orderId: res.body.orderId, accessToken: res.body.accessToken, body: res.body };
}

/** Polls the order (as staff) until its live state satisfies `ok`; fails with the last state after the timeout. */
export async function waitForOrder(api: TestApi, orderId: string, ok: (live: { status: string; [k: string]: unknown }) => boolean,
  timeoutMs = 30_000): Promise<ApiResponse> {
  const deadline = Date.now() + timeoutMs;
  let last: ApiResponse | undefined;
  while (Date.now() < deadline) {
    last = await api.request('GET', `/orders/${orderId}`, { headers: staff });
    if (last.body?.live && ok(last.body.live)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`order ${orderId} did not get there; last seen ${JSON.stringify(last?.body?.live ?? last?.body)}`);
}

export const paidAndWaiting = async (api: TestApi, db: TestDatabase, customerId?: string): Promise<string> => {
  const { orderId } = await placeOrder(api, db, { customerId });
  await waitForOrder(api, orderId, (l) => l.status === 'awaiting_fulfillment');
  return orderId;
};

/** Packs the order at the warehouse and waits until it has shipped (its payment captured); returns the shipment id. */
export async function shipOrder(api: TestApi, db: TestDatabase, orderId: string): Promise<string> {
  // The order awaits fulfillment a moment before its fulfillment workflow has allocated it to a warehouse.
  await waitForOrder(api, orderId, (l) => (l.fulfillment as { stage?: string } | undefined)?.stage === 'allocated');
  const packed = await api.request('POST', `/warehouse/orders/${orderId}/packed`, { headers: staff, body: { packedBy: 'pat' } });
  if (packed.status !== 202) throw new Error(`packing answered ${packed.status}: ${JSON.stringify(packed.body)}`);
  await waitForOrder(api, orderId, (l) => l.status === 'shipped');
  const [shipment] = await db.orm.em.fork().getConnection().execute<{ id: string }[]>('select id from shipments where order_id = ?', [orderId]);
  return shipment.id;
}

export async function newCustomer(db: TestDatabase): Promise<string> {
  const [row] = await db.orm.em.fork().getConnection().execute<{ id: string }[]>(
    `insert into customers (email, password_hash, name) values (?, 'x', 'Ada') returning id`, [`ada-${randomUUID()}@example.com`]);
  return row.id;
}

export async function auditRows(db: TestDatabase, where: { orderId?: string; shipmentId?: string }) {
  return db.orm.em.fork().getConnection().execute<{ action: string; actor: string; via: string; reason: string; outcome: string;
    outcome_detail: string | null; requested_at: string; completed_at: string | null }[]>(
    `select action, actor, via, reason, outcome, outcome_detail, requested_at, completed_at from support_actions
      where ${where.orderId ? 'order_id' : 'shipment_id'} = ? order by requested_at`, [where.orderId ?? where.shipmentId]);
}
