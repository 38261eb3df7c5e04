/** The fulfillment child on its own, with the real activities against PostgreSQL and the simulated warehouse and carrier. */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { createTimeSkippingEnv } from '../support/temporal';
import { RECORDING, saveHistory } from '../replay/record';
import { placeTestOrder, realActivities, seedCheckoutCatalog, startWorker } from '../support/checkout';
import type { Activities } from '../../activities';
import { fulfillment } from '../../workflows/fulfillment';
import { defaultPayloadConverter } from '@temporalio/common';
import { cancelFulfillmentSignal, packedSignal } from '../../src/contracts/fulfillment';
import { OrderStatusAttr, workflowIds } from '../../src/contracts/temporal';
import { PaymentProviderError } from '../../src/integrations/payments';

let env: TestWorkflowEnvironment;
let db: TestDatabase;

beforeAll(async () => {
  [env, db] = await Promise.all([createTimeSkippingEnv(), createTestDatabase()]);
  await seedCheckoutCatalog(db, 50);
});
afterAll(async () => {
  await env?.teardown();
  await db?.drop();
});

const query = <T = Record<string, unknown>>(sql: string, params: unknown[] = []) => db.orm.em.fork().getConnection().execute<T[]>(sql, params);

/** An order as checkout leaves it for the warehouse: stock reserved, payment authorized. */
async function paidOrder() {
  const acts = realActivities(db);
  const placed = await placeTestOrder(db);
  await acts.reserveStock(placed.orderId, placed.lines);
  await acts.authorizePayment({ orderId: placed.orderId, amount: placed.totalAmount, currency: 'USD', paymentMethod: 'pm_card_visa' });
  return placed;
}

async function withFulfillment(autoPack: boolean, overrides: Partial<Activities>,
  body: (ctx: { orderId: string; handle: WorkflowHandle<typeof fulfillment> }) => Promise<void>,
  startedWith?: { orderStatus: string }): Promise<void> {
  const placed = await paidOrder();
  const { worker, taskQueue, run } = await startWorker(env, { ...realActivities(db), ...overrides } as Activities);
  const handle = await env.client.workflow.start(fulfillment, { taskQueue, workflowId: workflowIds.fulfillment(placed.orderId),
    args: [{ orderId: placed.orderId, lines: placed.lines, amount: placed.totalAmount, currency: 'USD', autoPack }],
    ...(startedWith ? { typedSearchAttributes: [{ key: OrderStatusAttr, value: startedWith.orderStatus }] } : {}) });
  try {
    await body({ orderId: placed.orderId, handle });
  } finally {
    await handle.terminate('test over').catch(() => undefined);
    worker.shutdown();
    await run;
  }
}

async function inventory() {
  return Object.fromEntries((await query<{ sku: string; on_hand: number; reserved: number }>('select sku, on_hand, reserved from inventory'))
    .map((r) => [r.sku, { onHand: r.on_hand, reserved: r.reserved }]));
}

it('ships a paid order: captures at shipping time, takes the stock off the shelf, buys one label', async () => {
  const before = await inventory();
  await withFulfillment(true, {}, async ({ orderId, handle }) => {
    const result = await handle.result();
    expect(result).toEqual(expect.objectContaining({ outcome: 'shipped', carrier: 'simulated', warehouse: 'WH-1' }));
    if (result.outcome !== 'shipped') return;
    expect(result.trackingNumber).toMatch(/^SIM[0-9A-F]{12}$/);
    const [payment] = await query<{ status: string; captured_amount: string; amount: string }>('select * from payments where order_id = ?', [orderId]);
    expect(payment.status).toBe('captured');
    expect(payment.captured_amount).toBe(payment.amount);
    const [intent] = await query<{ status: string }>(`select status from simulated_payment_intents where metadata->>'orderId' = ?`, [orderId]);
    expect(intent.status).toBe('succeeded');
    expect(await query('select status from reservations where order_id = ? order by sku', [orderId])).toEqual([{ status: 'committed' }, { status: 'committed' }]);
    const after = await inventory();
    // Reserved by checkout, then committed here: on hand drops, and the reservation no longer counts.
    expect(after['MUG-1']).toEqual({ onHand: before['MUG-1'].onHand - 2, reserved: before['MUG-1'].reserved });
    expect(after['TEE-1']).toEqual({ onHand: before['TEE-1'].onHand - 1, reserved: before['TEE-1'].reserved });
    expect(await query('select tracking_number, status from shipments where order_id = ?', [orderId]))
      .toEqual([{ tracking_number: result.trackingNumber, status: 'label_created' }]);
    expect(await query('select status, packed_by from fulfillments where order_id = ?', [orderId]))
      .toEqual([{ status: 'shipped', packed_by: 'simulated warehouse WH-1' }]);
    expect(await query('select status from orders where id = ?', [orderId])).toEqual([{ status: 'shipped' }]);
  });
});

