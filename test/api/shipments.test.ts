/**
 * The carrier's signed webhook and an order's shipments, end to end: the real Koa app, a worker
 * running the tracking workflow on the harness's dev server, and a real PostgreSQL.
 */
import { randomUUID } from 'node:crypto';
import { type TestDatabase } from '../support/db';
import { staffAs, startApiWorld, startTestApi, stopApiWorld, STAFF_TOKEN, type ApiResponse, type TestApi, type TestWorker } from '../support/api';
import { accessTokenOf, placeTestOrder, realActivities } from '../support/checkout';
import { connectClient } from '../../src/temporal/client';
import { signCarrierWebhook } from '../../src/api/routes/carrier-webhooks';
import { newToken } from '../../src/auth/tokens';
import { shipmentTracking } from '../../workflows/shipment-tracking';
import { trackingStatusQuery, type TrackingState } from '../../src/contracts/shipment';
import { workflowIds } from '../../src/contracts/temporal';
import { testTarget } from '../support/temporal';

const SECRET = 'test-carrier-webhook-secret-0123456789';

let db: TestDatabase;
let worker: TestWorker;
let api: TestApi;
let temporal: Awaited<ReturnType<typeof connectClient>>;
let counter = 0;
const started: string[] = [];

beforeAll(async () => {
  ({ db, worker, api } = await startApiWorld({ stock: 100, api: { app: { carrierWebhookSecret: SECRET } } }));
  temporal = await connectClient(testTarget());
});
afterAll(async () => {
  // Parcels still in transit would poll on for days: end them with the test run.
  await Promise.all(started.map((id) => temporal?.client.workflow.getHandle(id).terminate('test over').catch(() => undefined)));
  await temporal?.connection.close();
  await stopApiWorld({ api, worker, db });
});

const staff = { Authorization: `Bearer ${STAFF_TOKEN}` };
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

async function sql<T>(query: string, params: unknown[] = []): Promise<T[]> {
  return db.orm.em.fork().getConnection().execute<T[]>(query, params);
}

/** An order whose parcel has shipped and is being tracked (fulfillment would have started the tracking). */
async function shippedOrder(opts: { track?: boolean } = {}) {
  const placed = await placeTestOrder(db, { phone: '+447700900123' });
  counter += 1;
  const trackingNumber = `TEST${process.pid}X${counter}`;
  const [{ id: shipmentId }] = await sql<{ id: string }>(
    `insert into shipments (order_id, carrier, tracking_number, status) values (?, 'simulated', ?, 'label_created') returning id`,
    [placed.orderId, trackingNumber]);
  if (opts.track !== false) {
    started.push(workflowIds.shipment(shipmentId));
    await temporal.client.workflow.start(shipmentTracking, {
      taskQueue: worker.taskQueue, workflowId: workflowIds.shipment(shipmentId),
      args: [{ shipmentId, orderId: placed.orderId, trackingNumber, carrier: 'simulated', shippedAt: new Date().toISOString(),
        pollEvery: '6 hours', stallAfter: '5 days' }],
    });
  }
  return { orderId: placed.orderId, accessToken: accessTokenOf(placed), shipmentId, trackingNumber };
}

function scan(trackingNumber: string, status: string, overrides: Record<string, unknown> = {}) {
  return { trackingNumber, eventId: `evt_${randomUUID()}`, status, occurredAt: new Date().toISOString(), ...overrides };
}

/** Posts a webhook as the carrier does: the exact bytes that were signed. */
function postWebhook(payload: unknown, sign: (raw: string) => string | undefined = (raw) => signCarrierWebhook(SECRET, raw)): Promise<ApiResponse> {
  const raw = JSON.stringify(payload);
  const signature = sign(raw);
  return api.request('POST', '/webhooks/carrier', {
    rawBody: raw, headers: { 'content-type': 'application/json', ...(signature === undefined ? {} : { 'X-Carrier-Signature': signature }) } });
}

async function tracking(shipmentId: string): Promise<TrackingState> {
  return temporal.client.workflow.getHandle(workflowIds.shipment(shipmentId)).query(trackingStatusQuery);
}

