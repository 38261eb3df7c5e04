/**
 * The fulfillment and tracking activities against a real PostgreSQL, each run more than once (and
 * at once), as Temporal's retries run them: every step is idempotent by the order or the shipment,
 * so a retry after a lost answer changes nothing.
 */
import { createHash } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { placeTestOrder, realActivities, seedCheckoutCatalog } from '../support/checkout';
import type { Activities } from '../../activities';
import type { CarrierEvent } from '../../src/contracts/shipment';

let db: TestDatabase;
let acts: Activities;

beforeAll(async () => {
  db = await createTestDatabase();
  await seedCheckoutCatalog(db, 100);
  acts = realActivities(db);
});
afterAll(async () => {
  await db?.drop();
});

const query = <T = Record<string, unknown>>(sql: string, params: unknown[] = []) => db.orm.em.fork().getConnection().execute<T[]>(sql, params);

async function stock(sku: string) {
  const [row] = await query<{ on_hand: number; reserved: number }>('select on_hand, reserved from inventory where sku = ?', [sku]);
  return row;
}

/** An order as checkout hands it to fulfillment: stock reserved, payment authorized. */
async function paidOrder() {
  const placed = await placeTestOrder(db);
  await acts.reserveStock(placed.orderId, placed.lines);
  await acts.authorizePayment({ orderId: placed.orderId, amount: placed.totalAmount, currency: 'USD', paymentMethod: 'pm_card_visa' });
  return placed;
}

describe('fulfillment', () => {
  it('refuses a label whose tracking number another order\'s shipment has, as the carrier\'s error for good, and records nothing', async () => {
    const mine = await paidOrder();
    const other = await paidOrder();
    // The simulated carrier's number for `mine` (src/integrations/simulated/carrier.ts), already on the other order's shipment.
    const taken = `SIM${createHash('sha256').update(mine.orderId).digest('hex').slice(0, 12).toUpperCase()}`;
    await query(`insert into shipments (order_id, carrier, tracking_number, status) values (?, 'simulated', ?, 'label_created')`, [other.orderId, taken]);
    await expect(acts.buyShippingLabel(mine.orderId)).rejects.toMatchObject({ type: 'carrier_error', nonRetryable: true,
      message: expect.stringContaining(`tracking number ${taken}, which another order's shipment already has`) });
    expect(await query('select count(*)::int as n from shipments where order_id = ?', [mine.orderId])).toEqual([{ n: 0 }]);
  });

  it('allocating, labelling and capturing twice (and at once) makes one fulfillment, one label and one capture', async () => {
    const { orderId, totalAmount } = await paidOrder();
    const [a, b] = await Promise.all([acts.allocateToWarehouse(orderId), acts.allocateToWarehouse(orderId)]);
    expect(a).toEqual({ warehouse: 'WH-1' });
    expect(b).toEqual(a);
    await acts.recordPacked(orderId, 'warehouse:pat');
    await acts.recordPacked(orderId, 'warehouse:sam'); // a redelivered signal's retry: the first packer stays

    const [l1, l2] = await Promise.all([acts.buyShippingLabel(orderId, 2), acts.buyShippingLabel(orderId, 2)]);
    expect(l2).toEqual(l1);
    expect(l1.trackingNumber).toMatch(/^SIM[0-9A-F]{12}$/);
    expect(await query('select tracking_number, status from shipments where order_id = ?', [orderId]))
      .toEqual([{ tracking_number: l1.trackingNumber, status: 'label_created' }]);

    expect(await acts.capturePayment(orderId)).toEqual({ capturedAmount: totalAmount });
    expect(await acts.capturePayment(orderId)).toEqual({ capturedAmount: totalAmount });
    expect(await query('select status, captured_amount from payments where order_id = ?', [orderId]))
      .toEqual([{ status: 'captured', captured_amount: String(totalAmount) }]);
    expect(await query(`select status from simulated_payment_intents where metadata->>'orderId' = ?`, [orderId])).toEqual([{ status: 'succeeded' }]);
    expect(await query('select status, packed_by from fulfillments where order_id = ?', [orderId])).toEqual([{ status: 'labelled', packed_by: 'warehouse:pat' }]);
  });

  it('committing the stock twice takes it off the shelf once', async () => {
    const before = { mug: await stock('MUG-1'), tee: await stock('TEE-1') };
    const { orderId } = await paidOrder(); // 2 mugs and a tee reserved
    const [first, second] = await Promise.all([acts.commitStock(orderId), acts.commitStock(orderId)]);
    expect([...first.committed, ...second.committed].sort((x, y) => x.sku.localeCompare(y.sku)))
      .toEqual([{ sku: 'MUG-1', quantity: 2 }, { sku: 'TEE-1', quantity: 1 }]);
    expect(await acts.commitStock(orderId)).toEqual({ committed: [] });
    expect(await stock('MUG-1')).toEqual({ on_hand: before.mug.on_hand - 2, reserved: before.mug.reserved });
    expect(await stock('TEE-1')).toEqual({ on_hand: before.tee.on_hand - 1, reserved: before.tee.reserved });
    await acts.recordShipped(orderId);
    await acts.recordShipped(orderId);
    expect(await query('select status from orders where id = ?', [orderId])).toEqual([{ status: 'shipped' }]);
  });

  it('a capture without an authorized payment is refused for good; a label voided twice is voided once', async () => {
    const placed = await placeTestOrder(db);
    await expect(acts.capturePayment(placed.orderId)).rejects.toMatchObject({ type: 'payment_not_capturable', nonRetryable: true });

    const { orderId } = await paidOrder();
    await acts.allocateToWarehouse(orderId);
    await acts.buyShippingLabel(orderId);
    expect(await acts.voidShippingLabel(orderId)).toEqual({ voided: true });
    expect(await acts.voidShippingLabel(orderId)).toEqual({ voided: false });
    expect(await query('select status from fulfillments where order_id = ?', [orderId])).toEqual([{ status: 'cancelled' }]);
  });
});

