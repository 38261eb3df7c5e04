/**
 * Provider webhooks end to end: signed with the providers' own helpers, posted to the real API,
 * delivered to real payment workflows on the harness's dev server, whose worker talks to a
 * Stripe stand-in through the real Stripe adapter. Assertions read the workflow's result and
 * history, webhook_events and the notification outbox.
 */
import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import twilio from 'twilio';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { freePort } from '../../src/temporal/dev-server';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { STAFF_TOKEN, startCheckoutWorker, startTestApi, type TestApi, type TestWorker } from '../support/api';
import { placeTestOrder, realActivities, seedCheckoutCatalog } from '../support/checkout';
import { placeOrder, waitForOrder } from '../support/orders-api';
import type { Notifier } from '../../src/integrations/notifier';
import { startRecordingServer, type RecordingServer, type RecordedRequest, type Reply } from '../support/recording-server';
import { StripePaymentProvider } from '../../src/integrations/stripe';
import { connectClient } from '../../src/temporal/client';
import { paymentStatusQuery, type PaymentInput, type PaymentResult } from '../../src/contracts/payment';
import { workflowIds } from '../../src/contracts/temporal';
import type { Activities } from '../../activities';
import { testDataConverter, testTarget } from '../support/temporal';

const WEBHOOK_SECRET = 'whsec_test_commerce_0123456789';
const TWILIO_TOKEN = 'twilio-auth-token-for-webhook-tests';
const PUBLIC_BASE_URL = 'https://shop.example.com';

let db: TestDatabase;
let stripe: RecordingServer;
let worker: TestWorker;
let api: TestApi;
let temporal: Awaited<ReturnType<typeof connectClient>>;
/** The payment activities on the same Stripe stand-in, for support's refunds. */
let acts: Activities;
/** Orders whose PaymentIntent creation the Stripe stand-in holds back until released. */
const held = new Map<string, Promise<void>>();

beforeAll(async () => {
  db = await createTestDatabase();
  await seedCheckoutCatalog(db, 1000);
  stripe = await startRecordingServer(answerLikeStripe);
  worker = await startCheckoutWorker(db, { payments: new StripePaymentProvider({ secretKey: 'sk_test_webhooks', apiBase: stripe.url,
    returnUrl: `${PUBLIC_BASE_URL}/orders/{orderId}` }) });
  api = await startTestApi(db.orm, { taskQueue: worker.taskQueue, simulatedPayments: false,
    app: { stripeWebhookSecret: WEBHOOK_SECRET, twilioAuthToken: TWILIO_TOKEN, publicBaseUrl: PUBLIC_BASE_URL } });
  temporal = await connectClient(testTarget());
  acts = realActivities(db, { payments: new StripePaymentProvider({ secretKey: 'sk_test_webhooks', apiBase: stripe.url, returnUrl: `${PUBLIC_BASE_URL}/orders/{orderId}` }) });
});
afterAll(async () => {
  await api?.close();
  await worker?.stop();
  await temporal?.connection.close();
  await stripe?.close();
  await db?.drop();
});

const intentId = (orderId: string) => `pi_${orderId.replace(/-/g, '').slice(0, 24)}`;

function intent(orderId: string, status: string, extra: Record<string, unknown> = {}) {
  return { id: intentId(orderId), object: 'payment_intent', amount: 4900, currency: 'usd', capture_method: 'manual', status,
    metadata: orderId ? { orderId } : {}, next_action: null, last_payment_error: null, ...extra };
}

/** Refunds (by idempotency key) whose webhook Stripe sends before it answers the request that made them: the event beats our bookkeeping. */
const eventsFirst = new Map<string, (refund: Record<string, unknown>) => Promise<unknown>>();