async function until<T>(what: string, read: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what} never happened; last seen ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const keptWebhooks = (eventId: string) => sql<{ event_id: string }>(`select event_id from webhook_events where provider = 'carrier' and event_id = ?`, [eventId]);

describe('the carrier webhook', () => {
  it('a signed scan reaches the parcel\'s tracking workflow, which stores it on the order\'s shipment timeline', async () => {
    const parcel = await shippedOrder();
    const event = scan(parcel.trackingNumber, 'in_transit', { description: 'Departed the sorting centre' });
    const res = await postWebhook(event);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: true, eventId: event.eventId, outcome: 'signalled' });
    expect(await keptWebhooks(event.eventId)).toHaveLength(1);

    const shipments = await until('the scan on the timeline', () => api.request('GET', `/orders/${parcel.orderId}/shipments`, { headers: bearer(parcel.accessToken) }),
      (r) => r.body.shipments?.[0]?.events.length === 1);
    expect(shipments.status).toBe(200);
    expect(shipments.body).toEqual({ orderId: parcel.orderId, shipments: [expect.objectContaining({
      id: parcel.shipmentId, carrier: 'simulated', trackingNumber: parcel.trackingNumber, status: 'in_transit', stalled: false,
      events: [{ eventId: event.eventId, status: 'in_transit', description: 'Departed the sorting centre',
        occurredAt: event.occurredAt, recordedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) }],
    })] });
  });

  it('a replayed webhook (the same event again, even freshly signed) is acknowledged as a duplicate and changes nothing', async () => {
    const parcel = await shippedOrder();
    const event = scan(parcel.trackingNumber, 'out_for_delivery');
    const signature = signCarrierWebhook(SECRET, JSON.stringify(event));
    expect((await postWebhook(event, () => signature)).body.outcome).toBe('signalled');
    const texted = () => sql(`select 1 from notifications where order_id = ? and template = 'out_for_delivery'`, [parcel.orderId]);
    await until('the customer texted', texted, (rows) => rows.length === 1);

    for (const sign of [() => signature, (raw: string) => signCarrierWebhook(SECRET, raw)]) {
      const again = await postWebhook(event, sign);
      expect(again.status).toBe(200);
      expect(again.body.outcome).toBe('duplicate');
    }
    expect(await keptWebhooks(event.eventId)).toHaveLength(1);
    expect(await sql('select 1 from shipment_events where shipment_id = ?', [parcel.shipmentId])).toHaveLength(1);
    expect(await texted()).toHaveLength(1);
    expect(await tracking(parcel.shipmentId)).toEqual(expect.objectContaining({ status: 'out_for_delivery', eventsApplied: 1 }));
  });

  it('refuses with 400 and does nothing when the signature is missing, wrong, for another body, or too old', async () => {
    const parcel = await shippedOrder();
    const event = scan(parcel.trackingNumber, 'delivered');
    const now = Math.floor(Date.now() / 1000);
    const cases: [string, (raw: string) => string | undefined][] = [
      ['missing', () => undefined],
      ['malformed', () => 'sha256=abc'],
      ['another secret', (raw) => signCarrierWebhook('not-the-shared-secret-at-all', raw)],
      ['another body', () => signCarrierWebhook(SECRET, JSON.stringify({ ...event, status: 'in_transit' }))],
      ['six minutes old', (raw) => signCarrierWebhook(SECRET, raw, now - 360)],
      ['six minutes ahead', (raw) => signCarrierWebhook(SECRET, raw, now + 360)],
    ];
    for (const [name, sign] of cases) {
      const res = await postWebhook(event, sign);
      expect({ name, status: res.status, code: res.body.error?.code }).toEqual({ name, status: 400, code: 'invalid_signature' });
    }
    expect(await keptWebhooks(event.eventId)).toEqual([]);
    expect(await tracking(parcel.shipmentId)).toEqual(expect.objectContaining({ status: 'label_created', eventsApplied: 0 }));
    // Still accepted four minutes late: carriers' clocks and queues drift.
    expect((await postWebhook(event, (raw) => signCarrierWebhook(SECRET, raw, now - 240))).body.outcome).toBe('signalled');
  });

  it('refuses a well-signed but invalid body with 400 and keeps nothing', async () => {
    const parcel = await shippedOrder();
    for (const bad of [scan(parcel.trackingNumber, 'teleported'), scan(parcel.trackingNumber, 'in_transit', { occurredAt: 'yesterday' }),
      { trackingNumber: parcel.trackingNumber, status: 'in_transit' }]) {
      const res = await postWebhook(bad);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
    }
    expect(await sql(`select 1 from webhook_events where provider = 'carrier' and payload->>'trackingNumber' = ?`, [parcel.trackingNumber])).toEqual([]);
  });

  it('acknowledges a scan of a parcel that is not ours, or whose tracking has ended, without keeping it for later', async () => {
    const unknown = scan('NOSUCHPARCEL1', 'in_transit');
    expect((await postWebhook(unknown)).body).toEqual({ received: true, eventId: unknown.eventId, outcome: 'unknown_tracking_number' });
    expect(await keptWebhooks(unknown.eventId)).toEqual([]);

    const parcel = await shippedOrder();
    await postWebhook(scan(parcel.trackingNumber, 'delivered'));
    await temporal.client.workflow.getHandle(workflowIds.shipment(parcel.shipmentId)).result();
    const late = scan(parcel.trackingNumber, 'in_transit');
    expect((await postWebhook(late)).body.outcome).toBe('tracking_ended');
  });

  it('answers 503 and keeps nothing when the parcel\'s tracking has not started, so the carrier delivers it again', async () => {
    const parcel = await shippedOrder({ track: false });
    const event = scan(parcel.trackingNumber, 'in_transit');
    const res = await postWebhook(event);
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('service_unavailable');
    expect(await keptWebhooks(event.eventId)).toEqual([]);
  });

  it('answers 503 to every webhook while no shared secret is configured', async () => {
    const unconfigured = await startTestApi(db.orm, { taskQueue: worker.taskQueue });
    try {
      const raw = JSON.stringify(scan('NOSUCHPARCEL1', 'in_transit'));
      const res = await unconfigured.request('POST', '/webhooks/carrier', {
        rawBody: raw, headers: { 'content-type': 'application/json', 'X-Carrier-Signature': signCarrierWebhook(SECRET, raw) } });
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('not_configured');
    } finally {
      await unconfigured.close();
    }
  });
});

