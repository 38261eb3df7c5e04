/**
 * A promotion's usage limit under concurrent checkouts through the REST API (loopback only, bounded):
 * the database counts the uses inside the checkout saga, a declined card gives its use back, and
 * the count always equals the orders that kept the discount.
 */
import { randomUUID } from 'node:crypto';
import { startApiWorld, staffAs, stopApiWorld, type ApiResponse, type ApiWorld } from '../support/api';
import { ADDRESS } from '../support/checkout';
import { giveBackOrderPromotions } from '../../src/store/promotions';

let world: ApiWorld;
const staff = staffAs('catalog');
const LIMIT = 50;
const CHECKOUTS = 200;

const ok = (res: ApiResponse, status = 200) => {
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
};
const sql = <T>(text: string, params: unknown[] = []) => world.db.orm.em.fork().getConnection().execute<T[]>(text, params);

beforeAll(async () => {
  world = await startApiWorld({ stock: 10_000 });
}, 60_000);
afterAll(() => stopApiWorld(world ?? {}));

/** Runs `work` over `items`, at most `width` at a time. */
async function inBatches<T, R>(items: T[], width: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += width) results.push(...await Promise.all(items.slice(i, i + width).map(work)));
  return results;
}

async function cartWithCode(code: string): Promise<string> {
  const cart = ok(await world.api.request('POST', '/carts', { body: {} }), 201);
  ok(await world.api.request('POST', `/carts/${cart.id}/items`, { body: { sku: 'MUG-1', quantity: 1 } }));
  ok(await world.api.request('POST', `/carts/${cart.id}/promotions`, { body: { code } }));
  return cart.id;
}