/** Stripe's answer to creating and confirming a card that needs 3-D Secure; and to a refund: pending (money not back yet). */
async function answerLikeStripe(req: RecordedRequest): Promise<Reply> {
  if (req.method === 'POST' && req.path === '/v1/refunds') {
    const key = req.headers['idempotency-key'] as string;
    const ref = `re_${key.replace(/[^a-zA-Z0-9]/g, '').slice(-40)}`;
    // Stripe keeps the refund's metadata and sends it with every event about it.
    const metadata = { orderId: req.form?.['metadata[orderId]'], idempotencyKey: req.form?.['metadata[idempotencyKey]'] };
    await eventsFirst.get(key)?.(refundObject(ref, 'succeeded', { amount: Number(req.form?.amount), metadata }));
    return { status: 200, body: refundObject(ref, 'pending', { amount: Number(req.form?.amount), payment_intent: req.form?.payment_intent }) };
  }
  if (req.method !== 'POST' || req.path !== '/v1/payment_intents') return { status: 404, body: { error: { type: 'invalid_request_error', message: 'Unrecognized request URL' } } };
  const orderId = req.form?.['metadata[orderId]'] ?? '';
  await held.get(orderId);
  return { status: 200, body: intent(orderId, 'requires_action', { amount: Number(req.form?.amount),
    next_action: { type: 'redirect_to_url', redirect_to_url: { url: `https://hooks.stripe.com/3d_secure_2/authenticate/${intentId(orderId)}`, return_url: req.form?.return_url } } }) };
}

function stripeEvent(type: string, object: Record<string, unknown>, id = `evt_${randomUUID().replace(/-/g, '')}`): string {
  return JSON.stringify({ id, object: 'event', api_version: '2026-10-28.endive', created: Math.floor(Date.now() / 1000), livemode: false,
    pending_webhooks: 1, request: { id: null, idempotency_key: null }, type, data: { object } });
}

const postStripe = (payload: string, signature: string | undefined = Stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET })) =>
  api.request('POST', '/webhooks/stripe', { rawBody: payload, headers: { 'content-type': 'application/json', ...(signature ? { 'stripe-signature': signature } : {}) } });

async function startPayment(paymentMethod = 'pm_card_authenticationRequired'): Promise<{ orderId: string; handle: WorkflowHandle }> {
  const order = await placeTestOrder(db, { paymentMethod });
  const input: PaymentInput = { orderId: order.orderId, amount: order.totalAmount, currency: order.currency, paymentMethod, actionTimeout: '15 minutes' };
  const handle = await temporal.client.workflow.start('payment', { taskQueue: worker.taskQueue, workflowId: workflowIds.payment(order.orderId), args: [input] });
  return { orderId: order.orderId, handle };
}

async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const waitsForAction = (handle: WorkflowHandle) => until('payment waiting for 3-D Secure', () => handle.query(paymentStatusQuery), (p) => p.status === 'requires_action');
const signalsIn = async (handle: WorkflowHandle) => (await handle.fetchHistory()).events?.filter((e) => e.workflowExecutionSignaledEventAttributes).length ?? 0;
const eventRow = async (eventId: string) => (await db.orm.em.fork().getConnection().execute<{ outcome: string | null; processed: boolean }[]>(
  `select outcome, processed_at is not null as processed from webhook_events where provider = 'stripe' and event_id = ?`, [eventId]))[0];
const eventIdOf = (payload: string) => (JSON.parse(payload) as { id: string }).id;

