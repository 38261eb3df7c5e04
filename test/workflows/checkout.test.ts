/* eslint-disable @typescript-eslint/no-explicit-any -- failures are inspected field by field */
/**
 * The checkout saga, one test per path, on the time-skipping server with the real activities
 * against a real PostgreSQL and the simulated providers. Assertions read the database, the
 * outbox and the workflow's own status, not mocks.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowFailedError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { RECORDING, saveHistory } from '../replay/record';
import { createTimeSkippingEnv } from '../support/temporal';
import { ADDRESS, checkoutInputOf, orderFacts, placeTestOrder, realActivities, seedCheckoutCatalog, startWorker } from '../support/checkout';
import type { Activities } from '../../activities';
import { PaymentProviderError } from '../../src/integrations/payments';
import { NotifierError, type Notifier } from '../../src/integrations/notifier';
import { SimulatedNotifier } from '../../src/integrations/simulated/notifier';
import { logger } from '../../src/logger';
import { checkout } from '../../workflows/checkout';
import { cancelOrderUpdate, changeShippingAddressUpdate, holdOrderUpdate, releaseOrderUpdate, statusQuery, type OrderState } from '../../src/contracts/order';
import { paymentEventSignal } from '../../src/contracts/payment';
import { refundPaymentUpdate } from '../../src/contracts/support';
import { workflowIds } from '../../src/contracts/temporal';

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

/** Runs a test with a worker, and stops the worker (and any order still open) afterwards. */
async function withOrder(
  opts: Parameters<typeof placeTestOrder>[1] & { activities?: Partial<Activities>; actionTimeout?: string; autoPack?: boolean; afterSalesWindow?: string },
  body: (ctx: { orderId: string; handle: WorkflowHandle<typeof checkout> }) => Promise<void>,
): Promise<void> {
  const placed = await placeTestOrder(db, opts);
  const { worker, taskQueue, run } = await startWorker(env, { ...realActivities(db), ...opts.activities } as Activities);
  const handle = await env.client.workflow.start(checkout, {
    taskQueue, workflowId: workflowIds.checkout(placed.orderId), args: [checkoutInputOf(placed, opts.actionTimeout, { autoPack: opts.autoPack, afterSalesWindow: opts.afterSalesWindow })] });
  try {
    await body({ orderId: placed.orderId, handle });
    await recordHistories(placed.orderId);
  } finally {
    await stopEverything(handle, placed.orderId);
    worker.shutdown();
    await run;
  }
}

/** With RECORD_HISTORIES set, saves the histories of the order's workflows for the replay test (test/replay/record.ts). */
async function recordHistories(orderId: string): Promise<void> {
  if (!RECORDING) return;
  for (const workflowId of await openWorkflowIds(orderId)) {
    const history = await env.client.workflow.getHandle(workflowId).fetchHistory().catch(() => undefined);
    if (history) saveHistory(workflowId.split('-')[0], history);
  }
}

/**
 * Ends the order's workflows and its children before the next test. A child that is still being
 * started when its parent ends would otherwise be left with a workflow task no worker will take,
 * and the time-skipping server does not skip time while a task is outstanding: so let a hand-over
 * to the warehouse land first, then terminate everything, children included.
 */
async function stopEverything(handle: WorkflowHandle<typeof checkout>, orderId: string): Promise<void> {
  const state = await handle.query(statusQuery).catch(() => undefined);
  // The fulfillment child's first report: 'allocated' when it waits for the warehouse, 'dispatching' when it packs at once.
  if (state?.status === 'awaiting_fulfillment') await untilTimeline(handle, /^fulfillment_(allocated|dispatching)$/).catch(() => undefined);
  for (let round = 0; round < 2; round++) {
    for (const id of await openWorkflowIds(orderId)) {
      const child = env.client.workflow.getHandle(id);
      const running = await child.describe().then((d) => d.status.name === 'RUNNING').catch(() => false);
      if (running) await child.terminate('test over').catch(() => undefined);
    }
  }
}

async function openWorkflowIds(orderId: string): Promise<string[]> {
  const shipments = await db.orm.em.fork().getConnection().execute<{ id: string }[]>('select id from shipments where order_id = ?', [orderId]);
  return [workflowIds.checkout(orderId), workflowIds.payment(orderId), workflowIds.fulfillment(orderId), ...shipments.map((s) => workflowIds.shipment(s.id))];
}

