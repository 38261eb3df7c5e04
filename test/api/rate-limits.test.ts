/**
 * Abuse limits across two API replicas sharing one database (each a buildApp of its own, as two
 * processes would be): counts are kept in PostgreSQL, so alternating between the replicas never
 * gains an attempt. A refusal is 429 rate_limited with Retry-After, in the one error shape, and
 * writes nothing. Both replicas trust one proxy hop, so each test names its client address with
 * X-Forwarded-For (the entry a proxy appends), and a third replica that trusts none shows a
 * client cannot pick its own address.
 */
import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { RateLimits, clientIp, type LimitSettings } from '../../src/api/rate-limits';
import { DomainError } from '../../src/domain/errors';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { ADDRESS, seedCheckoutCatalog } from '../support/checkout';
import { startCheckoutWorker, startTestApi, type ApiResponse, type TestApi, type TestWorker } from '../support/api';
import { newCustomer } from '../support/orders-api';
import { sessionFor } from '../support/accounts';

const minute = 60;
const WEBHOOK_SECRET = 'whsec_test_rate_limits_0123456789';
const CART_AND_CHECKOUT: LimitSettings = { cartCreation: { ip: { points: 3, windowSeconds: minute } }, checkout: { ip: { points: 2, windowSeconds: minute } } };
const DECLINES: LimitSettings = {
  declines: { cart: { points: 2, windowSeconds: 3600 }, customer: { points: 2, windowSeconds: 3600 }, ip: { points: 3, windowSeconds: 3600 } },
};

let db: TestDatabase;
let worker: TestWorker;
/** Two replicas with the cart and checkout limits, two with the decline limits, one trusting no proxy. */
let a: TestApi, b: TestApi, declineA: TestApi, declineB: TestApi, direct: TestApi;

beforeAll(async () => {
  db = await createTestDatabase();
  await seedCheckoutCatalog(db, 1000);
  worker = await startCheckoutWorker(db);
  const replica = (rateLimits: LimitSettings, trustProxyHops = 1) =>
    startTestApi(db.orm, { taskQueue: worker.taskQueue, rateLimits, app: { trustProxyHops, stripeWebhookSecret: WEBHOOK_SECRET } });
  [a, b, declineA, declineB, direct] = await Promise.all([replica(CART_AND_CHECKOUT), replica(CART_AND_CHECKOUT), replica(DECLINES), replica(DECLINES),
    replica(CART_AND_CHECKOUT, 0)]);
});
afterAll(async () => {
  for (const api of [a, b, declineA, declineB, direct]) await api?.close();
  await worker?.stop();
  await db?.drop();
});

const sql = <T = Record<string, unknown>>(text: string, args: unknown[] = []) => db.orm.em.fork().getConnection().execute<T[]>(text, args);
let nextIp = 1;
/** A client address of its own for each use, as a proxy in front of the replicas would report it. */
const newIp = () => `203.0.113.${nextIp++}`;
const from = (ip: string, spoofed?: string) => ({ 'X-Forwarded-For': spoofed ? `${spoofed}, ${ip}` : ip });

async function cartOf(api: TestApi): Promise<string> {
  const ip = newIp();
  const cart = await api.request('POST', '/carts', { headers: from(ip) });
  expect(cart.status).toBe(201);
  await api.request('POST', `/carts/${cart.body.id}/items`, { headers: from(ip), body: { sku: 'MUG-1', quantity: 1 } });
  return cart.body.id;
}

const checkout = (api: TestApi, cartId: string, ip: string, paymentMethod = 'pm_card_visa', key = randomUUID(), session: Record<string, string> = {}) =>
  api.request('POST', `/carts/${cartId}/checkout`, { headers: { ...from(ip), ...session, 'Idempotency-Key': key },
    body: { email: 'ada@example.com', shippingAddress: ADDRESS, paymentMethod } });

function expectLimited(res: ApiResponse, limit: string, per: string): void {
  expect({ status: res.status, code: res.body.error?.code, limit: res.body.error?.details.limit, per: res.body.error?.details.per })
    .toEqual({ status: 429, code: 'rate_limited', limit, per });
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(retryAfter).toBe(res.body.error.details.retryAfterSeconds);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(res.body.error.details.windowSeconds);
  expect(Object.keys(res.body.error).sort()).toEqual(['code', 'details', 'message', 'requestId']);
}

/** A declined order's cart opens again once its rollback is done. */
async function untilCartActive(cartId: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await sql<{ status: string }>('select status from carts where id = ?', [cartId]))[0].status === 'active') return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`cart ${cartId} did not open again`);
}

