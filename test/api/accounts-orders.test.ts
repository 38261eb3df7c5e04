/** A signed-in customer's orders (newest first, keyset pages behind an opaque cursor), one order and its parcels, and saved addresses. */
import { randomUUID } from 'node:crypto';
import { ADDRESS } from '../support/checkout';
import { accountsWorld, signUp, type Customer } from '../support/accounts';
import { shipOrder, waitForOrder } from '../support/orders-api';
import { MAX_SAVED_ADDRESSES } from '../../src/domain/order';


const { world, api, sql } = accountsWorld();

async function order(c: Customer, quantity = 1): Promise<string> {
  const cart = await api().request('POST', '/carts', { headers: c.headers });
  await api().request('POST', `/carts/${cart.body.id}/items`, { headers: c.headers, body: { sku: 'MUG-1', quantity } });
  const res = await api().request('POST', `/carts/${cart.body.id}/checkout`, { headers: { ...c.headers, 'Idempotency-Key': randomUUID() },
    body: { shippingAddress: ADDRESS, paymentMethod: 'pm_card_visa' } });
  expect(res.status).toBe(202);
  return res.body.orderId;
}

describe('my orders', () => {
  it('lists the customer\'s orders newest first, a page at a time, each once, even when two were placed at the same instant', async () => {
    const c = await signUp(api());
    const ids: string[] = [];
    for (let i = 1; i <= 5; i++) ids.push(await order(c, i));
    // Two orders with the very same creation time: the id breaks the tie, so neither is skipped nor repeated.
    await sql('update orders set created_at = (select created_at from orders where id = ?) where id = ?', [ids[2], ids[3]]);
    await order(await signUp(api())); // someone else's, never listed
    const seen: { id: string; itemCount: number }[] = [];
    const pages: number[] = [];
    let cursor: string | null = null;
    do {
      const res = await api().request('GET', `/me/orders?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { headers: c.headers });
      expect(res.status).toBe(200);
      pages.push(res.body.items.length);
      seen.push(...res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(pages).toEqual([2, 2, 1]);
    const expected = await sql<{ id: string }>('select id from orders where customer_id = ? order by created_at desc, id desc', [c.id]);
    expect(seen.map((o) => o.id)).toEqual(expected.map((o) => o.id));
    expect(new Set(seen.map((o) => o.id))).toEqual(new Set(ids));
    expect(seen.find((o) => o.id === ids[4])).toEqual(expect.objectContaining({ itemCount: 5, status: expect.any(String),
      total: { amount: 6000, currency: 'USD', formatted: '$60.00' }, links: { self: `/me/orders/${ids[4]}`, shipments: `/me/orders/${ids[4]}/shipments` } }));
  });

  it('refuses a cursor it did not give with 400', async () => {
    const c = await signUp(api());
    for (const cursor of ['nonsense', Buffer.from('["2026-01-01", "x"]').toString('base64url')]) {
      const res = await api().request('GET', `/me/orders?cursor=${cursor}`, { headers: c.headers });
      expect(res.status).toBe(400);
      expect(res.body.error.details.issues[0].path).toBe('cursor');
    }
  });

  it('answers one order with its live state, and its parcels once it ships', async () => {
    const c = await signUp(api());
    const orderId = await order(c, 2);
    await waitForOrder(api(), orderId, (l) => l.status === 'awaiting_fulfillment');
    const one = await api().request('GET', `/me/orders/${orderId}`, { headers: c.headers });
    expect(one.status).toBe(200);
    expect(one.body).toEqual(expect.objectContaining({ id: orderId, email: c.email, live: expect.objectContaining({ status: 'awaiting_fulfillment' }) }));
    expect((await api().request('GET', `/me/orders/${orderId}/shipments`, { headers: c.headers })).body).toEqual({ orderId, shipments: [] });
    await shipOrder(api(), world().db, orderId);
    const parcels = await api().request('GET', `/me/orders/${orderId}/shipments`, { headers: c.headers });
    expect(parcels.body.shipments).toEqual([expect.objectContaining({ status: 'label_created', trackingNumber: expect.any(String) })]);
  });
});

describe('saved addresses', () => {
  it('the first is the default; another made default takes its place; deleting the default promotes the newest other', async () => {
    const c = await signUp(api());
    const save = async (name: string, isDefault?: boolean) =>
      (await api().request('POST', '/me/addresses', { headers: c.headers, body: { ...ADDRESS, name, ...(isDefault === undefined ? {} : { isDefault }) } })).body;
    const home = await save('Home');
    expect(home).toEqual(expect.objectContaining({ ...ADDRESS, name: 'Home', isDefault: true, id: expect.any(String) }));
    const work = await save('Work');
    expect(work.isDefault).toBe(false);
    const cottage = await save('Cottage', true);
    const list = async () => (await api().request('GET', '/me/addresses', { headers: c.headers })).body.items.map((a: { name: string; isDefault: boolean }) => [a.name, a.isDefault]);
    expect(await list()).toEqual([['Cottage', true], ['Home', false], ['Work', false]]);
    const patched = await api().request('PATCH', `/me/addresses/${work.id}`, { headers: c.headers, body: { city: 'Manchester', line2: 'Floor 3', isDefault: true } });
    expect(patched.body).toEqual(expect.objectContaining({ name: 'Work', city: 'Manchester', line2: 'Floor 3', isDefault: true }));
    const cleared = await api().request('PATCH', `/me/addresses/${work.id}`, { headers: c.headers, body: { line2: null } });
    expect(cleared.body.line2).toBeUndefined();
    expect((await api().request('DELETE', `/me/addresses/${work.id}`, { headers: c.headers })).status).toBe(204);
    expect(await list()).toEqual([['Cottage', true], ['Home', false]]);
    expect((await api().request('PATCH', `/me/addresses/${cottage.id}`, { headers: c.headers, body: { country: 'gb' } })).status).toBe(400);
  });

  it(`keeps at most ${MAX_SAVED_ADDRESSES} addresses, even when saved all at once`, async () => {
    const c = await signUp(api());
    const results = await Promise.all(Array.from({ length: MAX_SAVED_ADDRESSES + 3 }, (_, i) =>
      api().request('POST', '/me/addresses', { headers: c.headers, body: { ...ADDRESS, name: `Address ${i}` } })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(MAX_SAVED_ADDRESSES);
    expect(results.filter((r) => r.status === 422).map((r) => r.body.error.code)).toEqual(['too_many_addresses', 'too_many_addresses', 'too_many_addresses']);
    expect(await sql('select count(*)::int as n, count(*) filter (where is_default)::int as defaults from customer_addresses where customer_id = ?', [c.id]))
      .toEqual([{ n: MAX_SAVED_ADDRESSES, defaults: 1 }]);
  });
});
