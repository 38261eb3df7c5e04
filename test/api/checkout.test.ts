import { randomUUID } from 'node:crypto';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { type TestDatabase } from '../support/db';
import { staffAs, startApiWorld, startTestApi, stopApiWorld, STAFF_TOKEN, type ApiResponse, type TestApi, type TestWorker } from '../support/api';
import { OrderTokens } from '../../src/auth/order-tokens';
import { ADDRESS, orderFacts, placeTestOrder } from '../support/checkout';
import { connectClient } from '../../src/temporal/client';
import { freePort } from '../../src/temporal/dev-server';
import { OrderIdAttr, OrderStatusAttr, OrderTotalAttr, workflowIds } from '../../src/contracts/temporal';
import { testDataConverter, testTarget } from '../support/temporal';

let db: TestDatabase;
let worker: TestWorker;
let api: TestApi;

beforeAll(async () => {
  ({ db, worker, api } = await startApiWorld({ stock: 1000 }));
});
afterAll(async () => {
  await stopApiWorld({ api, worker, db });
});

const body = (overrides: Record<string, unknown> = {}) => ({
  email: 'ada@example.com', shippingAddress: ADDRESS, paymentMethod: 'pm_card_visa', ...overrides,
});

async function cartWith(items: { sku: string; quantity: number }[] = [{ sku: 'MUG-1', quantity: 2 }, { sku: 'TEE-1', quantity: 1 }]): Promise<string> {
  const cart = await api.request('POST', '/carts');
  for (const item of items) expect((await api.request('POST', `/carts/${cart.body.id}/items`, { body: item })).status).toBe(200);
  return cart.body.id;
}

const checkout = (cartId: string, key: string | undefined, payload: unknown = body()): Promise<ApiResponse> =>
  api.request('POST', `/carts/${cartId}/checkout`, { body: payload, headers: key === undefined ? {} : { 'Idempotency-Key': key } });

const staff = { Authorization: `Bearer ${STAFF_TOKEN}` };

async function waitForStatus(orderId: string, status: string, timeoutMs = 30_000): Promise<ApiResponse> {
  const deadline = Date.now() + timeoutMs;
  let last: ApiResponse | undefined;
  while (Date.now() < deadline) {
    last = await api.request('GET', `/orders/${orderId}`, { headers: staff });
    // The database and the workflow both say so (the workflow's last steps come after the row changes).
    if (last.body?.status === status && last.body.live?.status === status) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`order ${orderId} did not reach ${status}; last seen ${JSON.stringify(last?.body)}`);
}

async function orderCount(): Promise<number> {
  const [row] = await db.orm.em.fork().getConnection().execute<{ n: number }[]>('select count(*)::int as n from orders');
  return row.n;
}

