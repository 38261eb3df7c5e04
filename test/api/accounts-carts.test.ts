/**
 * A signed-in customer's carts: made while signed in they are theirs alone; a guest cart sent with
 * the sign-in is adopted or merged into the customer's open cart (stock and cart limits kept, what
 * does not fit reported) and closed; checkout while signed in records the customer on the order
 * and in the CustomerId search attribute, and can use a saved address.
 */
import { randomUUID } from 'node:crypto';
import { ADDRESS } from '../support/checkout';
import { accountsWorld, signIn, signUp, snapshot, type Customer } from '../support/accounts';
import { insertProducts } from '../../src/db/seed';
import { MAX_LINES_PER_CART } from '../../src/domain/cart';
import { connectClient } from '../../src/temporal/client';
import { CustomerIdAttr, workflowIds } from '../../src/contracts/temporal';
import { testTarget } from '../support/temporal';


const { world, api, sql } = accountsWorld();

beforeAll(async () => {
  await insertProducts(world().db.orm.em.fork(), [
    { handle: 'scarce', title: 'Scarce', description: 'Few left', variants: [{ sku: 'SCARCE-1', title: 'One', prices: { USD: 900 }, onHand: 5 }] },
    { handle: 'gone', title: 'Gone', description: 'None left', variants: [{ sku: 'GONE-1', title: 'One', prices: { USD: 900 }, onHand: 1 }] },
    { handle: 'euro', title: 'Euro', description: 'In euros', variants: [{ sku: 'EURO-1', title: 'One', prices: { EUR: 900 }, onHand: 50 }] },
    { handle: 'many', title: 'Many', description: 'Many kinds', variants: Array.from({ length: MAX_LINES_PER_CART }, (_, i) => (
      { sku: `MANY-${i}`, title: `Kind ${i}`, prices: { USD: 100 }, onHand: 10 })) },
  ]);
});

async function cartWith(items: [string, number][], opts: { headers?: Record<string, string>; currency?: string } = {}): Promise<string> {
  const cart = await api().request('POST', '/carts', { headers: opts.headers, body: { currency: opts.currency ?? 'USD' } });
  for (const [sku, quantity] of items) {
    const res = await api().request('POST', `/carts/${cart.body.id}/items`, { headers: opts.headers, body: { sku, quantity } });
    if (res.status !== 200) throw new Error(`adding ${sku} answered ${res.status}: ${JSON.stringify(res.body)}`);
  }
  return cart.body.id;
}

const linesOf = async (cartId: string) => sql<{ sku: string; quantity: number }>('select sku, quantity from cart_lines where cart_id = ? order by sku', [cartId]);

describe('a cart made while signed in', () => {
  it('belongs to the customer: it answers their session, and to anyone else it does not exist and takes no change', async () => {
    const c = await signUp(api());
    const id = await cartWith([['MUG-1', 2]], { headers: c.headers });
    expect(await sql('select customer_id from carts where id = ?', [id])).toEqual([{ customer_id: c.id }]);
    expect((await api().request('GET', `/carts/${id}`, { headers: c.headers })).body.itemCount).toBe(2);
    const missing = await api().request('GET', `/carts/${'x'.repeat(22)}`);
    const before = await snapshot(world().db, ['carts', 'cart_lines']);
    for (const headers of [{}, (await signUp(api())).headers]) {
      const read = await api().request('GET', `/carts/${id}`, { headers });
      expect(read.status).toBe(404);
      expect(read.body.error.message).toBe(missing.body.error.message.replace('x'.repeat(22), id));
      expect((await api().request('POST', `/carts/${id}/items`, { headers, body: { sku: 'TEE-1', quantity: 1 } })).status).toBe(404);
    }
    expect(await snapshot(world().db, ['carts', 'cart_lines'])).toBe(before);
  });
});

describe('the customer\'s open cart', () => {
  it('is the active cart they wrote to last, to the moment, even when another was written to within the same minute', async () => {
    const c = await signUp(api());
    const first = await cartWith([], { headers: c.headers });
    const second = await cartWith([['MUG-1', 1]], { headers: c.headers });
    expect((await signIn(api(), c)).body.cart.id).toBe(second);
    const third = await cartWith([], { headers: c.headers });
    expect((await signIn(api(), c)).body.cart.id).toBe(third);
    const res = await api().request('POST', `/carts/${first}/items`, { headers: c.headers, body: { sku: 'MUG-1', quantity: 1 } });
    expect(res.status).toBe(200);
    expect((await signIn(api(), c)).body.cart.id).toBe(first);
  });
});