describe('tracking', () => {
  async function shipment() {
    const { orderId } = await paidOrder();
    await acts.allocateToWarehouse(orderId);
    const label = await acts.buyShippingLabel(orderId);
    return { orderId, ...label };
  }

  it('a scan recorded twice (and at once) is one timeline row; a status change moves the shipment', async () => {
    const { shipmentId } = await shipment();
    const event: CarrierEvent = { eventId: 'evt-1', status: 'in_transit', occurredAt: '2026-11-26T10:00:00.000Z', description: 'Departed' };
    const results = await Promise.all([1, 2, 3].map(() => acts.recordShipmentEvent({ shipmentId, event, statusChange: true })));
    expect(results.filter((r) => r.recorded)).toHaveLength(1);
    expect(await query('select provider_event_id, status, description from shipment_events where shipment_id = ?', [shipmentId]))
      .toEqual([{ provider_event_id: 'evt-1', status: 'in_transit', description: 'Departed' }]);
    expect(await query('select status from shipments where id = ?', [shipmentId])).toEqual([{ status: 'in_transit' }]);
    // A scan that is not a change (another hub) joins the timeline and leaves the status alone.
    await acts.recordShipmentEvent({ shipmentId, event: { ...event, eventId: 'evt-2', occurredAt: '2026-11-26T12:00:00.000Z' }, statusChange: false });
    expect(await query('select count(*)::int as n from shipment_events where shipment_id = ?', [shipmentId])).toEqual([{ n: 2 }]);
    await expect(acts.recordShipmentEvent({ shipmentId: '00000000-0000-4000-8000-000000000000', event, statusChange: true }))
      .rejects.toMatchObject({ type: 'not_found', nonRetryable: true });
  });

  it('a stall raised twice is one open notice; resolving closes it, and a later stall opens a new one', async () => {
    const s = await shipment();
    const req = { shipmentId: s.shipmentId, orderId: s.orderId, trackingNumber: s.trackingNumber, carrier: s.carrier,
      status: 'in_transit' as const, since: '2026-11-20T10:00:00.000Z' };
    const raised = await Promise.all([acts.raiseStallNotice(req), acts.raiseStallNotice(req)]);
    expect(raised.filter((r) => r.raised)).toHaveLength(1);
    expect(await acts.resolveStallNotice({ shipmentId: s.shipmentId })).toEqual({ resolved: 1 });
    expect(await acts.resolveStallNotice({ shipmentId: s.shipmentId })).toEqual({ resolved: 0 });
    expect(await acts.raiseStallNotice(req)).toEqual({ raised: true });
    expect(await query('select count(*)::int as n, count(resolved_at)::int as resolved from support_notices where shipment_id = ?', [s.shipmentId]))
      .toEqual([{ n: 2, resolved: 1 }]);
    // A return is a notice of its own kind, beside the stall, once.
    const returned = { shipmentId: s.shipmentId, orderId: s.orderId, trackingNumber: s.trackingNumber, carrier: s.carrier, returnedAt: '2026-11-30T10:00:00.000Z' };
    expect(await acts.raiseReturnedNotice(returned)).toEqual({ raised: true });
    expect(await acts.raiseReturnedNotice(returned)).toEqual({ raised: false });
  });

  it('a poll reads the carrier\'s scans as of the workflow\'s clock', async () => {
    const shippedAt = '2026-11-26T00:00:00.000Z';
    const { trackingNumber } = await shipment();
    expect(await acts.pollCarrier({ trackingNumber, shippedAt, asOf: '2026-11-26T11:59:59.000Z' })).toEqual([]);
    const later = await acts.pollCarrier({ trackingNumber, shippedAt, asOf: '2026-11-28T06:00:00.000Z' });
    expect(later.map((e) => [e.eventId, e.status, e.occurredAt])).toEqual([
      [`${trackingNumber}-in_transit`, 'in_transit', '2026-11-26T12:00:00.000Z'],
      [`${trackingNumber}-out_for_delivery`, 'out_for_delivery', '2026-11-28T00:00:00.000Z'],
      [`${trackingNumber}-delivered`, 'delivered', '2026-11-28T06:00:00.000Z'],
    ]);
  });
});