async function declineOn(api: TestApi, cartId: string, ip: string, key = randomUUID(), session: Record<string, string> = {}): Promise<ApiResponse> {
  await untilCartActive(cartId);
  const res = await checkout(api, cartId, ip, 'pm_card_chargeDeclined', key, session);
  expect({ status: res.status, payment: res.body.payment?.status }).toEqual({ status: 202, payment: 'declined' });
  return res;
}

describe('cart creation and checkout', () => {
  it('new carts are counted per address across both replicas; the one past the limit is 429 with Retry-After, and no cart is made', async () => {
    const ip = newIp();
    const [{ n: before }] = await sql<{ n: number }>('select count(*)::int as n from carts');
    for (const api of [a, b, a]) expect((await api.request('POST', '/carts', { headers: from(ip) })).status).toBe(201);
    const refused = await b.request('POST', '/carts', { headers: from(ip) });
    expectLimited(refused, 'cartCreation', 'ip');
    expect(refused.body.error.message).toMatch(/^Too many new carts from this address: at most 3 per 1 minute\. Try again in (\d+ seconds?|1 minute)\.$/);
    expect((await a.request('POST', '/carts', { headers: from(ip) })).status).toBe(429);
    expect(await sql('select count(*)::int as n from carts')).toEqual([{ n: before + 3 }]);
    // Another address is not held back by this one.
    expect((await b.request('POST', '/carts', { headers: from(newIp()) })).status).toBe(201);
  });

  it('X-Forwarded-For counts only the entry the trusted proxy wrote: what a client puts before it changes nothing', async () => {
    const ip = newIp();
    for (const spoofed of ['1.1.1.1', '8.8.8.8', '9.9.9.9']) expect((await a.request('POST', '/carts', { headers: from(ip, spoofed) })).status).toBe(201);
    expectLimited(await b.request('POST', '/carts', { headers: from(ip, '4.4.4.4') }), 'cartCreation', 'ip');
  });

  it('a replica that trusts no proxy ignores X-Forwarded-For altogether: the peer\'s address is the client\'s', async () => {
    for (let i = 0; i < 3; i++) expect((await direct.request('POST', '/carts', { headers: from(newIp()) })).status).toBe(201);
    expectLimited(await direct.request('POST', '/carts', { headers: from(newIp()) }), 'cartCreation', 'ip');
  });

  it('new orders are counted per address across both replicas; a replay of an Idempotency-Key is never refused; the refused one places nothing', async () => {
    const ip = newIp();
    const [first, second, third] = [await cartOf(a), await cartOf(b), await cartOf(a)];
    const key = randomUUID();
    const placed = await checkout(a, first, ip, 'pm_card_visa', key);
    expect(placed.status).toBe(202);
    expect((await checkout(b, second, ip)).status).toBe(202);
    const replay = await checkout(b, first, ip, 'pm_card_visa', key);
    expect({ status: replay.status, orderId: replay.body.orderId }).toEqual({ status: 202, orderId: placed.body.orderId });
    const refused = await checkout(a, third, ip);
    expectLimited(refused, 'checkout', 'ip');
    expect(await sql('select count(*)::int as n from orders where cart_id = ?', [third])).toEqual([{ n: 0 }]);
    expect(await sql('select status from carts where id = ?', [third])).toEqual([{ status: 'active' }]);
    expect((await checkout(b, third, newIp())).status).toBe(202);
  });
});

