/**
 * End to end, as a storefront sees it: a cart built over REST, checked out, and followed until the
 * order is confirmed and awaits fulfillment, through a real worker on the Temporal dev server and
 * the real database. The assertions read the rows the business cares about, not the responses alone.
 */
import { randomUUID } from 'node:crypto';
import { type TestDatabase } from '../support/db';
import { startApiWorld, stopApiWorld, type ApiResponse, type TestApi, type TestWorker } from '../support/api';
import { ADDRESS, orderFacts } from '../support/checkout';
import { connectClient } from '../../src/temporal/client';
import { workflowIds } from '../../src/contracts/temporal';
import { testTarget } from '../support/temporal';

let db: TestDatabase;
let worker: TestWorker;
let api: TestApi;

beforeAll(async () => {
  ({ db, worker, api } = await startApiWorld({ stock: 10 }));
});
afterAll(async () => {
  await stopApiWorld({ api, worker, db });
});

async function poll<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await read();
  while (!done(last)) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen in time; last seen ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
    last = await read();
  }
  return last;
}

it('a shopper builds a cart, checks out with a card, and the order is confirmed: stock reserved, payment authorized, customer told', async () => {
  const cart = await api.request('POST', '/carts');
  expect(cart.status).toBe(201);
  expect((await api.request('POST', `/carts/${cart.body.id}/items`, { body: { sku: 'MUG-1', quantity: 2 } })).status).toBe(200);
  const priced = await api.request('POST', `/carts/${cart.body.id}/items`, { body: { sku: 'TEE-1', quantity: 1 } });
  expect(priced.body.subtotal.amount).toBe(4900);

  const placed = await api.request('POST', `/carts/${cart.body.id}/checkout`, {
    headers: { 'Idempotency-Key': randomUUID() },
    body: { email: 'ada@example.com', phone: '+447700900123', shippingAddress: ADDRESS, paymentMethod: 'pm_card_visa' },
  });
  expect(placed.status).toBe(202);
  expect(placed.body.payment.status).toBe('authorized');
  const { orderId, accessToken } = placed.body;

  const order: ApiResponse = await poll('the order awaiting fulfillment',
    () => api.request('GET', placed.body.links.self, { headers: { Authorization: `Bearer ${accessToken}` } }),
    // The route reads the database, then asks the workflow: a step can land between the two, so wait for both.
    (res) => res.body.live?.status === 'awaiting_fulfillment' && res.body.status === 'awaiting_fulfillment');
  expect(order.body.status).toBe('awaiting_fulfillment');
  // The first steps, in order; the warehouse's own steps (allocated, …) follow as it gets to them (as in test/api/orders.test.ts).
  expect(order.body.live.timeline.filter((t: { status: string }) => t.status === 'completed').map((t: { step: string }) => t.step).slice(0, 5))
    .toEqual(['reserve_stock', 'authorize_payment', 'confirm_order', 'send_confirmation', 'hand_over_to_fulfillment']);

  const facts = await orderFacts(db, orderId);
  expect(facts.order.status).toBe('awaiting_fulfillment');
  expect(facts.cart.status).toBe('checked_out');
  expect(facts.reservations).toEqual([{ sku: 'MUG-1', quantity: 2, status: 'reserved' }, { sku: 'TEE-1', quantity: 1, status: 'reserved' }]);
  expect(facts.inventory).toEqual([{ sku: 'MUG-1', on_hand: 10, reserved: 2 }, { sku: 'TEE-1', on_hand: 10, reserved: 1 }]);
  expect(facts.payments).toEqual([{ status: 'authorized', provider_ref: expect.stringMatching(/^pi_sim_/), amount: '4900' }]);
  expect(facts.intents).toEqual([expect.objectContaining({ status: 'requires_capture' })]);
  expect(facts.outbox).toEqual([
    { template: 'order_confirmed', channel: 'email', status: 'sent' },
    { template: 'order_confirmed', channel: 'sms', status: 'sent' },
  ]);

  // Ops find the order's workflow in the Temporal UI by its id and status (custom search attributes).
  const temporal = await connectClient(testTarget());
  try {
    const found = await poll('the workflow visible by OrderId and OrderStatus', async () => {
      const ids: string[] = [];
      for await (const wf of temporal.client.workflow.list({ query: `OrderId = '${orderId}' AND OrderStatus = 'awaiting_fulfillment'` })) {
        ids.push(wf.workflowId);
      }
      return ids;
    }, (ids) => ids.includes(workflowIds.checkout(orderId)));
    expect(found).toContain(workflowIds.checkout(orderId));
    await temporal.client.workflow.getHandle(workflowIds.checkout(orderId)).terminate('end-to-end test over');
  } finally {
    await temporal.connection.close();
  }
});