describe('checkout answers with the payment outcome', () => {
  it('a paid order answers 202 with the payment authorized and an access token, then goes on to await fulfillment', async () => {
    const cartId = await cartWith();
    const res = await checkout(cartId, randomUUID());
    expect(res.status).toBe(202);
    expect(res.body).toEqual({
      orderId: expect.stringMatching(/^[0-9a-f-]{36}$/), status: expect.any(String), accessToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      payment: { status: 'authorized' },
      links: { self: `/orders/${res.body.orderId}`, cancel: `/orders/${res.body.orderId}/cancel` },
    });
    expect(res.headers.get('location')).toBe(`/orders/${res.body.orderId}`);
    const order = await waitForStatus(res.body.orderId, 'awaiting_fulfillment');
    expect(order.body.payment).toEqual({ status: 'authorized', providerRef: expect.stringMatching(/^pi_sim_/) });
    expect(order.body.total).toEqual({ amount: 4900, currency: 'USD', formatted: '$49.00' });
    const facts = await orderFacts(db, res.body.orderId);
    expect(facts.cart.status).toBe('checked_out');
    expect(facts.reservations).toEqual([{ sku: 'MUG-1', quantity: 2, status: 'reserved' }, { sku: 'TEE-1', quantity: 1, status: 'reserved' }]);
  });

  it('the order\'s search attributes: the checkout keeps OrderStatus current; a child carries it while it runs and drops it when done', async () => {
    const res = await checkout(await cartWith(), randomUUID());
    expect(res.status).toBe(202);
    const { orderId } = res.body;
    await waitForStatus(orderId, 'awaiting_fulfillment');
    for (let tries = 0; ; tries += 1) { // the fulfillment child starts just after the hand-over
      const live = (await api.request('GET', `/orders/${orderId}`, { headers: staff })).body.live;
      if (live.timeline.some((t: { step: string }) => t.step === 'fulfillment_allocated')) break;
      if (tries > 100) throw new Error(`order ${orderId} was never allocated: ${JSON.stringify(live.timeline)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const temporal = await connectClient(testTarget());
    try {
      const attrs = async (workflowId: string) => (await temporal.client.workflow.getHandle(workflowId).describe()).typedSearchAttributes;
      const parent = await attrs(workflowIds.checkout(orderId));
      expect(parent.get(OrderStatusAttr)).toBe('awaiting_fulfillment');
      expect(parent.get(OrderTotalAttr)).toBe(4900);
      // The payment has ended (its copy would be stale); the fulfillment works on the order now.
      for (const [child, status] of [[workflowIds.payment(orderId), undefined], [workflowIds.fulfillment(orderId), 'awaiting_fulfillment']]) {
        const own = await attrs(child!);
        expect({ child, orderId: own.get(OrderIdAttr), total: own.get(OrderTotalAttr), status: own.get(OrderStatusAttr) })
          .toEqual({ child, orderId, total: 4900, status });
      }
    } finally {
      await temporal.connection.close();
    }
  });

  it('a declined card answers 202 with the payment declined; the order fails, its stock is released and the cart opens again', async () => {
    const cartId = await cartWith([{ sku: 'MUG-1', quantity: 3 }]);
    const res = await checkout(cartId, randomUUID(), body({ paymentMethod: 'pm_card_chargeDeclined' }));
    expect(res.status).toBe(202);
    expect(res.body.payment).toEqual({ status: 'declined', declineCode: 'generic_decline' });
    const order = await waitForStatus(res.body.orderId, 'failed');
    expect(order.body.payment.status).toBe('declined');
    const facts = await orderFacts(db, res.body.orderId);
    expect(facts.reservations).toEqual([{ sku: 'MUG-1', quantity: 3, status: 'released' }]);
    expect(facts.cart.status).toBe('active');
    expect(facts.outbox).toEqual([{ template: 'payment_failed', channel: 'email', status: 'sent' }]);
    expect((await api.request('GET', `/carts/${cartId}`)).body.status).toBe('active');
  });

  it('a card that needs 3-D Secure answers requires_action with a url; authenticating there lets the order await fulfillment', async () => {
    const cartId = await cartWith();
    const res = await checkout(cartId, randomUUID(), body({ paymentMethod: 'pm_card_authenticationRequired' }));
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('awaiting_payment_action');
    expect(res.body.payment).toEqual({ status: 'requires_action',
      nextAction: { type: 'redirect_to_url', url: expect.stringMatching(/\/simulated\/payments\/pi_sim_\w+\/authenticate$/) } });
    const path = new URL(res.body.payment.nextAction.url).pathname;
    const done = await api.request('POST', path, { body: { outcome: 'succeeded' } });
    expect(done.status).toBe(200);
    expect(done.body).toEqual(expect.objectContaining({ orderId: res.body.orderId, status: 'requires_capture', outcome: 'succeeded' }));
    const order = await waitForStatus(res.body.orderId, 'awaiting_fulfillment');
    expect(order.body.payment.status).toBe('authorized');
    expect(order.body.live.timeline.map((t: { step: string }) => t.step)).toContain('hand_over_to_fulfillment');
    // A repeated completion (a lost answer, retried) is harmless; the other outcome is refused.
    expect((await api.request('POST', path, { body: { outcome: 'succeeded' } })).status).toBe(200);
    const other = await api.request('POST', path, { body: { outcome: 'failed' } });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('payment_not_awaiting_action');
  });

  it('a failed 3-D Secure rolls the order back', async () => {
    const cartId = await cartWith([{ sku: 'TEE-1', quantity: 1 }]);
    const res = await checkout(cartId, randomUUID(), body({ paymentMethod: 'pm_card_authenticationRequired' }));
    const done = await api.request('POST', new URL(res.body.payment.nextAction.url).pathname, { body: { outcome: 'failed' } });
    expect(done.status).toBe(200);
    const order = await waitForStatus(res.body.orderId, 'failed');
    expect(order.body.live.failure.code).toBe('payment_declined');
    const facts = await orderFacts(db, res.body.orderId);
    expect(facts.reservations).toEqual([{ sku: 'TEE-1', quantity: 1, status: 'released' }]);
    expect(facts.payments).toEqual([expect.objectContaining({ status: 'declined' })]);
  });

  it('the simulated 3-D Secure page says when a payment is unknown or not waiting', async () => {
    const unknown = await api.request('POST', '/simulated/payments/pi_sim_nope/authenticate', { body: { outcome: 'succeeded' } });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toMatch(/no simulated payment pi_sim_nope/);
    const cartId = await cartWith([{ sku: 'MUG-1', quantity: 1 }]);
    const res = await checkout(cartId, randomUUID());
    const ref = (await waitForStatus(res.body.orderId, 'awaiting_fulfillment')).body.payment.providerRef;
    const notWaiting = await api.request('POST', `/simulated/payments/${ref}/authenticate`, { body: { outcome: 'succeeded' } });
    expect(notWaiting.status).toBe(409);
    expect(notWaiting.body.error.message).toMatch(/not waiting for 3-D Secure/);
    const bad = await api.request('POST', `/simulated/payments/${ref}/authenticate`, { body: { outcome: 'maybe' } });
    expect(bad.status).toBe(400);
  });
});

describe('checkout happens once per Idempotency-Key', () => {
  it('replaying the same key and body returns the same order and the same access token: one token per order, however many replays, at once or not', async () => {
    const cartId = await cartWith();
    const key = randomUUID();
    const first = await checkout(cartId, key);
    const replays = await Promise.all(Array.from({ length: 20 }, () => checkout(cartId, key)));
    expect(first.status).toBe(202);
    expect(first.body.accessToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    for (const again of replays) {
      expect([again.status, again.body.orderId, again.body.accessToken]).toEqual([202, first.body.orderId, first.body.accessToken]);
    }
    expect((await api.request('GET', `/orders/${first.body.orderId}`, { headers: { Authorization: `Bearer ${first.body.accessToken}` } })).status).toBe(200);
    // Nothing per replay is kept: the token is derived from the order's one secret (src/auth/order-tokens.ts).
    const [row] = await db.orm.em.fork().getConnection().execute<{ secrets: number }[]>(
      'select count(access_secret)::int as secrets from orders where id = ?', [first.body.orderId]);
    expect(row.secrets).toBe(1);
  });

  it('once support revokes the order\'s access, its token is refused like a wrong one and a replay of the checkout gets none; staff still see it', async () => {
    const cartId = await cartWith();
    const key = randomUUID();
    const first = await checkout(cartId, key);
    const { orderId, accessToken } = first.body;
    const asCustomer = { Authorization: `Bearer ${accessToken}` };
    expect((await api.request('GET', `/orders/${orderId}`, { headers: asCustomer })).status).toBe(200);

    const asWarehouse = await api.request('POST', `/admin/orders/${orderId}/revoke-access`, { headers: staffAs('warehouse'), body: { reason: 'x' } });
    expect(asWarehouse.status).toBe(403);
    const revoked = await api.request('POST', `/admin/orders/${orderId}/revoke-access`, { headers: staffAs('support'),
      body: { reason: 'the customer posted the order link on a forum' } });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toEqual(expect.objectContaining({ action: 'revoke_access', result: { orderId, revoked: true } }));

    const wrong = await api.request('GET', `/orders/${orderId}`, { headers: { Authorization: `Bearer ${accessToken.replace(/.$/, (c: string) => (c === 'A' ? 'B' : 'A'))}` } });
    for (const res of [await api.request('GET', `/orders/${orderId}`, { headers: asCustomer }),
      await api.request('POST', `/orders/${orderId}/cancel`, { headers: asCustomer, body: { reason: 'mine now' } }),
      await api.request('GET', `/orders/${orderId}/shipments`, { headers: asCustomer })]) {
      expect([res.status, res.body.error.code, res.body.error.message]).toEqual([404, 'order_not_found', wrong.body.error.message]);
    }
    const replay = await checkout(cartId, key);
    expect([replay.status, replay.body.orderId, replay.body.accessToken]).toEqual([202, orderId, null]);
    expect((await api.request('GET', `/orders/${orderId}`, { headers: staff })).status).toBe(200);

    const again = await api.request('POST', `/admin/orders/${orderId}/revoke-access`, { headers: staffAs('support'), body: { reason: 'twice' } });
    expect([again.status, again.body.result.revoked]).toEqual([200, false]);
    const audit = await db.orm.em.fork().getConnection().execute<{ action: string; actor: string; outcome: string }[]>(
      `select action, actor, outcome from support_actions where order_id = ? and action = 'revoke_access' order by requested_at`, [orderId]);
    expect(audit).toEqual([{ action: 'revoke_access', actor: 'staff:sam', outcome: 'done' }, { action: 'revoke_access', actor: 'staff:sam', outcome: 'done' }]);
  });

  it('a rotated key keeps verifying the tokens it gave out, while the new key mints; a token of another key or order is refused', () => {
    const secret = Buffer.alloc(32, 7);
    const before = new OrderTokens('the-old-order-token-key-of-at-least-32-chars');
    const after = new OrderTokens('the-new-order-token-key-of-at-least-32-chars', ['the-old-order-token-key-of-at-least-32-chars']);
    const orderId = randomUUID();
    expect(after.matches(orderId, secret, before.mint(orderId, secret))).toBe(true);
    expect(after.mint(orderId, secret)).not.toBe(before.mint(orderId, secret));
    expect(before.matches(orderId, secret, after.mint(orderId, secret))).toBe(false);
    expect(after.matches(randomUUID(), secret, after.mint(orderId, secret))).toBe(false);
    expect(after.matches(orderId, Buffer.alloc(32, 8), after.mint(orderId, secret))).toBe(false);
  });

  it('replaying a checkout whose order already failed answers with that order, and never starts its saga again', async () => {
    const cartId = await cartWith([{ sku: 'MUG-1', quantity: 1 }]);
    const key = randomUUID();
    const payload = body({ paymentMethod: 'pm_card_chargeDeclined' });
    const first = await checkout(cartId, key, payload);
    await waitForStatus(first.body.orderId, 'failed');
    const again = await checkout(cartId, key, payload);
    expect(again.status).toBe(202);
    expect(again.body).toEqual(expect.objectContaining({ orderId: first.body.orderId, status: 'failed' }));
    expect(again.body.payment.status).toBe('declined');
    const facts = await orderFacts(db, first.body.orderId);
    expect(facts.intents).toHaveLength(1);
    expect(facts.reservations).toEqual([{ sku: 'MUG-1', quantity: 1, status: 'released' }]);
  });

  it('replaying a checkout whose order has ended answers from the database when its workflow is gone, and starts nothing', async () => {
    const placed = await placeTestOrder(db); // as if its saga had run and its history had since been deleted
    const conn = db.orm.em.fork().getConnection();
    await conn.execute(`update orders set status = 'cancelled' where id = ?`, [placed.orderId]);
    const [row] = await conn.execute<{ cart_id: string; idempotency_key: string }[]>(
      'select cart_id, idempotency_key from orders where id = ?', [placed.orderId]);
    const again = await checkout(row.cart_id, row.idempotency_key);
    expect(again.status).toBe(202);
    expect(again.body).toEqual(expect.objectContaining({ orderId: placed.orderId, status: 'cancelled', payment: { status: 'pending' } }));
    const temporal = await connectClient(testTarget());
    try {
      await expect(temporal.client.workflow.getHandle(workflowIds.checkout(placed.orderId)).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    } finally {
      await temporal.connection.close();
    }
  });

  it('the same key with another body is refused with 422 and writes nothing', async () => {
    const cartId = await cartWith();
    const key = randomUUID();
    expect((await checkout(cartId, key)).status).toBe(202);
    const before = await orderCount();
    const other = await checkout(cartId, key, body({ email: 'someone.else@example.com' }));
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('idempotency_key_reused');
    expect(await orderCount()).toBe(before);
  });

  it('a checked-out cart cannot be checked out again with a new key', async () => {
    const cartId = await cartWith();
    expect((await checkout(cartId, randomUUID())).status).toBe(202);
    const second = await checkout(cartId, randomUUID());
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('cart_not_active');
  });

  it('ten simultaneous requests with one key make one order, and all ten answer with it', async () => {
    const cartId = await cartWith();
    const key = randomUUID();
    const results = await Promise.all(Array.from({ length: 10 }, () => checkout(cartId, key)));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(202));
    expect(new Set(results.map((r) => r.body.orderId)).size).toBe(1);
    const [row] = await db.orm.em.fork().getConnection().execute<{ n: number }[]>(
      'select count(*)::int as n from orders where cart_id = ?', [cartId]);
    expect(row.n).toBe(1);
  });

  it('ten simultaneous requests with different keys on one cart make one order; the other nine are told the cart is checked out', async () => {
    const cartId = await cartWith();
    const results = await Promise.all(Array.from({ length: 10 }, () => checkout(cartId, randomUUID())));
    expect(results.filter((r) => r.status === 202)).toHaveLength(1);
    const refused = results.filter((r) => r.status === 409);
    expect(refused).toHaveLength(9);
    expect(refused.every((r) => r.body.error.code === 'cart_not_active')).toBe(true);
    const [row] = await db.orm.em.fork().getConnection().execute<{ n: number }[]>(
      'select count(*)::int as n from orders where cart_id = ?', [cartId]);
    expect(row.n).toBe(1);
  });
});

describe('bad checkout input gets a clear 4xx and places no order', () => {
  let cartId: string;
  let emptyCartId: string;
  beforeAll(async () => {
    cartId = await cartWith();
    emptyCartId = (await api.request('POST', '/carts')).body.id;
  });

  const cases: [string, string | undefined, () => Record<string, unknown>, number, string, RegExp][] = [
    ['a missing Idempotency-Key', undefined, () => body(), 400, 'validation_failed', /Idempotency-Key/],
    ['a too-short Idempotency-Key', 'abc', () => body(), 400, 'validation_failed', /Idempotency-Key/],
    ['an Idempotency-Key with spaces', 'has spaces in it', () => body(), 400, 'validation_failed', /Idempotency-Key/],
    ['a bad e-mail', 'key-bad-email', () => body({ email: 'not-an-email' }), 400, 'validation_failed', /email/],
    ['an unknown field', 'key-unknown-field', () => body({ coupon: 'FREE' }), 400, 'validation_failed', /coupon/],
    ['a lower-case country', 'key-bad-country', () => body({ shippingAddress: { ...ADDRESS, country: 'gb' } }), 400, 'validation_failed', /country/],
    ['a three-letter country', 'key-bad-country-3', () => body({ shippingAddress: { ...ADDRESS, country: 'GBR' } }), 400, 'validation_failed', /country/],
    ['an unknown address field', 'key-address-field', () => body({ shippingAddress: { ...ADDRESS, floor: '3' } }), 400, 'validation_failed', /floor/],
    ['an address without a city', 'key-no-city', () => body({ shippingAddress: { ...ADDRESS, city: undefined } }), 400, 'validation_failed', /city/],
    ['a payment method in the wrong format', 'key-bad-pm', () => body({ paymentMethod: '4242424242424242' }), 400, 'validation_failed', /paymentMethod/],
    ['a phone number that is not E.164', 'key-bad-phone', () => body({ phone: '07700 900123' }), 400, 'validation_failed', /phone/],
    ['a missing payment method', 'key-no-pm', () => body({ paymentMethod: undefined }), 400, 'validation_failed', /paymentMethod/],
  ];

  it.each(cases)('%s', async (_name, key, payload, status, code, mentions) => {
    const before = await orderCount();
    const res = await checkout(cartId, key, payload());
    expect(res.status).toBe(status);
    expect(res.body).toEqual({ error: { code, message: expect.any(String), details: expect.any(Object), requestId: expect.any(String) } });
    expect(res.body.error.message).toMatch(mentions);
    expect(await orderCount()).toBe(before);
  });

  it('an empty cart', async () => {
    const before = await orderCount();
    const res = await checkout(emptyCartId, randomUUID());
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('cart_empty');
    expect(res.body.error.message).toMatch(/add items/);
    expect(await orderCount()).toBe(before);
  });

  it('a cart that does not exist', async () => {
    const res = await checkout('AAAAAAAAAAAAAAAAAAAAAA', randomUUID());
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('cart_not_found');
  });
});

describe('when Temporal does not answer', () => {
  it('keeps the order, answers 503 asking for a retry with the same key, and the retry goes on with the same order', async () => {
    const connection = Connection.lazy({ address: `127.0.0.1:${await freePort()}` });
    const down = await startTestApi(db.orm, { taskQueue: worker.taskQueue, temporalClient: new Client({ connection, dataConverter: testDataConverter() }) });
    try {
      const cartId = await cartWith();
      const key = randomUUID();
      const before = await orderCount();
      const failed = await down.request('POST', `/carts/${cartId}/checkout`, { body: body(), headers: { 'Idempotency-Key': key } });
      expect(failed.status).toBe(503);
      expect(failed.body.error.code).toBe('service_unavailable');
      expect(failed.body.error.message).toMatch(/same Idempotency-Key/);
      expect(await orderCount()).toBe(before + 1);
      const retried = await checkout(cartId, key);
      expect(retried.status).toBe(202);
      expect(retried.body.orderId).toBe(failed.body.error.details.orderId);
      await waitForStatus(retried.body.orderId, 'awaiting_fulfillment');
    } finally {
      await down.close();
      await connection.close();
    }
  });
});

describe('the OpenAPI document', () => {
  it('describes checkout, orders and the simulated 3-D Secure page with their schemas', async () => {
    const { paths } = (await api.request('GET', '/openapi.json')).body;
    const post = paths['/carts/{id}/checkout'].post;
    expect(post.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: true })]));
    expect(post.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/CheckoutRequest' });
    expect(post.responses['202']).toBeDefined();
    expect(paths['/orders/{id}'].get.security).toEqual([{ orderToken: [] }, { customerSession: [] }, { staffKey: ['support', 'warehouse', 'admin'] }]);
    expect(paths['/orders/{id}/cancel'].post).toBeDefined();
    expect(paths['/simulated/payments/{intentId}/authenticate'].post).toBeDefined();
  });
});