async function untilTimeline(handle: WorkflowHandle<typeof checkout>, step: string | RegExp): Promise<OrderState> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const state = await handle.query(statusQuery);
    if (state.timeline.some((t) => (typeof step === 'string' ? t.step === step : step.test(t.step)))) return state;
    if (Date.now() > deadline) throw new Error(`no ${step} in the timeline: ${JSON.stringify(state.timeline)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function untilStatus(handle: { query: (q: typeof statusQuery) => Promise<OrderState> }, status: string): Promise<OrderState> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const state = await handle.query(statusQuery);
    if (state.status === status) return state;
    if (Date.now() > deadline) throw new Error(`order stayed ${state.status}, expected ${status}: ${JSON.stringify(state.timeline)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** support_notices of the order, oldest first. */
const noticesOf = (orderId: string) => db.orm.em.fork().getConnection().execute<{ kind: string; subject: string; message: string }[]>(
  'select kind, subject, message from support_notices where order_id = ? order by created_at', [orderId]);

const compensations = (state: OrderState) => state.timeline.filter((t) => t.status === 'compensated').map((t) => t.step);
/** Stock reserved on the shelf is exactly what live reservations hold: nothing leaked, nothing double-counted. */
async function expectStockConsistent(): Promise<void> {
  const rows = await db.orm.em.fork().getConnection().execute(
    `select i.sku, i.reserved, coalesce(sum(r.quantity) filter (where r.status = 'reserved'), 0)::int as held
       from inventory i left join reservations r on r.sku = i.sku group by i.sku, i.reserved`);
  for (const row of rows) expect({ sku: row.sku, reserved: row.reserved }).toEqual({ sku: row.sku, reserved: row.held });
}

it('a paid order reserves its stock, confirms, tells the customer and awaits fulfillment', () =>
  withOrder({ phone: '+447700900123' }, async ({ orderId, handle }) => {
    const state = await untilStatus(handle, 'awaiting_fulfillment');
    expect(state.payment.status).toBe('authorized');
    expect(state.timeline.filter((t) => t.status === 'completed').map((t) => t.step).slice(0, 5))
      .toEqual(['reserve_stock', 'authorize_payment', 'confirm_order', 'send_confirmation', 'hand_over_to_fulfillment']);
    await untilTimeline(handle, 'fulfillment_allocated'); // the warehouse has it, waiting to pack
    const facts = await orderFacts(db, orderId);
    expect(facts.order.status).toBe('awaiting_fulfillment');
    expect(facts.cart.status).toBe('checked_out');
    expect(facts.reservations).toEqual([{ sku: 'MUG-1', quantity: 2, status: 'reserved' }, { sku: 'TEE-1', quantity: 1, status: 'reserved' }]);
    expect(facts.payments).toEqual([expect.objectContaining({ status: 'authorized' })]);
    expect(facts.intents).toEqual([expect.objectContaining({ status: 'requires_capture' })]);
    expect(facts.outbox).toEqual([{ template: 'order_confirmed', channel: 'email', status: 'sent' }, { template: 'order_confirmed', channel: 'sms', status: 'sent' }]);
  }));

it('a message the provider refuses for good (Twilio will not text the number) is recorded, and the paid order goes on: the e-mail went, nothing is rolled back', () => {
  const simulated = new SimulatedNotifier(logger);
  const notifier: Notifier = { send: async (m) => {
    if (m.channel === 'sms') throw new NotifierError("Twilio answered 400: The 'To' number +447700900123 is not a valid mobile number (error 21614)", false);
    return simulated.send(m);
  } };
  return withOrder({ phone: '+447700900123', activities: { sendOrderNotification: realActivities(db, { notifier }).sendOrderNotification } }, async ({ orderId, handle }) => {
    const state = await untilStatus(handle, 'awaiting_fulfillment');
    expect(state.timeline.filter((t) => t.status === 'completed').map((t) => t.step).slice(0, 5))
      .toEqual(['reserve_stock', 'authorize_payment', 'confirm_order', 'send_confirmation', 'hand_over_to_fulfillment']);
    expect(compensations(state)).toEqual([]);
    const facts = await orderFacts(db, orderId);
    expect(facts.payments).toEqual([expect.objectContaining({ status: 'authorized' })]);
    expect(facts.outbox).toEqual([{ template: 'order_confirmed', channel: 'email', status: 'sent' }, { template: 'order_confirmed', channel: 'sms', status: 'failed' }]);
    expect(await noticesOf(orderId)).toEqual([{ kind: 'message_failed', subject: 'order_confirmed/sms/1',
      message: expect.stringMatching(/SMS "order_confirmed" .* can never be sent: Twilio answered 400.*--channel sms/) }]);
  });
});

it('an e-mail provider down for longer than the message retries does not cost the paid order: it goes on, the SMS goes, the e-mail waits for support', () => {
  const simulated = new SimulatedNotifier(logger);
  const notifier: Notifier = { send: async (m) => {
    if (m.channel === 'email') throw new NotifierError('SendGrid answered 503: Service Unavailable', true);
    return simulated.send(m);
  } };
  return withOrder({ phone: '+447700900123', activities: { sendOrderNotification: realActivities(db, { notifier }).sendOrderNotification } }, async ({ orderId, handle }) => {
    await env.sleep('10 minutes'); // the e-mail's ten attempts and their backoff
    const state = await untilStatus(handle, 'awaiting_fulfillment');
    expect(compensations(state)).toEqual([]);
    const facts = await orderFacts(db, orderId);
    expect(facts.payments).toEqual([expect.objectContaining({ status: 'authorized' })]);
    expect(facts.outbox).toEqual([{ template: 'order_confirmed', channel: 'email', status: 'failed' }, { template: 'order_confirmed', channel: 'sms', status: 'sent' }]);
    const [email] = await db.orm.em.fork().getConnection().execute<{ attempts: number }[]>(
      `select attempts from notifications where order_id = ? and channel = 'email'`, [orderId]);
    expect(email.attempts).toBe(10); // every retry NOTIFICATION_CALL allows, then the order went on
  });
});

it('a declined card releases the reserved stock, reopens the cart and tells the customer', () =>
  withOrder({ paymentMethod: 'pm_card_chargeDeclined' }, async ({ orderId, handle }) => {
    const failure = await handle.result().catch((e: unknown) => e as any);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect(failure.cause.type).toBe('payment_declined');
    const state = await handle.query(statusQuery);
    expect(state.status).toBe('failed');
    expect(state.payment).toEqual(expect.objectContaining({ status: 'declined', declineCode: 'generic_decline' }));
    expect(compensations(state)).toEqual(['void_or_refund_payment', 'release_stock']);
    const facts = await orderFacts(db, orderId);
    expect(facts.order.status).toBe('failed');
    expect(facts.cart.status).toBe('active');
    expect(facts.reservations.every((r) => r.status === 'released')).toBe(true);
    await expectStockConsistent();
    expect(facts.payments).toEqual([expect.objectContaining({ status: 'declined' })]);
    expect(facts.outbox).toEqual([{ template: 'payment_failed', channel: 'email', status: 'sent' }]);
  }));

it('3-D Secure completed by the provider event authorizes the payment', () =>
  withOrder({ paymentMethod: 'pm_card_authenticationRequired' }, async ({ orderId, handle }) => {
    const waiting = await untilStatus(handle, 'awaiting_payment_action');
    expect(waiting.payment.status).toBe('requires_action');
    expect(waiting.payment.nextAction?.url).toMatch(/\/simulated\/payments\/pi_sim_\w+\/authenticate$/);
    const providerRef = waiting.payment.providerRef as string;
    await db.orm.em.fork().getConnection().execute(`update simulated_payment_intents set status = 'requires_capture' where id = ?`, [providerRef]);
    const payment = env.client.workflow.getHandle(workflowIds.payment(orderId));
    const event = { eventId: 'evt_1', type: 'payment_intent.amount_capturable_updated' as const, providerRef };
    await payment.signal(paymentEventSignal, event);
    await payment.signal(paymentEventSignal, event); // providers redeliver webhooks
    await untilStatus(handle, 'awaiting_fulfillment');
    expect((await orderFacts(db, orderId)).payments).toEqual([expect.objectContaining({ status: 'authorized' })]);
  }));

it('3-D Secure not completed within 15 minutes voids the attempt and rolls the order back', () =>
  withOrder({ paymentMethod: 'pm_card_authenticationRequired' }, async ({ orderId, handle }) => {
    await untilStatus(handle, 'awaiting_payment_action');
    await env.sleep('14 minutes');
    expect((await handle.query(statusQuery)).status).toBe('awaiting_payment_action');
    await env.sleep('2 minutes');
    const failure = await handle.result().catch((e: unknown) => e as any);
    expect(failure.cause.type).toBe('payment_declined');
    const state = await handle.query(statusQuery);
    expect(state.payment).toEqual(expect.objectContaining({ status: 'failed', declineCode: 'authentication_timeout' }));
    const facts = await orderFacts(db, orderId);
    expect(facts.order.status).toBe('failed');
    expect(facts.intents).toEqual([expect.objectContaining({ status: 'canceled' })]);
    expect(facts.payments).toEqual([expect.objectContaining({ status: 'voided' })]);
    expect(facts.reservations.every((r) => r.status === 'released')).toBe(true);
  }));

it('transient provider failures are retried with the same idempotency key and charge once', () =>
  withOrder({ paymentMethod: 'pm_sim_flaky' }, async ({ orderId, handle }) => {
    // pm_sim_flaky: the first call creates the payment and loses the answer, the second gets a 503.
    await untilStatus(handle, 'awaiting_fulfillment');
    const facts = await orderFacts(db, orderId);
    expect(facts.intents).toHaveLength(1);
    expect(facts.payments).toEqual([expect.objectContaining({ status: 'authorized', provider_ref: facts.intents[0].id })]);
    const [calls] = await db.orm.em.fork().getConnection().execute(
      `select attempts from simulated_provider_calls where idempotency_key = ?`, [`authorize:order-${orderId}-authorize`]);
    expect(calls.attempts).toBe(3);
  }));

it('a cancel while stock is being reserved releases the stock and touches no payment', async () => {
  let letReserveFinish: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => { letReserveFinish = resolve; });
  const real = realActivities(db);
  await withOrder({ activities: { reserveStock: async (...args) => { await gate; return real.reserveStock(...args); } } }, async ({ orderId, handle }) => {
    await untilStatus(handle, 'pending');
    const cancelling = handle.executeUpdate(cancelOrderUpdate, { args: [{ actor: 'customer', reason: 'changed my mind' }] });
    await new Promise((r) => setTimeout(r, 300));
    letReserveFinish();
    const state = await cancelling;
    expect(state.status).toBe('cancelled');
    expect(compensations(state)).toEqual(['release_stock']);
    const facts = await orderFacts(db, orderId);
    expect(facts.order.status).toBe('cancelled');
    expect(facts.payments).toEqual([]);
    expect(facts.intents).toEqual([]);
    expect(facts.reservations.every((r) => r.status === 'released')).toBe(true);
    expect(facts.outbox).toEqual([{ template: 'order_cancelled', channel: 'email', status: 'sent' }]);
  });
});

it('a cancel after authorization voids the payment, then releases the stock', () =>
  withOrder({}, async ({ orderId, handle }) => {
    await untilStatus(handle, 'awaiting_fulfillment');
    const state = await handle.executeUpdate(cancelOrderUpdate, { args: [{ actor: 'staff:sam', reason: 'customer called' }] });
    expect(state.status).toBe('cancelled');
    expect(compensations(state)).toEqual(['void_or_refund_payment', 'release_stock']);
    const facts = await orderFacts(db, orderId);
    expect(facts.order.status).toBe('cancelled');
    expect(facts.payments).toEqual([expect.objectContaining({ status: 'voided' })]);
    expect(facts.intents).toEqual([expect.objectContaining({ status: 'canceled' })]);
    expect(facts.cart.status).toBe('active');
    expect(facts.outbox).toEqual([
      { template: 'order_cancelled', channel: 'email', status: 'sent' }, { template: 'order_confirmed', channel: 'email', status: 'sent' }]);
    await expectStockConsistent();
    // The saga ends with the cancellation: the order's workflow is closed and takes no more requests.
    expect((await handle.result()).status).toBe('cancelled');
    await expect(handle.executeUpdate(cancelOrderUpdate, { args: [{ actor: 'customer', reason: 'twice' }] })).rejects.toThrow();
  }));

it('support can hold an order between steps and release it', () =>
  withOrder({ paymentMethod: 'pm_card_authenticationRequired' }, async ({ orderId, handle }) => {
    await untilStatus(handle, 'awaiting_payment_action');
    const held = await handle.executeUpdate(holdOrderUpdate, { args: [{ actor: 'staff:sam', reason: 'fraud check' }] });
    expect(held.held).toBe(true);
    const providerRef = held.payment.providerRef as string;
    await env.client.workflow.getHandle(workflowIds.payment(orderId))
      .signal(paymentEventSignal, { eventId: 'evt_h', type: 'payment_intent.amount_capturable_updated', providerRef });
    await untilStatus(handle, 'payment_authorized');
    await new Promise((r) => setTimeout(r, 300));
    expect((await handle.query(statusQuery)).status).toBe('payment_authorized'); // held: does not confirm
    const refused = await handle.executeUpdate(holdOrderUpdate, { args: [{ actor: 'staff:sam', reason: 'again' }] }).catch((e: unknown) => e as any);
    expect(refused.cause.message).toMatch(/already on hold/);
    await handle.executeUpdate(releaseOrderUpdate, { args: [{ actor: 'staff:sam', reason: 'checked' }] });
    await untilStatus(handle, 'awaiting_fulfillment');
  }));

it('an address change is accepted before shipping and an invalid one is refused with the reason', () =>
  withOrder({}, async ({ orderId, handle }) => {
    await untilStatus(handle, 'awaiting_fulfillment');
    const newAddress = { ...ADDRESS, line1: '1 New Street', actor: 'staff:sam' };
    const state = await handle.executeUpdate(changeShippingAddressUpdate, { args: [newAddress] });
    expect(state.timeline.map((t) => t.step)).toContain('change_shipping_address');
    const [row] = await db.orm.em.fork().getConnection().execute('select shipping_address from orders where id = ?', [orderId]);
    expect(row.shipping_address.line1).toBe('1 New Street');
    const bad = await handle.executeUpdate(changeShippingAddressUpdate, { args: [{ ...newAddress, country: 'Britain' }] }).catch((e: unknown) => e as any);
    expect(bad).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(bad.cause.message).toMatch(/country: must be an ISO 3166 alpha-2 code/);
  }));

it('a compensation that fails twice is retried, stays visible, and then succeeds', async () => {
  const real = realActivities(db);
  let attempts = 0;
  const releaseStock: Activities['releaseStock'] = async (orderId) => {
    attempts += 1;
    if (attempts <= 2) throw new Error(`database unavailable (simulated, attempt ${attempts})`);
    return real.releaseStock(orderId);
  };
  await withOrder({ paymentMethod: 'pm_card_chargeDeclined', activities: { releaseStock } }, async ({ orderId, handle }) => {
    await handle.result().catch(() => undefined);
    expect(attempts).toBe(3);
    const state = await handle.query(statusQuery);
    expect(state.status).toBe('failed');
    expect(compensations(state)).toEqual(['void_or_refund_payment', 'release_stock']);
    // The retries are recorded in the history (and shown by the UI as the attempt count).
    const history = await handle.fetchHistory();
    const scheduled = history.events?.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'releaseStock');
    const started = history.events?.find((e) => String(e.activityTaskStartedEventAttributes?.scheduledEventId) === String(scheduled?.eventId));
    expect(started?.activityTaskStartedEventAttributes?.attempt).toBe(3);
    const facts = await orderFacts(db, orderId);
    expect(facts.reservations.every((r) => r.status === 'released')).toBe(true);
    await expectStockConsistent();
  });
});

