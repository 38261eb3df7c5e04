/**
 * Shipment tracking over days and weeks, on the time-skipping server, with the real activities
 * against a real PostgreSQL. Each test places an order, gives it a shipment row (as fulfillment
 * does once the label is bought) and starts shipment-<id> directly. Assertions read the timeline
 * table, the outbox, the support notices, the search attribute and the workflow's result.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { createTimeSkippingEnv } from '../support/temporal';
import { RECORDING, saveHistory } from '../replay/record';
import { placeTestOrder, realActivities, seedCheckoutCatalog, startWorker } from '../support/checkout';
import type { Activities } from '../../activities';
import { SimulatedCarrier } from '../../src/integrations/simulated/carrier';
import { shipmentTracking } from '../../workflows/shipment-tracking';
import { carrierEventSignal, trackingStatusQuery, type CarrierEvent, type ShipmentStatus, type TrackingState } from '../../src/contracts/shipment';
import { ShipmentStatusAttr, workflowIds } from '../../src/contracts/temporal';

let env: TestWorkflowEnvironment;
let db: TestDatabase;

beforeAll(async () => {
  [env, db] = await Promise.all([createTimeSkippingEnv(), createTestDatabase()]);
  await seedCheckoutCatalog(db, 100);
});
afterAll(async () => {
  await env?.teardown();
  await db?.drop();
});

const HOUR = 3_600_000;

interface Parcel {
  orderId: string;
  shipmentId: string;
  trackingNumber: string;
  /** When the parcel shipped (the time-skipping server's clock). */
  shippedAt: number;
  handle: WorkflowHandleWithFirstExecutionRunId<typeof shipmentTracking>;
  /** What a scripted carrier knows: webhooks deliver these, and its polls answer them again. */
  carrierKnows: CarrierEvent[];
  /**
   * A carrier webhook for a scan made `hoursAfterShipping` after shipping, delivered as a signal.
   * Time moves on to that moment first when it lies ahead; a scan from the past arrives late.
   */
  webhook(eventId: string, status: ShipmentStatus, hoursAfterShipping: number, description?: string): Promise<CarrierEvent>;
  until(what: string, ok: (s: TrackingState) => boolean): Promise<TrackingState>;
}

/**
 * Runs a test against one shipped parcel. By default the carrier is scripted (its polls answer
 * what it sent as webhooks); `carrier: 'simulated'` uses the simulated carrier's own schedule.
 */
async function withParcel(
  opts: { carrier?: 'scripted' | 'simulated'; activities?: Partial<Activities>; continueAsNewAfter?: number },
  body: (parcel: Parcel) => Promise<void>,
): Promise<void> {
  const placed = await placeTestOrder(db, { phone: '+447700900123' });
  const { trackingNumber } = await new SimulatedCarrier().buyLabel({ orderId: placed.orderId });
  const [{ id: shipmentId }] = await sql<{ id: string }>(
    `insert into shipments (order_id, carrier, tracking_number, status) values (?, 'simulated', ?, 'label_created') returning id`,
    [placed.orderId, trackingNumber]);
  const carrierKnows: CarrierEvent[] = [];
  const scripted: Partial<Activities> = {
    pollCarrier: async ({ asOf }) => carrierKnows.filter((e) => Date.parse(e.occurredAt) <= Date.parse(asOf)),
  };
  const activities = { ...realActivities(db), ...(opts.carrier === 'simulated' ? {} : scripted), ...opts.activities } as Activities;
  const { worker, taskQueue, run } = await startWorker(env, activities);
  const shippedAt = await env.currentTimeMs();
  const workflowId = workflowIds.shipment(shipmentId);
  const handle = await env.client.workflow.start(shipmentTracking, {
    taskQueue, workflowId,
    args: [{ shipmentId, orderId: placed.orderId, trackingNumber, carrier: 'simulated', shippedAt: new Date(shippedAt).toISOString(),
      pollEvery: '6 hours', stallAfter: '5 days', continueAsNewAfter: opts.continueAsNewAfter }],
  });
  const parcel: Parcel = {
    orderId: placed.orderId, shipmentId, trackingNumber, shippedAt, handle, carrierKnows,
    webhook: async (eventId, status, hours, description) => {
      const ahead = shippedAt + hours * HOUR - (await env.currentTimeMs());
      if (ahead > 0) await env.sleep(ahead);
      const event = { eventId, status, occurredAt: new Date(shippedAt + hours * HOUR).toISOString(), ...(description ? { description } : {}) };
      if (!carrierKnows.some((e) => e.eventId === eventId)) carrierKnows.push(event);
      await handle.signal(carrierEventSignal, event);
      return event;
    },
    until: (what, ok) => eventually(what, () => handle.query(trackingStatusQuery), ok),
  };
  try {
    await body(parcel);
    await recordHistories(workflowId, handle.firstExecutionRunId);
  } finally {
    await env.client.workflow.getHandle(workflowId).terminate('test over').catch(() => undefined);
    worker.shutdown();
    await run;
  }
}

