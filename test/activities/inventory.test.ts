import { ApplicationFailure } from '@temporalio/common';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { placeTestOrder, realActivities } from '../support/checkout';
import { insertProducts } from '../../src/db/seed';
import type { Activities } from '../../activities';

let db: TestDatabase;
let acts: Activities;

beforeAll(async () => {
  db = await createTestDatabase();
  await insertProducts(db.orm.em.fork(), [
    { handle: 'lamp', title: 'Lamp', description: '', variants: [{ sku: 'LAMP-1', title: 'Brass', prices: { USD: 9900 }, onHand: 10 }] },
    { handle: 'bulb', title: 'Bulb', description: '', variants: [{ sku: 'BULB-1', title: 'Warm', prices: { USD: 500 }, onHand: 1000 }] },
  ]);
  acts = realActivities(db);
});
afterAll(async () => {
  await db?.drop();
});

async function stock(sku: string) {
  const [row] = await db.orm.em.fork().getConnection().execute<{ on_hand: number; reserved: number }[]>(
    'select on_hand, reserved from inventory where sku = ?', [sku]);
  return row;
}

describe('reserving stock', () => {
  it('50 concurrent checkouts for 10 units make exactly 10 reservations and never go negative', async () => {
    const orders = [];
    for (let i = 0; i < 50; i++) orders.push(await placeTestOrder(db, { items: [{ sku: 'LAMP-1', quantity: 1 }] }));
    const results = await Promise.allSettled(orders.map((o) => acts.reserveStock(o.orderId, o.lines)));
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(10);
    expect(lost).toHaveLength(40);
    for (const r of lost) {
      expect(r.reason).toBeInstanceOf(ApplicationFailure);
      expect(r.reason.type).toBe('out_of_stock');
      expect(r.reason.nonRetryable).toBe(true);
    }
    expect(await stock('LAMP-1')).toEqual({ on_hand: 10, reserved: 10 });
    const [held] = await db.orm.em.fork().getConnection().execute<{ n: number }[]>(
      `select count(*)::int as n from reservations where sku = 'LAMP-1' and status = 'reserved'`);
    expect(held.n).toBe(10);
  });

  it('a retried reservation for the same order reserves once', async () => {
    const order = await placeTestOrder(db, { items: [{ sku: 'BULB-1', quantity: 3 }] });
    const before = await stock('BULB-1');
    await acts.reserveStock(order.orderId, order.lines);
    await acts.reserveStock(order.orderId, order.lines);
    await Promise.all([acts.reserveStock(order.orderId, order.lines), acts.reserveStock(order.orderId, order.lines)]);
    expect((await stock('BULB-1')).reserved).toBe(before.reserved + 3);
  });

  it('an order that cannot get every line gets none of them', async () => {
    const order = await placeTestOrder(db, { items: [{ sku: 'BULB-1', quantity: 2 }] });
    const before = await stock('BULB-1');
    await expect(acts.reserveStock(order.orderId, [{ sku: 'BULB-1', quantity: 2 }, { sku: 'LAMP-1', quantity: 1 }]))
      .rejects.toMatchObject({ type: 'out_of_stock' });
    expect(await stock('BULB-1')).toEqual(before);
  });

  it('releasing gives back exactly what the order held, once, even when run twice or before any reservation', async () => {
    const order = await placeTestOrder(db, { items: [{ sku: 'BULB-1', quantity: 4 }] });
    const before = await stock('BULB-1');
    expect((await acts.releaseStock(order.orderId)).released).toEqual([]);
    await acts.reserveStock(order.orderId, order.lines);
    await Promise.all([acts.releaseStock(order.orderId), acts.releaseStock(order.orderId)]);
    await acts.releaseStock(order.orderId);
    expect(await stock('BULB-1')).toEqual(before);
  });
});