it('a cancel whose reason the database cannot store (sent past the API, with the temporal CLI say) still cancels at once: the e-mail is recorded failed, support is told, the rest rolls back', () =>
  withOrder({ paymentMethod: 'pm_card_authenticationRequired' }, async ({ orderId, handle }) => {
    await untilStatus(handle, 'awaiting_payment_action');
    const state = await handle.executeUpdate(cancelOrderUpdate, { args: [{ actor: 'customer', reason: 'changed\u0000mind' }] });
    expect(state.status).toBe('cancelled');
    expect(compensations(state)).toEqual(['void_or_refund_payment', 'release_stock']);
    const facts = await orderFacts(db, orderId);
    expect(facts.order.status).toBe('cancelled');
    expect(facts.payments).toEqual([expect.objectContaining({ status: 'voided' })]);
    expect(facts.reservations.every((r) => r.status === 'released')).toBe(true);
    await expectStockConsistent();
    // Recorded failed once, not retried without end (what it did before: SQLSTATE 22P05 on every attempt, the order stuck in cancelling).
    expect(facts.outbox).toEqual([{ template: 'order_cancelled', channel: 'email', status: 'failed' }]);
    const [email] = await db.orm.em.fork().getConnection().execute<{ attempts: number; last_error: string }[]>(
      'select attempts, last_error from notifications where order_id = ?', [orderId]);
    expect(email).toEqual({ attempts: 0, last_error: expect.stringMatching(/could not be kept in the outbox \(SQLSTATE 22P05/) });
    expect(await noticesOf(orderId)).toEqual([{ kind: 'message_failed', subject: 'order_cancelled/email/1',
      message: expect.stringMatching(/e-mail "order_cancelled" to the customer of order .* can never be sent.*npm run support -- resend/) }]);
  }));

it('a compensation the database refuses for good (stock counts edited by hand) stops retrying: support gets a notice saying what to do, and the rest of the rollback goes on', async () => {
  const placed = await placeTestOrder(db, { items: [{ sku: 'MUG-1', quantity: 2 }], paymentMethod: 'pm_card_authenticationRequired' });
  const { worker, taskQueue, run } = await startWorker(env, realActivities(db));
  const handle = await env.client.workflow.start(checkout, { taskQueue, workflowId: workflowIds.checkout(placed.orderId), args: [checkoutInputOf(placed)] });
  try {
    await untilStatus(handle, 'awaiting_payment_action');
    // Someone zeroed the reserved count by hand: giving the order's two mugs back would take it below zero, which the database refuses.
    await db.orm.em.fork().getConnection().execute(`update inventory set reserved = 0 where sku = 'MUG-1'`);
    const state = await handle.executeUpdate(cancelOrderUpdate, { args: [{ actor: 'customer', reason: 'changed my mind' }] });
    expect(state.status).toBe('cancelled');
    expect(compensations(state)).toEqual(['void_or_refund_payment']);
    expect(state.timeline).toContainEqual(expect.objectContaining({ step: 'release_stock', status: 'failed',
      detail: expect.stringMatching(/refused the data for good \(SQLSTATE 23514/) }));
    const facts = await orderFacts(db, placed.orderId);
    expect(facts.order.status).toBe('cancelled');
    expect(facts.cart.status).toBe('active');
    expect(facts.payments).toEqual([expect.objectContaining({ status: 'voided' })]);
    expect(facts.outbox).toEqual([{ template: 'order_cancelled', channel: 'email', status: 'sent' }]);
    expect(await noticesOf(placed.orderId)).toEqual([{ kind: 'compensation_failed', subject: 'release_stock',
      message: expect.stringMatching(/stock reserved for order .* could not be released.*PUT \/admin\/inventory/) }]);
    // One attempt: a retry would only be refused the same way.
    const history = await handle.fetchHistory();
    const release = history.events!.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'releaseStock');
    expect(release).toHaveLength(1);
    const started = history.events!.find((e) => String(e.activityTaskStartedEventAttributes?.scheduledEventId) === String(release[0].eventId));
    expect(started?.activityTaskStartedEventAttributes?.attempt).toBe(1);
    await recordHistories(placed.orderId);
  } finally {
    await db.orm.em.fork().getConnection().execute(`update inventory set reserved = (select coalesce(sum(quantity), 0) from reservations
      where sku = 'MUG-1' and status = 'reserved') where sku = 'MUG-1'`);
    await stopEverything(handle, placed.orderId);
    worker.shutdown();
    await run;
  }
});

describe('after payment: fulfillment and the parcel', () => {
  it('a paid order is packed, captured at shipping, tracked for days and ends delivered', () =>
    withOrder({ autoPack: true, phone: '+447700900123' }, async ({ orderId, handle }) => {
      const final = await handle.result(); // the time-skipping server runs the parcel's days in seconds
      expect(final.status).toBe('delivered');
      const facts = await orderFacts(db, orderId);
      expect(facts.order.status).toBe('delivered');
      expect(facts.payments).toEqual([expect.objectContaining({ status: 'captured' })]);
      expect(facts.reservations.every((r) => r.status === 'committed')).toBe(true);
      await expectStockConsistent();
      const events = await db.orm.em.fork().getConnection().execute<{ status: string }[]>(
        `select e.status from shipment_events e join shipments s on s.id = e.shipment_id where s.order_id = ? order by e.occurred_at`, [orderId]);
      expect(events.map((e) => e.status)).toEqual(['in_transit', 'out_for_delivery', 'delivered']);
      expect(facts.outbox).toEqual(expect.arrayContaining([
        { template: 'shipped', channel: 'email', status: 'sent' },
        { template: 'out_for_delivery', channel: 'sms', status: 'sent' },
        { template: 'delivered', channel: 'email', status: 'sent' },
      ]));
      expect(final.timeline.map((t) => t.step)).toEqual(expect.arrayContaining(['fulfil', 'fulfillment_shipped', 'track_shipment']));
    }));

  it('once shipped, neither a cancel nor an address change is accepted, and the validator says why', () =>
    withOrder({ autoPack: true }, async ({ handle }) => {
      await untilStatus(handle, 'shipped');
      const cancel = await handle.executeUpdate(cancelOrderUpdate, { args: [{ actor: 'customer', reason: 'too late?' }] }).catch((e: unknown) => e as any);
      expect(cancel).toBeInstanceOf(WorkflowUpdateFailedError);
      expect(cancel.cause.message).toMatch(/can no longer be cancelled/);
      const address = await handle.executeUpdate(changeShippingAddressUpdate, { args: [{ ...ADDRESS, line1: '2 Late Lane', actor: 'staff:sam' }] })
        .catch((e: unknown) => e as any);
      expect(address).toBeInstanceOf(WorkflowUpdateFailedError);
      expect(address.cause.message).toMatch(/address can no longer change/);
      expect((await handle.query(statusQuery)).status).toBe('shipped');
    }));

  it('a payment provider down for hours at shipping time is waited out: the parcel leaves once the capture goes through', async () => {
    const real = realActivities(db);
    let attempts = 0;
    const capturePayment: Activities['capturePayment'] = async (orderId) => {
      attempts += 1;
      if (attempts <= 20) throw new PaymentProviderError('Stripe answered 503 Service Unavailable', 'api_error', true); // about two hours of backoff
      return real.capturePayment(orderId);
    };
    await withOrder({ autoPack: true, afterSalesWindow: '1 hour', activities: { capturePayment } }, async ({ orderId, handle }) => {
      const final = await handle.result();
      expect(final.status).toBe('delivered');
      expect(attempts).toBe(21);
      expect(compensations(final)).toEqual([]);
      const facts = await orderFacts(db, orderId);
      expect(facts.payments).toEqual([expect.objectContaining({ status: 'captured' })]);
      expect(facts.reservations.every((r) => r.status === 'committed')).toBe(true);
      expect(facts.outbox).not.toEqual(expect.arrayContaining([expect.objectContaining({ template: 'order_cancelled' })]));
    });
  });

  it('a capture that fails at shipping runs the compensations: stock released, hold voided, customer told', async () => {
    const capturePayment = async () => {
      throw new PaymentProviderError('The authorization has expired', 'charge_expired_for_capture', false);
    };
    await withOrder({ autoPack: true, activities: { capturePayment: capturePayment as unknown as Activities['capturePayment'] } },
      async ({ orderId, handle }) => {
        const failure = await handle.result().catch((e: unknown) => e as any);
        expect(failure).toBeInstanceOf(WorkflowFailedError);
        const state = await handle.query(statusQuery);
        expect(state.status).toBe('failed');
        expect(compensations(state)).toEqual(['void_or_refund_payment', 'release_stock']);
        const facts = await orderFacts(db, orderId);
        expect(facts.payments).toEqual([expect.objectContaining({ status: 'voided' })]);
        expect(facts.reservations.every((r) => r.status === 'released')).toBe(true);
        const [shipment] = await db.orm.em.fork().getConnection().execute<{ status: string }[]>('select status from shipments where order_id = ?', [orderId]);
        expect(shipment.status).toBe('voided');
        expect(facts.outbox).toEqual(expect.arrayContaining([{ template: 'order_cancelled', channel: 'email', status: 'sent' }]));
        await expectStockConsistent();
      });
  });

  it('a "shipped" e-mail the provider refuses rolls nothing back: the money stays captured and the parcel is tracked to delivered', () => {
    const real = realActivities(db);
    const sendOrderNotification: Activities['sendOrderNotification'] = async (req) => {
      if (req.template !== 'shipped') return real.sendOrderNotification(req);
      throw ApplicationFailure.create({ type: 'notifier_error', message: 'The from address is not a verified sender', nonRetryable: true });
    };
    return withOrder({ autoPack: true, afterSalesWindow: '1 hour', activities: { sendOrderNotification } }, async ({ orderId, handle }) => {
      const final = await handle.result();
      expect(final.status).toBe('delivered');
      expect(compensations(final)).toEqual([]);
      const facts = await orderFacts(db, orderId);
      expect(facts.order.status).toBe('delivered');
      expect(facts.payments).toEqual([expect.objectContaining({ status: 'captured' })]);
      expect(facts.reservations.every((r) => r.status === 'committed')).toBe(true);
      expect(facts.outbox).not.toEqual(expect.arrayContaining([expect.objectContaining({ template: 'order_cancelled' })]));
      expect(facts.outbox).toEqual(expect.arrayContaining([{ template: 'delivered', channel: 'email', status: 'sent' }]));
      await expectStockConsistent();
    });
  });

  it('a database outage after the capture is waited out, however many retries it takes: the order ships, nothing is refunded', () => {
    const real = realActivities(db);
    let attempts = 0;
    const commitStock: Activities['commitStock'] = async (orderId) => {
      attempts += 1;
      if (attempts <= 12) throw new Error('connect ECONNREFUSED 127.0.0.1:5432'); // more than any ordinary step's 10 attempts
      return real.commitStock(orderId);
    };
    return withOrder({ autoPack: true, afterSalesWindow: '1 hour', activities: { commitStock } }, async ({ orderId, handle }) => {
      const final = await handle.result();
      expect(final.status).toBe('delivered');
      expect(attempts).toBe(13);
      expect(compensations(final)).toEqual([]);
      const facts = await orderFacts(db, orderId);
      expect(facts.payments).toEqual([expect.objectContaining({ status: 'captured' })]);
      expect(facts.reservations.every((r) => r.status === 'committed')).toBe(true);
      await expectStockConsistent();
    });
  });

  it('a parcel the carrier returns to sender ends the order returned: money kept for support to refund or reship, customer and support told', () => {
    const hour = 3_600_000;
    // A carrier that gives up on the address: in transit after 12 hours, back to the sender after 3 days.
    const pollCarrier: Activities['pollCarrier'] = async ({ trackingNumber, shippedAt, asOf }) => ([
      { after: 12, status: 'in_transit' as const, description: 'Departed the sorting centre' },
      { after: 72, status: 'returned_to_sender' as const, description: 'Address does not exist' },
    ].filter((s) => Date.parse(asOf) - Date.parse(shippedAt) >= s.after * hour)
      .map((s) => ({ eventId: `${trackingNumber}-${s.status}`, status: s.status, occurredAt: new Date(Date.parse(shippedAt) + s.after * hour).toISOString(),
        description: s.description })));
    return withOrder({ autoPack: true, afterSalesWindow: '1 hour', activities: { pollCarrier } }, async ({ orderId, handle }) => {
      const final = await handle.result();
      expect(final.status).toBe('returned');
      expect(compensations(final)).toEqual([]);
      const facts = await orderFacts(db, orderId);
      expect(facts.order.status).toBe('returned');
      expect(facts.payments).toEqual([expect.objectContaining({ status: 'captured' })]);
      expect(facts.outbox).toEqual(expect.arrayContaining([{ template: 'shipment_returned', channel: 'email', status: 'sent' }]));
      expect(facts.outbox).not.toEqual(expect.arrayContaining([expect.objectContaining({ template: 'delivered' })]));
      const notices = await db.orm.em.fork().getConnection().execute<{ kind: string; resolved_at: string | null }[]>(
        'select kind, resolved_at from support_notices where order_id = ?', [orderId]);
      expect(notices).toEqual([{ kind: 'shipment_returned', resolved_at: null }]);
    });
  });

  it('after delivery the order stays open to support for the after-sales window: a refund goes through, then the workflow ends', () =>
    withOrder({ autoPack: true, afterSalesWindow: '14 days' }, async ({ orderId, handle }) => {
      let state = await handle.query(statusQuery);
      for (let day = 0; state.status !== 'delivered' && day < 20; day += 1) { // the simulated parcel takes a few days
        await env.sleep('1 day');
        state = await handle.query(statusQuery);
      }
      expect(state.status).toBe('delivered');
      const refund = await handle.executeUpdate(refundPaymentUpdate, { args: [{ actor: 'staff:sam', reason: 'one mug arrived broken', amount: 1200, currency: 'USD' }] });
      expect(refund).toEqual(expect.objectContaining({ refunded: 1200, refundedAmount: 1200, capturedAmount: 4900 }));
      const [payment] = await db.orm.em.fork().getConnection().execute<{ captured_amount: string; refunded_amount: string }[]>(
        'select captured_amount, refunded_amount from payments where order_id = ?', [orderId]);
      expect(payment).toEqual({ captured_amount: '4900', refunded_amount: '1200' });

      const final = await handle.result(); // the window passes (skipped time) and the workflow ends
      expect(final.status).toBe('delivered');
      expect(final.refunds).toEqual([expect.objectContaining({ amount: 1200, by: 'staff:sam', reason: 'one mug arrived broken' })]);
      expect((await orderFacts(db, orderId)).order.status).toBe('delivered');
    }));

  it('a refund the payment provider leaves pending reads as pending in the order\'s timeline, not as refunded', () =>
    withOrder({ autoPack: true, activities: {
      // The provider's answer only (Stripe accepts some card refunds as pending; its webhook settles them later).
      refundPayment: async () => ({ refunded: 1200, currency: 'USD', capturedAmount: 4900, refundedAmount: 0, refundRef: 're_pending_1',
        status: 'pending', pendingAmount: 1200 }),
    } }, async ({ handle }) => {
      await untilStatus(handle, 'shipped');
      await handle.executeUpdate(refundPaymentUpdate, { args: [{ actor: 'staff:sam', reason: 'one mug arrived broken', amount: 1200, currency: 'USD' }] });
      const { timeline } = await handle.query(statusQuery);
      expect(timeline.filter((t) => t.step === 'refund').map((t) => t.detail)).toEqual([
        'by staff:sam: one mug arrived broken (refund of 12.00 USD pending at the payment provider; 0.00 USD of 49.00 USD refunded in all so far)']);
    }));

  it('an operator cancelling the workflow after dispatch rolls nothing back: no refund, no release, no "cancelled" message', () =>
    withOrder({ autoPack: true }, async ({ orderId, handle }) => {
      await untilStatus(handle, 'shipped');
      await handle.cancel();
      const final = await handle.result();
      expect(final.status).toBe('shipped');
      expect(compensations(final)).toEqual([]);
      const facts = await orderFacts(db, orderId);
      expect(facts.order.status).toBe('shipped');
      expect(facts.payments).toEqual([expect.objectContaining({ status: 'captured' })]);
      expect(facts.reservations.every((r) => r.status === 'committed')).toBe(true);
      expect(facts.outbox).not.toEqual(expect.arrayContaining([expect.objectContaining({ template: 'order_cancelled' })]));
      expect(facts.cart.status).toBe('checked_out');
      await expectStockConsistent();
    }));

  it('a cancel while the warehouse is packing stops the fulfillment before any label or capture', () =>
    withOrder({}, async ({ orderId, handle }) => {
      await untilTimeline(handle, 'fulfillment_allocated');
      const state = await handle.executeUpdate(cancelOrderUpdate, { args: [{ actor: 'customer', reason: 'ordered twice' }] });
      expect(state.status).toBe('cancelled');
      const facts = await orderFacts(db, orderId);
      expect(facts.payments).toEqual([expect.objectContaining({ status: 'voided' })]);
      const shipments = await db.orm.em.fork().getConnection().execute('select id from shipments where order_id = ?', [orderId]);
      expect(shipments).toEqual([]);
    }));
});