async function sql<T>(query: string, params: unknown[] = []): Promise<T[]> {
  return db.orm.em.fork().getConnection().execute<T[]>(query, params);
}

async function eventually<T>(what: string, read: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what} never happened; last seen ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** What the business sees: the timeline, the shipment row, what the customer was told, what support was told. */
async function facts(parcel: Parcel) {
  const timeline = await sql<{ provider_event_id: string; status: string; occurred_at: Date | string }>(
    'select provider_event_id, status, occurred_at from shipment_events where shipment_id = ? order by occurred_at', [parcel.shipmentId]);
  const [shipment] = await sql<{ status: string }>('select status from shipments where id = ?', [parcel.shipmentId]);
  const told = await sql<{ template: string; channel: string; status: string; attempts: number }>(
    `select template, channel, status, attempts from notifications where order_id = ? order by created_at`, [parcel.orderId]);
  const notices = await sql<{ kind: string; message: string; resolved_at: string | null }>(
    'select kind, message, resolved_at from support_notices where shipment_id = ? order by created_at', [parcel.shipmentId]);
  return {
    timeline: timeline.map((e) => [e.provider_event_id, e.status]),
    occurredAt: timeline.map((e) => new Date(e.occurred_at).getTime()),
    status: shipment.status,
    told: told.map((n) => [n.template, n.channel, n.status, n.attempts]),
    notices,
  };
}

async function searchStatus(parcel: Parcel): Promise<string | undefined> {
  const description = await env.client.workflow.getHandle(workflowIds.shipment(parcel.shipmentId)).describe();
  return description.typedSearchAttributes.get(ShipmentStatusAttr);
}

/**
 * With RECORD_HISTORIES set, saves each path's history for the replay test (test/replay/record.ts):
 * the first run, and the last when it continued as new.
 */
async function recordHistories(workflowId: string, firstRunId: string): Promise<void> {
  if (!RECORDING) return;
  const latest = await env.client.workflow.getHandle(workflowId).describe();
  const runs = latest.runId === firstRunId ? [['', firstRunId]] : [['', firstRunId], ['-last-run', latest.runId]];
  for (const [suffix, runId] of runs) saveHistory('shipment', await env.client.workflow.getHandle(workflowId, runId).fetchHistory(), suffix);
}