it('waits for the warehouse to pack, however long it takes', async () => {
  await withFulfillment(false, {}, async ({ orderId, handle }) => {
    await env.sleep('2 days');
    const description = await handle.describe();
    expect(description.status.name).toBe('RUNNING');
    expect(await query('select status from fulfillments where order_id = ?', [orderId])).toEqual([{ status: 'allocated' }]);
    await handle.signal(packedSignal, { actor: 'staff:pat' });
    expect((await handle.result()).outcome).toBe('shipped');
    expect(await query('select packed_by from fulfillments where order_id = ?', [orderId])).toEqual([{ packed_by: 'staff:pat' }]);
  });
});

it('stops before dispatch when the order is cancelled while waiting for packing: no label, no capture', async () => {
  await withFulfillment(false, {}, async ({ orderId, handle }) => {
    await handle.signal(cancelFulfillmentSignal);
    expect(await handle.result()).toEqual({ outcome: 'cancelled' });
    expect(await query('select id from shipments where order_id = ?', [orderId])).toEqual([]);
    expect(await query('select status from payments where order_id = ?', [orderId])).toEqual([{ status: 'authorized' }]);
  });
});

it('a capture that fails at shipping voids the label and fails, leaving the stock reserved for the rollback', async () => {
  const capturePayment = async () => {
    throw new PaymentProviderError('The authorization has expired', 'charge_expired_for_capture', false);
  };
  await withFulfillment(true, { capturePayment: capturePayment as unknown as Activities['capturePayment'] }, async ({ orderId, handle }) => {
    const failure = await handle.result().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect((failure as WorkflowFailedError).cause).toMatchObject({ type: 'capture_failed' });
    expect(await query('select status from shipments where order_id = ?', [orderId])).toEqual([{ status: 'voided' }]);
    expect(await query('select status from reservations where order_id = ? order by sku', [orderId])).toEqual([{ status: 'reserved' }, { status: 'reserved' }]);
    expect(await query('select status from payments where order_id = ?', [orderId])).toEqual([{ status: 'authorized' }]);
  });
});

/** With RECORD_HISTORIES set, saves this history for the replay test (test/replay/record.ts). */
async function recordHistory(handle: WorkflowHandle): Promise<void> {
  if (RECORDING) saveHistory('fulfillment', await handle.fetchHistory());
}

/** The OrderStatus values the workflow set, in order, from its history (null: removed). */
async function orderStatusUpserts(handle: WorkflowHandle): Promise<(string | null)[]> {
  const events = (await handle.fetchHistory()).events ?? [];
  return events.flatMap((e) => {
    const payload = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.OrderStatus;
    if (!payload) return [];
    const value = defaultPayloadConverter.fromPayload<string | string[] | null>(payload);
    return [Array.isArray(value) ? (value[0] ?? null) : value];
  });
}

it('carries the order\'s status while it runs (awaiting fulfillment, then cancelling once a cancel reaches it in time) and drops it when it stops', async () => {
  await withFulfillment(false, {}, async ({ handle }) => {
    await env.sleep('1 hour');
    expect((await handle.describe()).typedSearchAttributes.get(OrderStatusAttr)).toBe('awaiting_fulfillment');
    await handle.signal(cancelFulfillmentSignal);
    expect(await handle.result()).toEqual({ outcome: 'cancelled' });
    expect((await handle.describe()).typedSearchAttributes.get(OrderStatusAttr)).toBeUndefined();
    expect(await orderStatusUpserts(handle)).toEqual(['awaiting_fulfillment', 'cancelling', null]);
    await recordHistory(handle);
  });
});

it('a fulfillment leaves the status to the order once the parcel is dispatched', async () => {
  await withFulfillment(true, {}, async ({ handle }) => {
    expect((await handle.result()).outcome).toBe('shipped');
    expect(await orderStatusUpserts(handle)).toEqual(['awaiting_fulfillment', null]);
  });
});

it('started by its order with the status among its search attributes, it writes no first upsert of its own', async () => {
  await withFulfillment(true, {}, async ({ handle }) => {
    expect((await handle.result()).outcome).toBe('shipped');
    expect(await orderStatusUpserts(handle)).toEqual([null]);
  }, { orderStatus: 'awaiting_fulfillment' });
});