describe('an order\'s shipments', () => {
  it('lists every scan oldest first, with the carrier, the tracking number and the status, to the order\'s token and to staff', async () => {
    const parcel = await shippedOrder();
    const t0 = Date.now() - 3 * 3_600_000;
    const scans = [scan(parcel.trackingNumber, 'in_transit', { occurredAt: new Date(t0).toISOString() }),
      scan(parcel.trackingNumber, 'in_transit', { occurredAt: new Date(t0 + 3_600_000).toISOString(), description: 'Arrived at the hub' }),
      scan(parcel.trackingNumber, 'out_for_delivery', { occurredAt: new Date(t0 + 2 * 3_600_000).toISOString() })];
    for (const s of scans) expect((await postWebhook(s)).status).toBe(200);
    await until('three scans applied', () => tracking(parcel.shipmentId), (s) => s.eventsApplied === 3);

    for (const headers of [bearer(parcel.accessToken), staff]) {
      const res = await api.request('GET', `/orders/${parcel.orderId}/shipments`, { headers });
      expect(res.status).toBe(200);
      expect(res.body.shipments).toHaveLength(1);
      expect(res.body.shipments[0]).toEqual(expect.objectContaining({ trackingNumber: parcel.trackingNumber, status: 'out_for_delivery' }));
      expect(res.body.shipments[0].events.map((e: { eventId: string }) => e.eventId)).toEqual(scans.map((s) => s.eventId));
    }
  });

  it('answers an empty list before the order ships', async () => {
    const placed = await placeTestOrder(db);
    const res = await api.request('GET', `/orders/${placed.orderId}/shipments`, { headers: bearer(accessTokenOf(placed)) });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ orderId: placed.orderId, shipments: [] });
  });

  it('answers 404, as for an order that does not exist, without a token or with another order\'s token', async () => {
    const mine = await shippedOrder({ track: false });
    const theirs = await placeTestOrder(db);
    const missing = await api.request('GET', `/orders/${randomUUID()}/shipments`, { headers: staff });
    expect(missing.status).toBe(404);
    for (const headers of [{}, bearer(accessTokenOf(theirs)), bearer(newToken())]) {
      const res = await api.request('GET', `/orders/${mine.orderId}/shipments`, { headers });
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('order_not_found');
    }
  });
});