it('webhooks carry a parcel to the door: each change is stored, texted when out for delivery and e-mailed when delivered', () =>
  withParcel({}, async (parcel) => {
    await parcel.webhook('evt-1', 'in_transit', 10, 'Departed the sorting centre');
    await parcel.until('in transit', (s) => s.status === 'in_transit');
    expect(await searchStatus(parcel)).toBe('in_transit');
    // A day without webhooks: polls every 6 hours meanwhile, each answering the scan already applied.
    await parcel.webhook('evt-2', 'out_for_delivery', 34);
    await parcel.until('out for delivery', (s) => s.status === 'out_for_delivery');
    expect((await facts(parcel)).told).toEqual([['out_for_delivery', 'sms', 'sent', 1]]);
    await parcel.webhook('evt-3', 'delivered', 38, 'Left with a neighbour');

    const result = await parcel.handle.result();
    expect(result.status).toBe('delivered');
    expect(result.deliveredAt).toBe(new Date(parcel.shippedAt + 38 * HOUR).toISOString());
    expect(result.state).toEqual(expect.objectContaining({ status: 'delivered', eventsApplied: 3, stalled: false, runs: 1 }));
    expect(result.state.polls).toBeGreaterThanOrEqual(4); // at 6 h, then 16, 22 and 28 h
    const f = await facts(parcel);
    expect(f.timeline).toEqual([['evt-1', 'in_transit'], ['evt-2', 'out_for_delivery'], ['evt-3', 'delivered']]);
    expect(f.status).toBe('delivered');
    expect(f.told).toEqual([['out_for_delivery', 'sms', 'sent', 1], ['delivered', 'email', 'sent', 1]]);
    expect(f.notices).toEqual([]);
    expect(await searchStatus(parcel)).toBe('delivered');
  }));

it('when no webhook ever comes, polling the carrier every 6 hours carries the parcel to delivered', () =>
  withParcel({ carrier: 'simulated' }, async (parcel) => {
    const result = await parcel.handle.result();
    // The simulated carrier scans at 12 h (in transit), 48 h (out for delivery) and 54 h (delivered).
    expect(result.status).toBe('delivered');
    expect(result.deliveredAt).toBe(new Date(parcel.shippedAt + 54 * HOUR).toISOString());
    expect(result.state).toEqual(expect.objectContaining({ polls: 9, eventsApplied: 3, runs: 1 }));
    const f = await facts(parcel);
    expect(f.timeline).toEqual([
      [`${parcel.trackingNumber}-in_transit`, 'in_transit'],
      [`${parcel.trackingNumber}-out_for_delivery`, 'out_for_delivery'],
      [`${parcel.trackingNumber}-delivered`, 'delivered'],
    ]);
    expect(f.occurredAt).toEqual([12, 48, 54].map((h) => parcel.shippedAt + h * HOUR));
    expect(f.told).toEqual([['out_for_delivery', 'sms', 'sent', 1], ['delivered', 'email', 'sent', 1]]);
  }));

it('a poll that finds several new scans at once stores them all and tells the customer only the newest', () =>
  withParcel({}, async (parcel) => {
    // The carrier scanned the parcel three times before the first poll, and sent no webhook.
    for (const [eventId, status, hours] of [['evt-1', 'in_transit', 1], ['evt-2', 'out_for_delivery', 3], ['evt-3', 'delivered', 5]] as const) {
      parcel.carrierKnows.push({ eventId, status, occurredAt: new Date(parcel.shippedAt + hours * HOUR).toISOString() });
    }
    const result = await parcel.handle.result();
    expect(result).toEqual(expect.objectContaining({ status: 'delivered', deliveredAt: new Date(parcel.shippedAt + 5 * HOUR).toISOString() }));
    expect(result.state).toEqual(expect.objectContaining({ polls: 1, eventsApplied: 3 }));
    const f = await facts(parcel);
    expect(f.timeline).toEqual([['evt-1', 'in_transit'], ['evt-2', 'out_for_delivery'], ['evt-3', 'delivered']]);
    expect(f.told).toEqual([['delivered', 'email', 'sent', 1]]); // no "out for delivery" text for a parcel already delivered
  }));

