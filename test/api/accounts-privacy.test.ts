/**
 * Nothing of one customer's is another's: every route under /me, /orders and /carts that names a
 * thing (an address, an order, a cart) is tried with another customer's session and with none, and
 * answers exactly as for a thing that does not exist, having written nothing. The routes about the
 * account itself answer only the caller's own.
 */
import { randomUUID } from 'node:crypto';
import { ADDRESS } from '../support/checkout';
import { accountsWorld, signUp, snapshot, type Customer } from '../support/accounts';
import { waitForOrder } from '../support/orders-api';

let alice: Customer;
let bob: Customer;
const mine = { address: '', order: '', cart: '' };

const TABLES = ['customers', 'customer_addresses', 'customer_links', 'carts', 'cart_lines', 'cart_promotions', 'orders', 'order_lines',
  'reservations', 'payments', 'notifications'];

const { world, api } = accountsWorld();

beforeAll(async () => {
  [alice, bob] = [await signUp(api()), await signUp(api())];
  mine.address = (await api().request('POST', '/me/addresses', { headers: alice.headers, body: ADDRESS })).body.id;
  const ordered = (await api().request('POST', '/carts', { headers: alice.headers })).body.id;
  await api().request('POST', `/carts/${ordered}/items`, { headers: alice.headers, body: { sku: 'MUG-1', quantity: 1 } });
  mine.order = (await api().request('POST', `/carts/${ordered}/checkout`, { headers: { ...alice.headers, 'Idempotency-Key': randomUUID() },
    body: { shippingAddressId: mine.address, paymentMethod: 'pm_card_visa' } })).body.orderId;
  await waitForOrder(api(), mine.order, (l) => l.status === 'awaiting_fulfillment');
  mine.cart = (await api().request('POST', '/carts', { headers: alice.headers })).body.id;
  await api().request('POST', `/carts/${mine.cart}/items`, { headers: alice.headers, body: { sku: 'MUG-1', quantity: 2 } });
});

type Probe = [method: string, path: (ids: typeof mine) => string, body?: unknown];

/** Every route that names one of a customer's things. */
const PROBES: Probe[] = [
  ['PATCH', (i) => `/me/addresses/${i.address}`, { city: 'Elsewhere', isDefault: true }],
  ['DELETE', (i) => `/me/addresses/${i.address}`],
  ['GET', (i) => `/me/orders/${i.order}`],
  ['GET', (i) => `/me/orders/${i.order}/shipments`],
  ['GET', (i) => `/orders/${i.order}`],
  ['POST', (i) => `/orders/${i.order}/cancel`, { reason: 'not mine to cancel' }],
  ['GET', (i) => `/orders/${i.order}/shipments`],
  ['GET', (i) => `/carts/${i.cart}`],
  ['POST', (i) => `/carts/${i.cart}/items`, { sku: 'TEE-1', quantity: 1 }],
  ['PATCH', (i) => `/carts/${i.cart}/items/MUG-1`, { quantity: 5 }],
  ['DELETE', (i) => `/carts/${i.cart}/items/MUG-1`],
  ['POST', (i) => `/carts/${i.cart}/checkout`, { email: 'bob@example.com', shippingAddress: ADDRESS, paymentMethod: 'pm_card_visa' }],
  ['PUT', (i) => `/carts/${i.cart}/shipping-address`, ADDRESS],
  ['PUT', (i) => `/carts/${i.cart}/shipping-address`, { addressId: randomUUID() }],
  ['GET', (i) => `/carts/${i.cart}/shipping-options`],
  ['PUT', (i) => `/carts/${i.cart}/shipping-method`, { methodId: randomUUID() }],
  ['POST', (i) => `/carts/${i.cart}/promotions`, { code: 'WELCOME10' }],
  ['DELETE', (i) => `/carts/${i.cart}/promotions/WELCOME10`],
];

const missing = { address: randomUUID(), order: randomUUID(), cart: 'z'.repeat(22) };

async function ask(method: string, path: string, body: unknown, headers: Record<string, string>) {
  const res = await api().request(method, path, { headers: { ...headers, 'Idempotency-Key': randomUUID() }, body });
  const error = res.body?.error && { ...res.body.error, requestId: undefined };
  // The same answer about another thing: its id, wherever it appears, read as the missing one's.
  const text = JSON.stringify({ status: res.status, error, wwwAuthenticate: res.headers.get('www-authenticate') });
  return Object.entries(mine).reduce((t, [k, id]) => t.split(id).join(missing[k as keyof typeof mine]), text);
}

describe.each([
  ['another customer\'s session', () => bob.headers],
  ['no session', () => ({})],
])('with %s', (_who, headers) => {
  it.each(PROBES.map((p) => [`${p[0]} ${p[1]({ address: ':address', order: ':order', cart: ':cart' })}`, p] as const))(
    '%s answers as for a thing that does not exist, and writes nothing', async (_name, [method, path, body]) => {
      const before = await snapshot(world().db, TABLES);
      const answer = await ask(method, path(mine), body, headers());
      const forMissing = await ask(method, path(missing), body, headers());
      expect(answer).toBe(forMissing);
      expect(JSON.parse(answer).status).toBe(path(mine).startsWith('/me/') && !('Authorization' in headers()) ? 401 : 404);
      expect(await snapshot(world().db, TABLES)).toBe(before);
    });
});

describe('the routes of the account itself', () => {
  it('answer 401 to no session, for every one of them, and write nothing', async () => {
    const before = await snapshot(world().db, TABLES);
    for (const [method, path, body] of [['GET', '/me'], ['PATCH', '/me', { name: 'Mallory' }], ['POST', '/me/password', { currentPassword: 'x', newPassword: 'a new passphrase' }],
      ['POST', '/me/email-verification'], ['GET', '/me/addresses'], ['POST', '/me/addresses', ADDRESS], ['GET', '/me/orders'],
      ['POST', '/auth/sign-out', { everywhere: true }]] as [string, string, unknown?][]) {
      expect([method, path, (await api().request(method, path, { body })).status]).toEqual([method, path, 401]);
    }
    expect(await snapshot(world().db, TABLES)).toBe(before);
  });

  it('answer another customer only about their own account: none of the first customer\'s orders, addresses or details', async () => {
    expect((await api().request('GET', '/me', { headers: bob.headers })).body.id).toBe(bob.id);
    expect((await api().request('GET', '/me/orders', { headers: bob.headers })).body).toEqual({ items: [], nextCursor: null });
    expect((await api().request('GET', '/me/addresses', { headers: bob.headers })).body).toEqual({ items: [] });
    await api().request('PATCH', '/me', { headers: bob.headers, body: { name: 'Bob' } });
    expect((await api().request('GET', '/me', { headers: alice.headers })).body.name).toBe('Ada');
    expect((await api().request('GET', '/me/orders', { headers: alice.headers })).body.items.map((o: { id: string }) => o.id)).toEqual([mine.order]);
  });
});
