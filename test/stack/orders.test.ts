/**
 * An order's whole life on the production topology, as a storefront, a warehouse and a carrier see
 * it: built and checked out through one API process, followed through the other, packed, captured
 * and shipped by the worker processes (the simulated warehouse packs at once, FULFILLMENT_AUTO_PACK's
 * default), tracked by the carrier's signed webhooks to either API process until delivered, and found
 * in Temporal's visibility on PostgreSQL; a customer account used across both API processes. The
 * assertions read the rows the business cares about.
 */
import { randomUUID } from 'node:crypto';
import { signCarrierWebhook } from '../../src/api/routes/carrier-webhooks';
import {
  addProducts, CARRIER_SECRET, closeClients, metricTotal, placeOrder, request, sql, state, temporalClient, until, waitForOrders, type Placed,
} from './support/stack';

afterAll(closeClients);

const ORDERS_PLACED = 'commerce_orders_placed_total';
const placedBy = (api: string) => metricTotal(`${api}/metrics`, ORDERS_PLACED);

describe('an order on the production topology', () => {
  let skus: string[];
  let order: Placed;

  beforeAll(async () => {
    skus = await addProducts(2, 10, 1200);
  });

  it('both API processes are ready and serve the catalog the stack seeded', async () => {
    for (const api of state().api) {
      expect((await request(api, 'GET', '/readyz')).status).toBe(200);
      const page = await request(api, 'GET', '/products?limit=100');
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeGreaterThanOrEqual(64);
    }
  });

  it('a checkout through API 1, followed through API 2, is authorized, captured and shipped once; each process counts its own orders', async () => {
    const [api1, api2] = state().api;
    const before = await Promise.all([placedBy(api1), placedBy(api2)]);
    order = await placeOrder(api1, [{ sku: skus[0], quantity: 2 }, { sku: skus[1], quantity: 1 }], { phone: '+447700900123' });
    expect(order.response.body.payment.status).toBe('authorized');
    expect(await Promise.all([placedBy(api1), placedBy(api2)])).toEqual([before[0] + 1, before[1]]);

    const auth = { Authorization: `Bearer ${order.accessToken}` };
    await until(async () => (await request(api2, 'GET', `/orders/${order.orderId}`, { headers: auth })).body.live?.status === 'shipped',
      'the order shipped, as API 2 reads it', 60_000);
    const [row] = await sql<{ status: string; total_amount: string }>('select status, total_amount from orders where id = $1', [order.orderId]);
    expect(order.total).toBeGreaterThan(3600); // two at 12.00 and one at 12.00, plus shipping and tax
    expect(row).toEqual({ status: 'shipped', total_amount: String(order.total) });
    expect(await sql('select sku, quantity, status from reservations where order_id = $1 order by sku', [order.orderId])).toEqual([
      { sku: skus[0], quantity: 2, status: 'committed' }, { sku: skus[1], quantity: 1, status: 'committed' }]);
    expect(await sql('select sku, on_hand, reserved from inventory where sku = any($1) order by sku', [skus])).toEqual([
      { sku: skus[0], on_hand: 8, reserved: 0 }, { sku: skus[1], on_hand: 9, reserved: 0 }]);
    expect(await sql('select status, amount, captured_amount from payments where order_id = $1', [order.orderId]))
      .toEqual([{ status: 'captured', amount: String(order.total), captured_amount: String(order.total) }]);
    expect(await sql(`select status, amount_captured from simulated_payment_intents where metadata->>'orderId' = $1`, [order.orderId]))
      .toEqual([{ status: 'succeeded', amount_captured: String(order.total) }]);
    expect(await sql('select template, channel, status from notifications where order_id = $1 order by template, channel', [order.orderId])).toEqual([
      { template: 'order_confirmed', channel: 'email', status: 'sent' }, { template: 'order_confirmed', channel: 'sms', status: 'sent' },
      { template: 'shipped', channel: 'email', status: 'sent' }]);
    expect(await sql('select count(*)::int as n from shipments where order_id = $1', [order.orderId])).toEqual([{ n: 1 }]);

    const second = await placeOrder(api2, [{ sku: skus[0], quantity: 1 }]);
    expect(second.response.status).toBe(202);
    expect(await Promise.all([placedBy(api1), placedBy(api2)])).toEqual([before[0] + 1, before[1] + 1]);
  });

  it('ops find the order in Temporal\'s visibility store (PostgreSQL) by its search attributes', async () => {
    const client = await temporalClient();
    const ids: string[] = [];
    await until(async () => {
      ids.length = 0;
      for await (const wf of client.workflow.list({ query: `OrderId = '${order.orderId}' AND OrderStatus = 'shipped'` })) ids.push(wf.workflowId);
      return ids.includes(`checkout-${order.orderId}`);
    }, 'the order visible by OrderId and OrderStatus', 30_000);
    expect(ids).toContain(`checkout-${order.orderId}`);
  });

  it('the carrier\'s signed scans, posted to either API process, move the parcel to delivered and tell the customer', async () => {
    const [api1, api2] = state().api;
    const [shipment] = await sql<{ id: string; tracking_number: string }>('select id, tracking_number from shipments where order_id = $1', [order.orderId]);
    const scan = (api: string, eventId: string, status: string) => {
      const raw = JSON.stringify({ trackingNumber: shipment.tracking_number, eventId, status, occurredAt: new Date().toISOString() });
      return request(api, 'POST', '/webhooks/carrier', { rawBody: raw,
        headers: { 'content-type': 'application/json', 'X-Carrier-Signature': signCarrierWebhook(CARRIER_SECRET, raw) } });
    };
    expect((await scan(api1, 'scan-1', 'in_transit')).body.outcome).toBe('signalled');
    expect((await scan(api2, 'scan-1', 'in_transit')).body.outcome).toBe('duplicate');
    expect((await scan(api2, 'scan-2', 'out_for_delivery')).body.outcome).toBe('signalled');
    expect((await scan(api1, 'scan-3', 'delivered')).body.outcome).toBe('signalled');
    await waitForOrders([order.orderId], ['delivered'], 30_000);
    expect(await sql('select status from shipments where id = $1', [shipment.id])).toEqual([{ status: 'delivered' }]);
    expect((await sql<{ status: string }>('select status from shipment_events where shipment_id = $1 order by occurred_at', [shipment.id])).map((e) => e.status))
      .toEqual(['in_transit', 'out_for_delivery', 'delivered']);
    await until(async () => (await sql(`select 1 from notifications where order_id = $1 and template = 'delivered' and status = 'sent'`, [order.orderId])).length === 1,
      'the "delivered" message sent', 30_000);
  });

  it('a customer signed up through one API process is signed in on the other; a worker sends the confirmation e-mail once; signing out reaches both', async () => {
    const [api1, api2] = state().api;
    const email = `stack-${randomUUID()}@example.com`;
    const password = 'correct horse battery staple';
    const signUp = await request(api1, 'POST', '/auth/sign-up', { body: { email, password, name: 'Ada' } });
    expect(signUp.status).toBe(201);
    expect(signUp.body.verificationEmail).toBe('queued');
    const first = { Authorization: `Bearer ${signUp.body.session.token}` };
    expect((await request(api2, 'GET', '/me', { headers: first })).body).toMatchObject({ email, emailVerified: false });
    await until(async () => (await sql(`select 1 from notifications where customer_id = $1 and template = 'verify_email' and status = 'sent'`,
      [signUp.body.customer.id])).length === 1, 'the confirmation e-mail sent by a worker', 30_000);
    const signIn = await request(api2, 'POST', '/auth/sign-in', { body: { email, password } });
    expect(signIn.status).toBe(200);
    const second = { Authorization: `Bearer ${signIn.body.session.token}` };
    expect((await request(api1, 'POST', '/auth/sign-out', { headers: second, body: { everywhere: true } })).body).toEqual({ sessionsEnded: 2 });
    for (const [api, headers] of [[api2, first], [api1, second]] as const) expect((await request(api, 'GET', '/me', { headers })).status).toBe(401);
    expect(await sql('select template, status from notifications where customer_id = $1', [signUp.body.customer.id]))
      .toEqual([{ template: 'verify_email', status: 'sent' }]);
  });

  it('a declined card ends the order failed, with its stock released and nothing charged', async () => {
    const declined = await placeOrder(state().api[1], [{ sku: skus[1], quantity: 1 }], { paymentMethod: 'pm_card_chargeDeclined' });
    expect(declined.response.body.payment.status).toBe('declined');
    await waitForOrders([declined.orderId], ['failed'], 30_000);
    expect(await sql('select status from reservations where order_id = $1', [declined.orderId])).toEqual([{ status: 'released' }]);
    expect(await sql('select status, captured_amount from payments where order_id = $1', [declined.orderId])).toEqual([{ status: 'declined', captured_amount: '0' }]);
  });
});