describe('declined payments', () => {
  it('after 2 declines on a cart, through either replica, its checkout is refused; a replay of a declined checkout counts once', async () => {
    const ip = newIp();
    const cartId = await cartOf(declineA);
    const key = randomUUID();
    const first = await declineOn(declineA, cartId, ip, key);
    // The same request again (a client that lost the answer): the same order, its decline not counted again.
    expect((await checkout(declineB, cartId, ip, 'pm_card_chargeDeclined', key)).body.orderId).toBe(first.body.orderId);
    expect(await sql(`select points from rate_limits where key = ?`, [`declines:cart:${cartId}`])).toEqual([{ points: 1 }]);
    await declineOn(declineB, cartId, newIp());
    await untilCartActive(cartId);
    const [{ n: orders }] = await sql<{ n: number }>('select count(*)::int as n from orders where cart_id = ?', [cartId]);
    const refused = await checkout(declineA, cartId, newIp());
    expectLimited(refused, 'declines', 'cart');
    expect(refused.body.error.message).toMatch(/^Too many declined payments on this cart: at most 2 per 1 hour\. Try again in (\d+ minutes|1 hour)\.$/);
    expect(await sql('select count(*)::int as n from orders where cart_id = ?', [cartId])).toEqual([{ n: orders }]);
  });

  it('declines count per address across carts, and per customer across carts and addresses', async () => {
    const ip = newIp();
    for (let i = 0; i < 3; i++) await declineOn(i % 2 ? declineA : declineB, await cartOf(declineA), ip);
    expectLimited(await checkout(declineA, await cartOf(declineA), ip), 'declines', 'ip');
    expect((await checkout(declineB, await cartOf(declineB), newIp())).status).toBe(202);

    const customerId = await newCustomer(db);
    const session = await sessionFor(db, customerId);
    const owned = async () => {
      const cartId = await cartOf(declineB);
      await sql('update carts set customer_id = ? where id = ?', [customerId, cartId]);
      return cartId;
    };
    await declineOn(declineA, await owned(), newIp(), randomUUID(), session);
    await declineOn(declineB, await owned(), newIp(), randomUUID(), session);
    expectLimited(await checkout(declineA, await owned(), newIp(), 'pm_card_visa', randomUUID(), session), 'declines', 'customer');
  });

  it('a 3-D Secure the cardholder fails later counts against the cart, once, as the checkout\'s own declines do', async () => {
    const cartId = await cartOf(declineA);
    for (const api of [declineA, declineB]) {
      await untilCartActive(cartId);
      const res = await checkout(api, cartId, newIp(), 'pm_card_authenticationRequired');
      expect(res.body.payment.status).toBe('requires_action');
      const page = new URL(res.body.payment.nextAction.url).pathname;
      expect((await api.request('POST', page, { headers: from(newIp()), body: { outcome: 'failed' } })).status).toBe(200);
    }
    expect(await sql(`select points from rate_limits where key = ?`, [`declines:cart:${cartId}`])).toEqual([{ points: 2 }]);
    await untilCartActive(cartId);
    expectLimited(await checkout(declineB, cartId, newIp()), 'declines', 'cart');
  });

  it('a payment failure Stripe reports by webhook counts against the order\'s cart once, however often it is delivered', async () => {
    const cartId = await cartOf(declineA);
    const placed = await checkout(declineA, cartId, newIp());
    expect(placed.status).toBe(202);
    for (const [api, eventId] of [[declineA, `evt_${randomUUID()}`], [declineB, `evt_${randomUUID()}`]] as const) {
      const payload = JSON.stringify({ id: eventId, object: 'event', type: 'payment_intent.payment_failed',
        data: { object: { id: `pi_${randomUUID().replace(/-/g, '')}`, object: 'payment_intent', metadata: { orderId: placed.body.orderId },
          last_payment_error: { code: 'card_declined', decline_code: 'insufficient_funds' } } } });
      const res = await api.request('POST', '/webhooks/stripe', { rawBody: payload,
        headers: { 'content-type': 'application/json', 'Stripe-Signature': Stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET }) } });
      expect(res.status).toBe(200);
    }
    expect(await sql(`select points from rate_limits where key = ?`, [`declines:cart:${cartId}`])).toEqual([{ points: 1 }]);
  });
});

describe('the policies the customer routes take', () => {
  it('sign-in per account counts across replicas, refuses past the limit, and starts again once reset', async () => {
    const settings: LimitSettings = { signIn: { account: { points: 3, windowSeconds: minute }, ip: { points: 100, windowSeconds: minute } } };
    const [one, two] = [new RateLimits(db.orm, settings), new RateLimits(db.orm, settings)];
    const account = `ada-${randomUUID()}@example.com`;
    for (const limits of [one, two, one]) await limits.take('signIn', { account, ip: '203.0.113.250' });
    const refused = await two.take('signIn', { account, ip: '203.0.113.250' }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(DomainError);
    expect((refused as DomainError).details).toEqual(expect.objectContaining({ limit: 'signIn', per: 'account', max: 3 }));
    await expect(one.take('signIn', { account: `other-${account}`, ip: '203.0.113.250' })).resolves.toBeUndefined();
    await one.reset('signIn', { account });
    await expect(two.take('signIn', { account, ip: '203.0.113.250' })).resolves.toBeUndefined();
    // Off (no setting): nothing is counted, not even a query.
    expect(new RateLimits(db.orm, {}).enabled('passwordReset')).toBe(false);
  });

  it('an IPv6 client counts by its /64 network; an IPv4 one mapped into IPv6 as itself', () => {
    const ip = (value: string) => clientIp({ ip: value } as never);
    expect(ip('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(ip('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(ip('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(ip('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(ip('203.0.113.9')).toBe('203.0.113.9');
  });
});