/** A 503 (Temporal busy with two hundred starts at once on two cores) is retried with the same Idempotency-Key, as the answer says. */
async function checkoutAsAClientWould(cart: string, body: Record<string, unknown>): Promise<ApiResponse> {
  const key = randomUUID();
  for (let attempt = 1; ; attempt++) {
    const res = await world.api.request('POST', `/carts/${cart}/checkout`, { headers: { 'Idempotency-Key': key }, body });
    if (res.status !== 503 || attempt === 20) return res;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function until(what: string, check: () => Promise<boolean>, ms = 90_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

it(`${CHECKOUTS} concurrent checkouts of a code limited to ${LIMIT} uses, some declined: the uses never pass the limit and equal the orders that kept the discount`, async () => {
  const promotion = ok(await world.api.request('POST', '/admin/pricing/promotions',
    { headers: staff, body: { code: 'FIFTY', name: 'Fifty uses', kind: 'percentage', percent: 10, usageLimit: LIMIT } }), 201);
  const carts = await inBatches(Array.from({ length: CHECKOUTS }, (_, i) => i), 20, () => cartWithCode('FIFTY'));
  // Every fourth card is declined: its order redeems a use, then gives it back when the payment fails.
  const declined = (i: number) => i % 4 === 0;
  const answers = await Promise.all(carts.map((cart, i) => checkoutAsAClientWould(cart, {
    email: `shopper${i}@example.com`, shippingAddress: ADDRESS, paymentMethod: declined(i) ? 'pm_card_chargeDeclined' : 'pm_card_visa' })));
  const refusedUpFront = answers.filter((a) => a.status === 409 && (a.body as { error: { code: string } }).error.code === 'promotion_limit_reached').length;
  const unexpected = answers.filter((a) => a.status !== 202 && !(a.status === 409 && (a.body as { error: { code: string } }).error.code === 'promotion_limit_reached'));
  expect(unexpected.map((a) => [a.status, a.body])).toEqual([]);
  const placed = answers.filter((a) => a.status === 202).map((a) => (a.body as { orderId: string }).orderId);
  expect(placed.length + refusedUpFront).toBe(CHECKOUTS);

  // Wait until every placed order has settled: paid (awaiting the warehouse) or rolled back (failed).
  await until('every order is paid or rolled back', async () => {
    const [row] = await sql<{ open: number }>(`select count(*)::int as open from orders where id in (?) and status not in ('awaiting_fulfillment', 'failed')`, [placed]);
    return row.open === 0;
  });
  await until('every rolled-back order has given its use back', async () => {
    const [row] = await sql<{ n: number }>(`select count(*)::int as n from promotion_redemptions r join orders o on o.id = r.order_id where o.status = 'failed'`);
    return row.n === 0;
  });

  const [counts] = await sql<{ used: number; redemptions: number; kept: number; paid_declined: number; limit_failures: number }>(`
    select (select used from promotions where id = ?) as used,
           (select count(*)::int from promotion_redemptions where promotion_id = ?) as redemptions,
           (select count(*)::int from orders o join order_promotions op on op.order_id = o.id where o.status = 'awaiting_fulfillment') as kept,
           (select count(*)::int from orders o join payments p on p.order_id = o.id where o.status = 'awaiting_fulfillment' and p.status <> 'authorized') as paid_declined,
           (select count(*)::int from orders where status = 'failed' and id in (?) and id not in (select order_id from payments)) as limit_failures`,
  [promotion.id, promotion.id, placed]);
  // Never more than the limit; each kept discount is exactly one counted use, and nothing a decline gave back was lost.
  expect(counts.kept).toBeLessThanOrEqual(LIMIT);
  expect(counts.used).toBe(counts.kept);
  expect(counts.redemptions).toBe(counts.kept);
  expect(counts.paid_declined).toBe(0);
  // The limit was reached (more shoppers than uses): the uses that declines gave back went to others while checkouts were still coming in.
  const declinedOrders = carts.filter((_, i) => declined(i)).length;
  expect(counts.kept).toBeGreaterThanOrEqual(LIMIT - declinedOrders);
  expect(refusedUpFront + counts.limit_failures).toBeGreaterThan(0);
  // A second give-back of a rolled-back order gives nothing back twice.
  const [failed] = await sql<{ id: string }>(`select id from orders where status = 'failed' and id in (?) limit 1`, [placed]);
  expect(await giveBackOrderPromotions(world.db.orm.em.fork(), failed.id)).toEqual({ givenBack: 0 });
  const [after] = await sql<{ used: number }>('select used from promotions where id = ?', [promotion.id]);
  expect(after.used).toBe(counts.kept);
}, 300_000);

it('a cancelled order gives its use back, once, and the next shopper gets it', async () => {
  ok(await world.api.request('POST', '/admin/pricing/promotions', { headers: staff, body: { code: 'LASTONE', name: 'One use', kind: 'percentage', percent: 10, usageLimit: 1 } }), 201);
  const first = ok(await checkoutAsAClientWould(await cartWithCode('LASTONE'), { email: 'first@example.com', shippingAddress: ADDRESS, paymentMethod: 'pm_card_visa' }), 202);
  await until('the first order is paid', async () => (await sql<{ status: string }>('select status from orders where id = ?', [first.orderId]))[0].status === 'awaiting_fulfillment');
  const used = async () => (await sql<{ used: number }>(`select used from promotions where code = 'LASTONE'`))[0].used;
  expect(await used()).toBe(1);
  const second = ok(await world.api.request('POST', '/carts', { body: {} }), 201).id;
  ok(await world.api.request('POST', `/carts/${second}/items`, { body: { sku: 'MUG-1', quantity: 1 } }));
  const taken = await world.api.request('POST', `/carts/${second}/promotions`, { body: { code: 'LASTONE' } });
  expect([taken.status, taken.body.error.code]).toEqual([409, 'promotion_limit_reached']);

  ok(await world.api.request('POST', `/orders/${first.orderId}/cancel`, { headers: { Authorization: `Bearer ${first.accessToken}` }, body: { reason: 'changed my mind' } }));
  await until('the first order is cancelled and its use given back', async () => (await used()) === 0);
  expect(await sql('select order_id from promotion_redemptions where order_id = ?', [first.orderId])).toEqual([]);
  expect(await giveBackOrderPromotions(world.db.orm.em.fork(), first.orderId)).toEqual({ givenBack: 0 });
  expect(await used()).toBe(0);
  ok(await world.api.request('POST', `/carts/${second}/promotions`, { body: { code: 'LASTONE' } }));
  ok(await checkoutAsAClientWould(second, { email: 'second@example.com', shippingAddress: ADDRESS, paymentMethod: 'pm_card_visa' }), 202);
  expect(await used()).toBe(1);
}, 120_000);