it('a parcel that does not move for 5 days is marked stalled with a notice for support, and recovers when it moves', () =>
  withParcel({ activities: { pollCarrier: async () => [] } }, async (parcel) => {
    await parcel.webhook('evt-1', 'in_transit', 2);
    await parcel.until('in transit', (s) => s.status === 'in_transit');
    await env.sleep(`${5 * 24 - 1} hours`); // 4 days 23 hours after the last scan
    expect(await searchStatus(parcel)).toBe('in_transit');
    expect((await facts(parcel)).notices).toEqual([]);

    await env.sleep('2 hours'); // day 5 after the last scan has passed
    const stalled = await parcel.until('stalled', (s) => s.stalled);
    expect(stalled.lastMovementAt).toBe(new Date(parcel.shippedAt + 2 * HOUR).toISOString());
    expect(await searchStatus(parcel)).toBe('stalled');
    const notices = (await facts(parcel)).notices;
    expect(notices).toEqual([expect.objectContaining({ kind: 'shipment_stalled', resolved_at: null })]);
    expect(notices[0].message).toContain(`Parcel ${parcel.trackingNumber} (simulated) of order ${parcel.orderId} has not moved since`);
    await env.sleep('2 days'); // still stalled: no second notice
    expect((await facts(parcel)).notices).toHaveLength(1);

    await parcel.webhook('evt-2', 'in_transit', 8 * 24, 'Found at the depot and re-routed');
    await parcel.until('moving again', (s) => !s.stalled);
    expect(await searchStatus(parcel)).toBe('in_transit');
    expect((await facts(parcel)).notices).toEqual([expect.objectContaining({ kind: 'shipment_stalled', resolved_at: expect.anything() })]);

    await parcel.webhook('evt-3', 'delivered', 8 * 24 + 5);
    expect((await parcel.handle.result()).status).toBe('delivered');
    const f = await facts(parcel);
    expect(f.timeline).toEqual([['evt-1', 'in_transit'], ['evt-2', 'in_transit'], ['evt-3', 'delivered']]);
    expect(f.told).toEqual([['delivered', 'email', 'sent', 1]]);
    expect(f.notices).toHaveLength(1);
  }));

it('a delivery exception is e-mailed to the customer, and the parcel can still be delivered after it', () =>
  withParcel({}, async (parcel) => {
    await parcel.webhook('evt-1', 'in_transit', 6);
    await parcel.webhook('evt-2', 'out_for_delivery', 30);
    await parcel.webhook('evt-3', 'exception', 36, 'Address not found');
    await parcel.until('exception', (s) => s.status === 'exception');
    expect(await searchStatus(parcel)).toBe('exception');
    expect((await facts(parcel)).status).toBe('exception');
    await parcel.webhook('evt-4', 'delivered', 80, 'Delivered after the address was corrected');

    const result = await parcel.handle.result();
    expect(result.status).toBe('delivered');
    const f = await facts(parcel);
    expect(f.timeline).toEqual([['evt-1', 'in_transit'], ['evt-2', 'out_for_delivery'], ['evt-3', 'exception'], ['evt-4', 'delivered']]);
    expect(f.told).toEqual([['out_for_delivery', 'sms', 'sent', 1], ['shipment_exception', 'email', 'sent', 1], ['delivered', 'email', 'sent', 1]]);
    const [exceptionEmail] = await sql<{ payload: { reason: string } }>(
      `select payload from notifications where order_id = ? and template = 'shipment_exception'`, [parcel.orderId]);
    expect(exceptionEmail.payload.reason).toBe('Address not found');
  }));

it('out for delivery again after a missed delivery texts the customer again, and a second problem is e-mailed again; a redelivered webhook still sends nothing', () =>
  withParcel({ continueAsNewAfter: 3 }, async (parcel) => {
    await parcel.webhook('evt-1', 'out_for_delivery', 10);
    await parcel.webhook('evt-2', 'exception', 14, 'No one at home to sign');
    const again = await parcel.webhook('evt-3', 'out_for_delivery', 34);
    await parcel.until('out for delivery again', (s) => s.status === 'out_for_delivery' && s.eventsApplied === 3);
    await parcel.handle.signal(carrierEventSignal, again); // redelivered
    await env.sleep('12 hours'); // two polls too, repeating everything the carrier knows
    await parcel.webhook('evt-4', 'exception', 47, 'No one at home again');
    await parcel.handle.signal(carrierEventSignal, again); // redelivered once more, late
    await parcel.webhook('evt-5', 'out_for_delivery', 58);
    await parcel.webhook('evt-6', 'delivered', 61, 'Left with a neighbour');

    const result = await parcel.handle.result();
    expect(result.status).toBe('delivered');
    const f = await facts(parcel);
    expect(f.timeline.map(([id]) => id)).toEqual(['evt-1', 'evt-2', 'evt-3', 'evt-4', 'evt-5', 'evt-6']);
    const told = await sql<{ template: string; channel: string; occurrence: number; status: string; attempts: number; reason: string | null }>(
      `select template, channel, occurrence, status, attempts, payload->>'reason' as reason from notifications where order_id = ? order by created_at`,
      [parcel.orderId]);
    expect(told.map((n) => [n.template, n.channel, n.occurrence, n.status, n.attempts, n.reason])).toEqual([
      ['out_for_delivery', 'sms', 1, 'sent', 1, null],
      ['shipment_exception', 'email', 1, 'sent', 1, 'No one at home to sign'],
      ['out_for_delivery', 'sms', 2, 'sent', 1, null],
      ['shipment_exception', 'email', 2, 'sent', 1, 'No one at home again'],
      ['out_for_delivery', 'sms', 3, 'sent', 1, null],
      ['delivered', 'email', 1, 'sent', 1, 'Left with a neighbour'],
    ]);
    expect(result.state).toEqual(expect.objectContaining({ eventsApplied: 6, told: { out_for_delivery: 3, shipment_exception: 2, delivered: 1 } }));
    expect(result.state.runs).toBeGreaterThan(1); // the count of what was told is carried across continue-as-new
  }));