describe('support\'s notices for parcels', () => {
  it('staff see stalled and returned parcels, oldest first, and close one with a reason kept in the audit trail', async () => {
    const acts = realActivities(db);
    const stalled = await shippedOrder({ track: false });
    const returned = await shippedOrder({ track: false });
    const since = new Date(Date.now() - 6 * 24 * 3_600_000).toISOString();
    await acts.raiseStallNotice({ shipmentId: stalled.shipmentId, orderId: stalled.orderId, trackingNumber: stalled.trackingNumber,
      carrier: 'simulated', status: 'in_transit', since });
    await acts.raiseReturnedNotice({ shipmentId: returned.shipmentId, orderId: returned.orderId, trackingNumber: returned.trackingNumber,
      carrier: 'simulated', returnedAt: new Date().toISOString(), reason: 'Address does not exist' });

    expect((await api.request('GET', '/admin/notices')).status).toBe(401);
    const open = await api.request('GET', '/admin/notices', { headers: staff });
    expect(open.status).toBe(200);
    const ours = open.body.notices.filter((n: { orderId: string }) => [stalled.orderId, returned.orderId].includes(n.orderId));
    expect(ours).toEqual([
      expect.objectContaining({ kind: 'shipment_stalled', orderId: stalled.orderId, shipmentId: stalled.shipmentId, trackingNumber: stalled.trackingNumber,
        resolvedAt: null, message: expect.stringContaining(`has not moved since ${since}`) }),
      expect.objectContaining({ kind: 'shipment_returned', orderId: returned.orderId, message: expect.stringContaining('Address does not exist') }),
    ]);
    const onlyReturned = await api.request('GET', `/admin/notices?kind=shipment_returned&orderId=${returned.orderId}`, { headers: staff });
    expect(onlyReturned.body.notices).toEqual([expect.objectContaining({ orderId: returned.orderId })]);

    const id = ours[1].id as string;
    const noReason = await api.request('POST', `/admin/notices/${id}/resolve`, { headers: staff, body: {} });
    expect(noReason.status).toBe(400);
    const done = await api.request('POST', `/admin/notices/${id}/resolve`,
      { headers: staffAs('support'), body: { reason: 'sent again with the corrected address' } });
    expect(done.status).toBe(200);
    expect(done.body).toEqual(expect.objectContaining({ id, resolvedAt: expect.any(String) }));
    const again = await api.request('POST', `/admin/notices/${id}/resolve`, { headers: staff, body: { reason: 'twice' } });
    expect(again.status).toBe(409);
    expect((await api.request('POST', `/admin/notices/${randomUUID()}/resolve`, { headers: staff, body: { reason: 'x' } })).status).toBe(404);

    const stillOpen = await api.request('GET', `/admin/notices?orderId=${returned.orderId}`, { headers: staff });
    expect(stillOpen.body.notices).toEqual([]);
    expect(await sql('select action, actor, reason, outcome from support_actions where order_id = ?', [returned.orderId]))
      .toEqual([{ action: 'resolve_notice', actor: 'staff:sam', reason: 'sent again with the corrected address', outcome: 'done' }]);

    const { body: openapi } = await api.request('GET', '/openapi.json');
    expect(openapi.paths['/admin/notices'].get.security).toEqual([{ staffKey: ['support', 'admin'] }]);
    expect(openapi.paths['/admin/notices/{id}/resolve'].post.security).toEqual([{ staffKey: ['support', 'admin'] }]);
  });
});