describe('a guest cart brought along at sign-in', () => {
  it('becomes the customer\'s cart as it is when they have no open cart, and its bare id no longer reaches it', async () => {
    const c = await signUp(api());
    const guest = await cartWith([['MUG-1', 2], ['TEE-1', 1]]);
    const res = await signIn(api(), c, { cartId: guest });
    expect(res.body.cart).toEqual({ id: guest, merge: { guestCartId: guest, outcome: 'adopted', lines: [
      { sku: 'MUG-1', requested: 2, added: 2, quantity: 2 }, { sku: 'TEE-1', requested: 1, added: 1, quantity: 1 }] } });
    expect((await api().request('GET', `/carts/${guest}`)).status).toBe(404);
    const session = { Authorization: `Bearer ${res.body.session.token}` };
    expect((await api().request('GET', `/carts/${guest}`, { headers: session })).body.status).toBe('active');
  });

  it('is merged into the customer\'s open cart: quantities added, the stock kept, what does not fit reported, and the guest cart closed', async () => {
    const c = await signUp(api());
    const mine = await cartWith([['MUG-1', 1], ['SCARCE-1', 3]], { headers: c.headers });
    const guest = await cartWith([['MUG-1', 2], ['SCARCE-1', 4], ['GONE-1', 1], ['TEE-1', 1]]);
    await sql(`update inventory set on_hand = 0 where sku = 'GONE-1'`); // sold out since it went in the guest's cart
    const res = await signIn(api(), c, { cartId: guest });
    expect(res.body.cart).toEqual({ id: mine, merge: { guestCartId: guest, outcome: 'merged', lines: [
      { sku: 'MUG-1', requested: 2, added: 2, quantity: 3 },
      { sku: 'SCARCE-1', requested: 4, added: 2, quantity: 5, shortfall: 'insufficient_stock' },
      { sku: 'GONE-1', requested: 1, added: 0, quantity: 0, shortfall: 'insufficient_stock' },
      { sku: 'TEE-1', requested: 1, added: 1, quantity: 1 },
    ] } });
    expect(await linesOf(mine)).toEqual([{ sku: 'MUG-1', quantity: 3 }, { sku: 'SCARCE-1', quantity: 5 }, { sku: 'TEE-1', quantity: 1 }]);
    expect(await sql('select status, merged_into, customer_id from carts where id = ?', [guest])).toEqual([{ status: 'merged', merged_into: mine, customer_id: c.id }]);
    expect((await api().request('POST', `/carts/${guest}/items`, { body: { sku: 'MUG-1', quantity: 1 } })).status).toBe(404);
    const closed = await api().request('POST', `/carts/${guest}/items`, { headers: c.headers, body: { sku: 'MUG-1', quantity: 1 } });
    expect(closed.status).toBe(409);
    expect(closed.body.error.message).toMatch(/merged into the customer's cart/);
  });

  it('keeps the limits of a cart: no line past the cart\'s size, nothing in another currency', async () => {
    const c = await signUp(api());
    const mine = await cartWith(Array.from({ length: MAX_LINES_PER_CART }, (_, i): [string, number] => [`MANY-${i}`, 1]), { headers: c.headers });
    const guest = await cartWith([['MANY-0', 2], ['MUG-1', 1]]);
    const full = await signIn(api(), c, { cartId: guest });
    expect(full.body.cart.merge.lines).toEqual([
      { sku: 'MANY-0', requested: 2, added: 2, quantity: 3 },
      { sku: 'MUG-1', requested: 1, added: 0, quantity: 0, shortfall: 'cart_too_large' },
    ]);
    expect((await linesOf(mine)).length).toBe(MAX_LINES_PER_CART);
    const euros = await cartWith([['EURO-1', 1]], { currency: 'EUR' });
    const other = await signIn(api(), c, { cartId: euros });
    expect(other.body.cart.merge.lines).toEqual([{ sku: 'EURO-1', requested: 1, added: 0, quantity: 0, shortfall: 'currency_mismatch' }]);
  });

  it('two sign-ins bringing the same guest cart at once merge it once', async () => {
    const c = await signUp(api());
    const mine = await cartWith([['MUG-1', 1]], { headers: c.headers });
    const guest = await cartWith([['MUG-1', 2]]);
    const outcomes = (await Promise.all([signIn(api(), c, { cartId: guest }), signIn(api(), c, { cartId: guest })]))
      .map((r) => r.body.cart.merge.outcome).sort();
    expect(outcomes).toEqual(['already_yours', 'merged']);
    expect(await linesOf(mine)).toEqual([{ sku: 'MUG-1', quantity: 3 }]);
  });

  it('another customer\'s cart, or one that does not exist, is left alone, and the sign-in still succeeds', async () => {
    const owner = await signUp(api());
    const theirs = await cartWith([['MUG-1', 1]], { headers: owner.headers });
    const c = await signUp(api());
    const before = await snapshot(world().db, ['carts', 'cart_lines']);
    for (const cartId of [theirs, 'y'.repeat(22)]) {
      const res = await signIn(api(), c, { cartId });
      expect(res.status).toBe(200);
      expect(res.body.cart).toEqual({ id: null, merge: { guestCartId: cartId, outcome: 'not_found', lines: [] } });
    }
    expect(await snapshot(world().db, ['carts', 'cart_lines'])).toBe(before);
  });
});

describe('checking out signed in', () => {
  let c: Customer;
  beforeAll(async () => {
    c = await signUp(api());
  });

  const checkout = (cartId: string, body: Record<string, unknown>, headers: Record<string, string> = c.headers) =>
    api().request('POST', `/carts/${cartId}/checkout`, { headers: { ...headers, 'Idempotency-Key': randomUUID() },
      body: { paymentMethod: 'pm_card_visa', ...body } });

  it('records the customer on the order and in the checkout workflow\'s CustomerId search attribute; the e-mail defaults to the account\'s', async () => {
    const res = await checkout(await cartWith([['MUG-1', 1]], { headers: c.headers }), { shippingAddress: ADDRESS });
    expect(res.status).toBe(202);
    expect(await sql('select customer_id, email from orders where id = ?', [res.body.orderId])).toEqual([{ customer_id: c.id, email: c.email }]);
    const temporal = await connectClient(testTarget());
    try {
      const described = await temporal.client.workflow.getHandle(workflowIds.checkout(res.body.orderId)).describe();
      expect(described.typedSearchAttributes.get(CustomerIdAttr)).toBe(c.id);
    } finally {
      await temporal.connection.close();
    }
  });

  it('a guest cart checked out while signed in is the customer\'s order too', async () => {
    const res = await checkout(await cartWith([['MUG-1', 1]]), { shippingAddress: ADDRESS, email: 'other@example.com' });
    expect(await sql('select customer_id from orders where id = ?', [res.body.orderId])).toEqual([{ customer_id: c.id }]);
  });

  it('ships to a saved address named by id; another customer\'s address id is not found and nothing is written', async () => {
    const saved = await api().request('POST', '/me/addresses', { headers: c.headers, body: { ...ADDRESS, name: 'Ada at home', line2: 'Flat 2' } });
    const res = await checkout(await cartWith([['MUG-1', 1]], { headers: c.headers }), { shippingAddressId: saved.body.id });
    expect(res.status).toBe(202);
    const [order] = await sql<{ shipping_address: unknown }>('select shipping_address from orders where id = ?', [res.body.orderId]);
    expect(order.shipping_address).toEqual({ ...ADDRESS, name: 'Ada at home', line2: 'Flat 2' });

    const stranger = await signUp(api());
    const cart = await cartWith([['MUG-1', 1]], { headers: stranger.headers });
    const before = await snapshot(world().db, ['orders', 'carts']);
    const refused = await checkout(cart, { shippingAddressId: saved.body.id }, stranger.headers);
    expect(refused.status).toBe(404);
    expect(refused.body.error.code).toBe('address_not_found');
    expect(await snapshot(world().db, ['orders', 'carts'])).toBe(before);
  });

  it('a guest cannot use a saved address, and must give an e-mail address', async () => {
    const cart = await cartWith([['MUG-1', 1]]);
    const withId = await checkout(cart, { shippingAddressId: randomUUID(), email: 'guest@example.com' }, {});
    expect(withId.status).toBe(400);
    const noEmail = await checkout(cart, { shippingAddress: ADDRESS }, {});
    expect(noEmail.status).toBe(400);
    expect(noEmail.body.error.details.issues[0].path).toBe('email');
    const both = await checkout(cart, { shippingAddress: ADDRESS, shippingAddressId: randomUUID() });
    expect(both.status).toBe(400);
  });
});