it('duplicate and out-of-order webhooks change nothing: not the timeline, not the status, not the outbox', () =>
  withParcel({}, async (parcel) => {
    const first = await parcel.webhook('evt-1', 'in_transit', 10);
    const ofd = await parcel.webhook('evt-2', 'out_for_delivery', 30);
    await parcel.until('out for delivery', (s) => s.status === 'out_for_delivery');

    await parcel.handle.signal(carrierEventSignal, first); // redelivered
    await parcel.handle.signal(carrierEventSignal, ofd); // redelivered
    await parcel.webhook('evt-0', 'in_transit', 5); // an older scan arriving late
    await parcel.webhook('evt-late', 'in_transit', 31); // newer, but back to an earlier step
    await parcel.handle.signal(carrierEventSignal, ofd);
    await env.sleep('12 hours'); // two polls too, repeating everything the carrier knows
    const settled = await parcel.handle.query(trackingStatusQuery);
    expect(settled).toEqual(expect.objectContaining({ status: 'out_for_delivery', eventsApplied: 2 }));
    expect(await searchStatus(parcel)).toBe('out_for_delivery');

    await parcel.webhook('evt-3', 'delivered', 44);
    expect((await parcel.handle.result()).state.eventsApplied).toBe(3);
    await expect(parcel.handle.signal(carrierEventSignal, ofd)).rejects.toThrow(/completed|not found/i); // nobody listens any more
    const f = await facts(parcel);
    expect(f.timeline).toEqual([['evt-1', 'in_transit'], ['evt-2', 'out_for_delivery'], ['evt-3', 'delivered']]);
    expect(f.status).toBe('delivered');
    expect(f.told).toEqual([['out_for_delivery', 'sms', 'sent', 1], ['delivered', 'email', 'sent', 1]]);
  }));

it('continuing as new keeps the state: a week of polling in short runs still ends delivered, with each scan applied once', () =>
  withParcel({ carrier: 'simulated', continueAsNewAfter: 3 }, async (parcel) => {
    await env.sleep('20 hours');
    await parcel.webhook(`${parcel.trackingNumber}-in_transit`, 'in_transit', 12); // the carrier's webhook for a scan a poll already found
    const result = await parcel.handle.result();
    expect(result.status).toBe('delivered');
    expect(result.deliveredAt).toBe(new Date(parcel.shippedAt + 54 * HOUR).toISOString());
    expect(result.state).toEqual(expect.objectContaining({ polls: 9, eventsApplied: 3, stalled: false }));
    expect(result.state.runs).toBeGreaterThan(1);
    const firstRun = await env.client.workflow.getHandle(workflowIds.shipment(parcel.shipmentId), parcel.handle.firstExecutionRunId).describe();
    expect(firstRun.status.name).toBe('CONTINUED_AS_NEW');
    const f = await facts(parcel);
    expect(f.timeline.map(([, status]) => status)).toEqual(['in_transit', 'out_for_delivery', 'delivered']);
    expect(f.told).toEqual([['out_for_delivery', 'sms', 'sent', 1], ['delivered', 'email', 'sent', 1]]);
  }));