describe('POST /webhooks/stripe', () => {
  it('drives a real payment workflow: 3-D Secure is required, the signed event authorizes it, a replay signals nothing', async () => {
    const { orderId, handle } = await startPayment();
    await waitsForAction(handle);
    const payload = stripeEvent('payment_intent.amount_capturable_updated', intent(orderId, 'requires_capture', { amount_capturable: 4900 }));
    const res = await postStripe(payload);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: true, duplicate: false, outcome: 'delivered' });
    expect(await handle.result()).toEqual<PaymentResult>({ status: 'authorized', providerRef: intentId(orderId) });
    const [payment] = await db.orm.em.fork().getConnection().execute<{ status: string; provider_ref: string; provider: string }[]>(
      'select status, provider_ref, provider from payments where order_id = ?', [orderId]);
    expect(payment).toEqual({ status: 'authorized', provider_ref: intentId(orderId), provider: 'stripe' });

    // Stripe redelivers (same event id): acknowledged, not signalled again.
    const replay = await postStripe(payload);
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual({ received: true, duplicate: true });
    expect(await signalsIn(handle)).toBe(1);
    expect(await eventRow(eventIdOf(payload))).toEqual({ outcome: 'delivered', processed: true });
    // The PaymentIntent was created by the adapter with the order id in its metadata: that is how the event found the workflow.
    expect(stripe.requests.find((r) => r.form?.['metadata[orderId]'] === orderId)?.headers['idempotency-key']).toBe(`order-${orderId}-authorize`);
  });

  /** A payment workflow whose call to Stripe has arrived there and is held: Stripe has not answered the confirmation yet. */
  async function startHeldPayment(): Promise<{ orderId: string; handle: WorkflowHandle; release: () => void }> {
    let release!: () => void;
    const order = await placeTestOrder(db, { paymentMethod: 'pm_card_authenticationRequired' });
    held.set(order.orderId, new Promise<void>((resolve) => { release = resolve; }));
    const handle = await temporal.client.workflow.start('payment', { taskQueue: worker.taskQueue, workflowId: workflowIds.payment(order.orderId),
      args: [{ orderId: order.orderId, amount: order.totalAmount, currency: order.currency, paymentMethod: 'pm_card_authenticationRequired',
        actionTimeout: '15 minutes' } satisfies PaymentInput] });
    await until('the authorization call reaching Stripe', async () => stripe.requests.filter((r) => r.form?.['metadata[orderId]'] === order.orderId).length, (n) => n > 0);
    return { orderId: order.orderId, handle, release };
  }

  it("a storefront's checkout on Stripe: its answer carries Stripe's 3-D Secure page, and the signed webhook confirms the order", async () => {
    const placed = await placeOrder(api, db, { paymentMethod: 'pm_card_authenticationRequired' });
    expect(placed.body.payment).toEqual(expect.objectContaining({ status: 'requires_action',
      nextAction: expect.objectContaining({ url: `https://hooks.stripe.com/3d_secure_2/authenticate/${intentId(placed.orderId)}` }) }));
    expect(stripe.requests.find((r) => r.form?.['metadata[orderId]'] === placed.orderId)?.form)
      .toMatchObject({ amount: '4900', currency: 'usd', capture_method: 'manual', confirm: 'true', return_url: `${PUBLIC_BASE_URL}/orders/${placed.orderId}` });
    const res = await postStripe(stripeEvent('payment_intent.amount_capturable_updated', intent(placed.orderId, 'requires_capture', { amount_capturable: 4900 })));
    expect(res.body).toEqual({ received: true, duplicate: false, outcome: 'delivered' });
    await waitForOrder(api, placed.orderId, (live) => live.status === 'awaiting_fulfillment');
    const [payment] = await db.orm.em.fork().getConnection().execute<{ status: string; provider: string }[]>(
      'select status, provider from payments where order_id = ?', [placed.orderId]);
    expect(payment).toEqual({ status: 'authorized', provider: 'stripe' });
  });

  it('an event that arrives before the workflow waits for it (even before Stripe has answered the confirmation) is not lost', async () => {
    const { orderId, handle, release } = await startHeldPayment();
    const early = await postStripe(stripeEvent('payment_intent.succeeded', intent(orderId, 'requires_capture')));
    expect(early.body).toEqual({ received: true, duplicate: false, outcome: 'delivered' });
    expect((await handle.query(paymentStatusQuery)).status).toBe('pending');
    release();
    expect(await handle.result()).toEqual({ status: 'authorized', providerRef: intentId(orderId) });
  });

  it('out of order before the wait: a success, then a late requires_action, beside a failure of another PaymentIntent of the order, ends authorized', async () => {
    const { orderId, handle, release } = await startHeldPayment();
    const payloads = [
      // Another PaymentIntent carrying this order's id (made outside this payment, say by hand in the Dashboard): not its outcome.
      stripeEvent('payment_intent.payment_failed', intent(orderId, 'requires_payment_method', { id: 'pi_another_attempt',
        last_payment_error: { type: 'card_error', code: 'card_declined', decline_code: 'do_not_honor', message: 'Declined' } })),
      stripeEvent('payment_intent.amount_capturable_updated', intent(orderId, 'requires_capture', { amount_capturable: 4900 })),
      stripeEvent('payment_intent.requires_action', intent(orderId, 'requires_action')),
    ];
    for (const payload of payloads) expect((await postStripe(payload)).body).toEqual({ received: true, duplicate: false, outcome: 'delivered' });
    release();
    expect(await handle.result()).toEqual({ status: 'authorized', providerRef: intentId(orderId) });
    expect(await signalsIn(handle)).toBe(3);
  });

  it('out of order: the failure wins whenever it comes, and a late requires_action for the decided payment is only recorded', async () => {
    const { orderId, handle } = await startPayment();
    await waitsForAction(handle);
    const failed = stripeEvent('payment_intent.payment_failed', intent(orderId, 'requires_payment_method',
      { last_payment_error: { type: 'card_error', code: 'payment_intent_authentication_failure', message: 'The customer failed 3-D Secure.' } }));
    const lateAction = stripeEvent('payment_intent.requires_action', intent(orderId, 'requires_action'));
    expect((await postStripe(failed)).body.outcome).toBe('delivered');
    expect(await handle.result()).toEqual(expect.objectContaining({ status: 'declined', declineCode: 'payment_intent_authentication_failure' }));
    const late = await postStripe(lateAction);
    expect(late.status).toBe(200);
    expect(late.body).toEqual({ received: true, duplicate: false, outcome: 'workflow_not_running' });
    expect(await eventRow(eventIdOf(lateAction))).toEqual({ outcome: 'workflow_not_running', processed: true });
  });

  it('an event for an order with no payment workflow running is recorded and acknowledged, so Stripe stops retrying it', async () => {
    const orderId = randomUUID();
    const payload = stripeEvent('payment_intent.canceled', intent(orderId, 'canceled'));
    const res = await postStripe(payload);
    expect(res.status).toBe(200);
    expect(res.body.outcome).toBe('workflow_not_running');
    expect((await postStripe(payload)).body).toEqual({ received: true, duplicate: true });
    expect(await eventRow(eventIdOf(payload))).toEqual({ outcome: 'workflow_not_running', processed: true });
  });

  it('other event types, and intents that are not our orders, are acknowledged and ignored', async () => {
    expect((await postStripe(stripeEvent('charge.refunded', { id: 'ch_1', object: 'charge' }))).body.outcome).toBe('ignored');
    expect((await postStripe(stripeEvent('payment_intent.succeeded', intent('', 'succeeded')))).body.outcome).toBe('not_an_order');
  });

  it('a missing or wrong signature, or a body changed after signing, is refused with 400, and nothing is recorded or delivered', async () => {
    const { orderId, handle } = await startPayment();
    await waitsForAction(handle);
    const payload = stripeEvent('payment_intent.succeeded', intent(orderId, 'requires_capture'));
    const tampered = payload.replace('"amount":4900', '"amount":1');
    const attempts = [
      await postStripe(payload, ''),
      await postStripe(payload, Stripe.webhooks.generateTestHeaderString({ payload, secret: 'whsec_someone_else' })),
      await postStripe(tampered, Stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET })),
      await postStripe(payload, Stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET, timestamp: Math.floor(Date.now() / 1000) - 3600 })),
    ];
    for (const res of attempts) {
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_signature');
    }
    expect(await eventRow(eventIdOf(payload))).toBeUndefined();
    expect(await signalsIn(handle)).toBe(0);
    expect((await handle.query(paymentStatusQuery)).status).toBe('requires_action');
    await handle.terminate('test over');
  });

  it('when Temporal does not answer: 503, and Stripe\'s redelivery of the same event is handled, not taken for a duplicate', async () => {
    const { orderId, handle } = await startPayment();
    await waitsForAction(handle);
    const connection = Connection.lazy({ address: `127.0.0.1:${await freePort()}` });
    const down = await startTestApi(db.orm, { taskQueue: worker.taskQueue, simulatedPayments: false, temporalClient: new Client({ connection, dataConverter: testDataConverter() }),
      app: { stripeWebhookSecret: WEBHOOK_SECRET } });
    const payload = stripeEvent('payment_intent.amount_capturable_updated', intent(orderId, 'requires_capture'));
    try {
      const failed = await down.request('POST', '/webhooks/stripe', { rawBody: payload,
        headers: { 'content-type': 'application/json', 'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET }) } });
      expect(failed.status).toBe(503);
      expect(failed.body.error.code).toBe('service_unavailable');
      expect(await eventRow(eventIdOf(payload))).toEqual({ outcome: null, processed: false });
    } finally {
      await down.close();
      await connection.close();
    }
    expect((await postStripe(payload)).body).toEqual({ received: true, duplicate: false, outcome: 'delivered' });
    expect(await handle.result()).toEqual(expect.objectContaining({ status: 'authorized' }));
  });

  it('without STRIPE_WEBHOOK_SECRET the route answers 503 (Stripe keeps the event and retries)', async () => {
    const bare = await startTestApi(db.orm, { taskQueue: worker.taskQueue, simulatedPayments: false });
    try {
      const payload = stripeEvent('payment_intent.succeeded', intent(randomUUID(), 'succeeded'));
      const res = await bare.request('POST', '/webhooks/stripe', { rawBody: payload, headers: { 'content-type': 'application/json', 'stripe-signature': 'x' } });
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('not_configured');
    } finally {
      await bare.close();
    }
  });
});

function refundObject(id: string, status: string, extra: Record<string, unknown> = {}) {
  return { id, object: 'refund', amount: 3000, currency: 'usd', payment_intent: 'pi_refunds', status, failure_reason: null, metadata: {}, ...extra };
}

/** An order charged on Stripe, and support's refund of 30.00 that Stripe accepts as pending. */
async function pendingRefund(): Promise<{ orderId: string; total: number; refundRef: string }> {
  const order = await placeTestOrder(db);
  await db.orm.em.fork().getConnection().execute(`insert into payments (order_id, provider, provider_ref, payment_method, idempotency_key, status, amount, captured_amount, currency)
    values (?, 'stripe', ?, 'pm_card_visa', ?, 'captured', ?, ?, 'USD')`, [order.orderId, intentId(order.orderId), `order-${order.orderId}-authorize`, order.totalAmount, order.totalAmount]);
  const refund = await acts.refundPayment({ orderId: order.orderId, amount: 3000, reason: 'damaged', requestId: randomUUID() });
  expect(refund).toMatchObject({ status: 'pending', refunded: 3000, refundedAmount: 0, pendingAmount: 3000 });
  return { orderId: order.orderId, total: order.totalAmount, refundRef: refund.refundRef };
}

const staff = { Authorization: `Bearer ${STAFF_TOKEN}` };
const refundState = async (orderId: string) => {
  const conn = db.orm.em.fork().getConnection();
  return {
    refunds: await conn.execute<{ amount: string; status: string; failure_reason: string | null }[]>(`select r.amount, r.status, r.failure_reason from refunds r
      join payments p on p.id = r.payment_id where p.order_id = ? order by r.created_at`, [orderId]),
    payment: (await conn.execute<{ status: string; refunded_amount: string }[]>('select status, refunded_amount from payments where order_id = ?', [orderId]))[0],
    notices: (await api.request('GET', `/admin/notices?kind=refund_failed&orderId=${orderId}`, { headers: staff })).body.notices as { orderId: string; message: string }[],
  };
};

describe('POST /webhooks/stripe: refunds Stripe settles later', () => {
  it('a pending refund Stripe then fails: the row is failed with its reason, the amount refundable again, support told; a replay changes nothing more', async () => {
    const { orderId, total, refundRef } = await pendingRefund();
    // Pending still counts: the whole capture can no longer be refunded on top of it.
    await expect(acts.refundPayment({ orderId, reason: 'all of it', amount: total, requestId: randomUUID() })).rejects.toMatchObject({ type: 'refund_exceeds_captured' });

    const payload = stripeEvent('refund.failed', refundObject(refundRef, 'failed', { failure_reason: 'expired_or_canceled_card' }));
    const res = await postStripe(payload);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: true, duplicate: false, outcome: 'refund_failed' });
    const after = await refundState(orderId);
    expect(after.refunds).toEqual([{ amount: '3000', status: 'failed', failure_reason: 'expired_or_canceled_card' }]);
    expect(after.payment).toEqual({ status: 'captured', refunded_amount: '0' });
    expect(after.notices).toHaveLength(1);
    expect(after.notices[0].message).toContain(`The refund of 30.00 USD on order ${orderId} (Stripe refund ${refundRef}) failed at the provider: expired_or_canceled_card.`);
    expect(after.notices[0].message).toMatch(/can be refunded again\. Refund it again .*or contact the customer/);

    // Stripe redelivers it, and also sends the same failure as charge.refund.updated: nothing more happens.
    expect((await postStripe(payload)).body).toEqual({ received: true, duplicate: true });
    const updated = await postStripe(stripeEvent('charge.refund.updated', refundObject(refundRef, 'failed', { failure_reason: 'expired_or_canceled_card' })));
    expect(updated.body).toEqual({ received: true, duplicate: false, outcome: 'refund_unchanged' });
    expect(await refundState(orderId)).toEqual(after);

    // The failed 30.00 is refundable again: the whole capture can now be refunded.
    expect(await acts.refundPayment({ orderId, reason: 'all of it', amount: total, requestId: randomUUID() })).toMatchObject({ status: 'pending', pendingAmount: total });
  });

  it('a pending refund Stripe reports succeeded is counted as refunded; a stale pending event after it changes nothing', async () => {
    const { orderId, refundRef } = await pendingRefund();
    expect((await postStripe(stripeEvent('refund.updated', refundObject(refundRef, 'succeeded')))).body).toMatchObject({ outcome: 'refund_succeeded' });
    expect((await postStripe(stripeEvent('refund.updated', refundObject(refundRef, 'pending')))).body).toMatchObject({ outcome: 'refund_unchanged' });
    expect(await refundState(orderId)).toEqual({ refunds: [{ amount: '3000', status: 'succeeded', failure_reason: null }],
      payment: { status: 'captured', refunded_amount: '3000' }, notices: [] });
  });

  it("out of order, Stripe's final answer wins: a late success never revives a failed refund; a failure after a success takes the money back out", async () => {
    const first = await pendingRefund();
    await postStripe(stripeEvent('refund.failed', refundObject(first.refundRef, 'failed', { failure_reason: 'lost_or_stolen_card' })));
    expect((await postStripe(stripeEvent('refund.updated', refundObject(first.refundRef, 'succeeded')))).body).toMatchObject({ outcome: 'refund_unchanged' });
    expect(await refundState(first.orderId)).toMatchObject({ refunds: [{ status: 'failed', failure_reason: 'lost_or_stolen_card' }], payment: { refunded_amount: '0' } });

    const second = await pendingRefund();
    await postStripe(stripeEvent('charge.refund.updated', refundObject(second.refundRef, 'succeeded')));
    expect((await postStripe(stripeEvent('refund.failed', refundObject(second.refundRef, 'failed', { failure_reason: 'declined' })))).body)
      .toMatchObject({ outcome: 'refund_failed' });
    const after = await refundState(second.orderId);
    expect(after).toMatchObject({ refunds: [{ status: 'failed', failure_reason: 'declined' }], payment: { status: 'captured', refunded_amount: '0' } });
    expect(after.notices).toHaveLength(1);
  });

  it('a refund event that arrives before the refund\'s id is saved is matched by the idempotency key in its metadata: counted once, nothing left pending', async () => {
    const order = await placeTestOrder(db);
    await db.orm.em.fork().getConnection().execute(`insert into payments (order_id, provider, provider_ref, payment_method, idempotency_key, status, amount, captured_amount, currency)
      values (?, 'stripe', ?, 'pm_card_visa', ?, 'captured', ?, ?, 'USD')`, [order.orderId, intentId(order.orderId), `order-${order.orderId}-authorize`, order.totalAmount, order.totalAmount]);
    const requestId = randomUUID();
    const answers: unknown[] = [];
    eventsFirst.set(`order-${order.orderId}-refund-support-${requestId}`, async (refund) => answers.push((await postStripe(stripeEvent('refund.updated', refund))).body));
    // Support's refund: Stripe settles it and tells the webhook before answering the request (which says pending).
    const refund = await acts.refundPayment({ orderId: order.orderId, amount: 3000, reason: 'damaged', requestId });
    expect(answers).toEqual([{ received: true, duplicate: false, outcome: 'refund_succeeded' }]);
    expect(refund).toMatchObject({ refunded: 3000, refundedAmount: 3000, pendingAmount: 0 });
    // The cancellation's refund of the rest, the same way.
    eventsFirst.set(`order-${order.orderId}-refund-cancel`, async (r) => answers.push((await postStripe(stripeEvent('charge.refund.updated', r))).body));
    expect(await acts.voidOrRefundPayment(order.orderId, 'cancelled')).toEqual({ action: 'refunded', amount: order.totalAmount - 3000 });
    expect(answers[1]).toEqual({ received: true, duplicate: false, outcome: 'refund_succeeded' });
    expect(await refundState(order.orderId)).toEqual({ refunds: [{ amount: '3000', status: 'succeeded', failure_reason: null },
      { amount: String(order.totalAmount - 3000), status: 'succeeded', failure_reason: null }],
    payment: { status: 'refunded', refunded_amount: String(order.totalAmount) }, notices: [] });
    const refs = await db.orm.em.fork().getConnection().execute<{ provider_ref: string }[]>(
      'select r.provider_ref from refunds r join payments p on p.id = r.payment_id where p.order_id = ? order by r.created_at', [order.orderId]);
    expect(refs.map((r) => r.provider_ref)).toEqual([expect.stringMatching(/^re_/), expect.stringMatching(/^re_/)]);
  });

  it('an event for a refund we do not know is acknowledged and changes nothing', async () => {
    const conn = db.orm.em.fork().getConnection();
    const count = async () => (await conn.execute<{ refunds: string; notices: string; refunded: string }[]>(`select (select count(*) from refunds where status = 'failed') as refunds,
      (select count(*) from support_notices) as notices, (select coalesce(sum(refunded_amount), 0) from payments) as refunded`))[0];
    const before = await count();
    const res = await postStripe(stripeEvent('refund.failed', refundObject('re_not_ours_0123456789', 'failed', { failure_reason: 'unknown' })));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: true, duplicate: false, outcome: 'unknown_refund' });
    expect(await count()).toEqual(before);
  });
});