it('a parcel returned to sender ends the tracking: the return is stored, the customer e-mailed and support given a notice', () =>
  withParcel({}, async (parcel) => {
    await parcel.webhook('evt-1', 'in_transit', 6);
    await parcel.webhook('evt-2', 'exception', 30, 'Recipient unknown at this address');
    await parcel.until('exception', (s) => s.status === 'exception');
    await parcel.webhook('evt-3', 'returned_to_sender', 4 * 24, 'Undeliverable: returned to the warehouse');

    const result = await parcel.handle.result();
    expect(result.status).toBe('returned_to_sender');
    expect(result.deliveredAt).toBeUndefined();
    const f = await facts(parcel);
    expect(f.timeline).toEqual([['evt-1', 'in_transit'], ['evt-2', 'exception'], ['evt-3', 'returned_to_sender']]);
    expect(f.status).toBe('returned_to_sender');
    expect(f.told).toEqual([['shipment_exception', 'email', 'sent', 1], ['shipment_returned', 'email', 'sent', 1]]);
    const [returnedEmail] = await sql<{ payload: { reason: string } }>(
      `select payload from notifications where order_id = ? and template = 'shipment_returned'`, [parcel.orderId]);
    expect(returnedEmail.payload.reason).toBe('Undeliverable: returned to the warehouse');
    expect(f.notices).toEqual([expect.objectContaining({ kind: 'shipment_returned', resolved_at: null })]);
    expect(f.notices[0].message).toContain(`Parcel ${parcel.trackingNumber} (simulated) of order ${parcel.orderId} was returned to sender`);
    expect(await searchStatus(parcel)).toBe('returned_to_sender');
  }));

it('over two weeks in short runs, continue-as-new carries the stall: one notice, closed when the parcel moves, and it still ends delivered', () =>
  withParcel({ continueAsNewAfter: 3 }, async (parcel) => {
    await parcel.webhook('evt-1', 'in_transit', 10);
    await env.sleep('7 days'); // stalled at day 5 after the scan, while the workflow keeps continuing as new
    const stalled = await parcel.until('stalled', (s) => s.stalled);
    expect(stalled.runs).toBeGreaterThan(5);
    expect(await searchStatus(parcel)).toBe('stalled');
    await env.sleep('4 days'); // more runs, each carrying `stalled`: no second notice
    expect((await facts(parcel)).notices).toEqual([expect.objectContaining({ kind: 'shipment_stalled', resolved_at: null })]);

    await parcel.webhook('evt-2', 'in_transit', 12 * 24, 'Found at the depot');
    await parcel.until('moving again', (s) => !s.stalled);
    // The carrier's last scan comes by no webhook: only a poll, some runs later, finds it.
    parcel.carrierKnows.push({ eventId: 'evt-3', status: 'delivered', occurredAt: new Date(parcel.shippedAt + 16 * 24 * HOUR).toISOString() });
    const result = await parcel.handle.result();
    expect(result.status).toBe('delivered');
    expect(result.deliveredAt).toBe(new Date(parcel.shippedAt + 16 * 24 * HOUR).toISOString());
    expect(result.state).toEqual(expect.objectContaining({ eventsApplied: 3, stalled: false }));
    expect(result.state.polls).toBeGreaterThanOrEqual(60); // every 6 hours for 16 days, across every run
    expect(result.state.runs).toBeGreaterThan(15);
    const f = await facts(parcel);
    expect(f.timeline).toEqual([['evt-1', 'in_transit'], ['evt-2', 'in_transit'], ['evt-3', 'delivered']]);
    expect(f.told).toEqual([['delivered', 'email', 'sent', 1]]);
    expect(f.notices).toEqual([expect.objectContaining({ kind: 'shipment_stalled', resolved_at: expect.anything() })]);
    expect(await searchStatus(parcel)).toBe('delivered');
  }));