describe('POST /webhooks/twilio', () => {
  async function sentSms(): Promise<{ orderId: string; sid: string }> {
    const order = await placeTestOrder(db, { phone: '+447700900123' });
    const sid = `SM${randomUUID().replace(/-/g, '')}`;
    await db.orm.em.fork().getConnection().execute(
      `insert into notifications (order_id, template, channel, recipient, status, provider, provider_message_id, sent_at, attempts)
       values (?, 'order_confirmed', 'sms', '+447700900123', 'sent', 'twilio', ?, now(), 1)`, [order.orderId, sid]);
    return { orderId: order.orderId, sid };
  }
  const outboxRow = async (orderId: string) => (await db.orm.em.fork().getConnection().execute<{ status: string; last_error: string | null; delivered: boolean }[]>(
    `select status, last_error, delivered_at is not null as delivered from notifications where order_id = ? and channel = 'sms'`, [orderId]))[0];

  function postTwilio(params: Record<string, string>, signature?: string) {
    const url = `${PUBLIC_BASE_URL}/webhooks/twilio`;
    return api.request('POST', '/webhooks/twilio', { rawBody: new URLSearchParams(params).toString(), headers: {
      'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature ?? twilio.getExpectedTwilioSignature(TWILIO_TOKEN, url, params) } });
  }
  const report = (sid: string, status: string, extra: Record<string, string> = {}) => ({ AccountSid: `AC${'1'.repeat(32)}`, MessageSid: sid, SmsSid: sid,
    MessageStatus: status, SmsStatus: status, To: '+447700900123', From: '+15005550006', ApiVersion: '2010-04-01', ...extra });

  it('a signed "delivered" report marks the SMS delivered; a late "sent" report does not undo it', async () => {
    const { orderId, sid } = await sentSms();
    const res = await postTwilio(report(sid, 'delivered'));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: true, updated: 1 });
    expect(await outboxRow(orderId)).toEqual({ status: 'delivered', last_error: null, delivered: true });
    expect((await postTwilio(report(sid, 'sent'))).body).toEqual({ received: true, updated: 0 });
    expect((await outboxRow(orderId)).status).toBe('delivered');
  });

  it('a report that arrives before the send is recorded is kept, and applied when it is', async () => {
    const order = await placeTestOrder(db, { phone: '+447700900123' });
    const sid = `SM${randomUUID().replace(/-/g, '')}`;
    let early: { status: number; body: unknown } | undefined;
    // Twilio calls back while our activity is still waiting for its answer: the row is 'sending', not 'sent'.
    const racingTwilio: Notifier = {
      async send() {
        early = await postTwilio(report(sid, 'delivered'));
        return { provider: 'twilio', messageId: sid };
      },
    };
    const { sendOrderNotification } = realActivities(db, { notifier: racingTwilio });
    expect(await sendOrderNotification({ orderId: order.orderId, template: 'order_confirmed', channel: 'sms' }))
      .toEqual({ status: 'sent', messageId: sid });
    expect(early).toEqual(expect.objectContaining({ status: 200, body: { received: true, updated: 0 } }));
    expect(await outboxRow(order.orderId)).toEqual({ status: 'delivered', last_error: null, delivered: true });
  });

  it("an 'undelivered' (or 'failed') report marks it undelivered with Twilio's error code", async () => {
    const { orderId, sid } = await sentSms();
    await postTwilio(report(sid, 'undelivered', { ErrorCode: '30003' }));
    expect(await outboxRow(orderId)).toEqual({ status: 'undelivered', last_error: 'Twilio reported undelivered (error 30003)', delivered: false });
  });

  it('a bad or missing signature, or a signature for another URL, is refused with 403 and changes nothing', async () => {
    const { orderId, sid } = await sentSms();
    const params = report(sid, 'delivered');
    for (const signature of ['bm90IGEgc2lnbmF0dXJl', twilio.getExpectedTwilioSignature('another-token', `${PUBLIC_BASE_URL}/webhooks/twilio`, params),
      twilio.getExpectedTwilioSignature(TWILIO_TOKEN, 'https://attacker.example.com/webhooks/twilio', params)]) {
      const res = await postTwilio(params, signature);
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('invalid_signature');
    }
    const unsigned = await api.request('POST', '/webhooks/twilio', { rawBody: new URLSearchParams(params).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(unsigned.status).toBe(403);
    expect((await outboxRow(orderId)).status).toBe('sent');
  });
});
