/**
 * What an ops engineer sees of one order in the Temporal UI, on the dev server (visibility queries
 * need it): its checkout, payment, fulfillment and tracking workflows found by each search
 * attribute, each carrying the order's status while it runs; every step with a plain-words
 * summary; current details that say what each waits for and since when; and none of the
 * customer's e-mail, phone, name or address anywhere in those (search attributes and metadata are
 * not encrypted by a payload codec).
 */
import { randomUUID } from 'node:crypto';
import { sessionFor } from '../support/accounts';
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal as proto } from '@temporalio/proto';
import { connectClient } from '../../src/temporal/client';
import { RECORDING, saveHistory } from '../replay/record';
import { CustomerIdAttr, OrderIdAttr, OrderStatusAttr, OrderTotalAttr, SEARCH_ATTRIBUTES, ShipmentStatusAttr, workflowIds } from '../../src/contracts/temporal';
import { type TestDatabase } from '../support/db';
import { startApiWorld, stopApiWorld, type TestApi, type TestWorker } from '../support/api';
import { shipOrder, staff, WAIT_FOR_WAREHOUSE, waitForOrder } from '../support/orders-api';
import { testPayloadCodec, testTarget } from '../support/temporal';

let db: TestDatabase;
let worker: TestWorker;
let api: TestApi;
let temporal: Awaited<ReturnType<typeof connectClient>>;

beforeAll(async () => {
  ({ db, worker, api } = await startApiWorld({ stock: 1000, api: { app: WAIT_FOR_WAREHOUSE } }));
  temporal = await connectClient(testTarget());
});
afterAll(async () => {
  await temporal?.connection.close();
  await stopApiWorld({ api, worker, db });
});

/** A customer whose every detail is easy to spot anywhere it should not be. */
const PERSON = {
  name: 'Zenobia Quillfeather',
  email: `zenobia.quillfeather-${randomUUID().slice(0, 8)}@example.org`,
  phone: '+447700900461',
  address: { name: 'Zenobia Quillfeather', line1: '77 Marmalade Crescent', city: 'Dunwichford', postalCode: 'DW7 3QX', country: 'GB' },
};
const PERSONAL = [PERSON.name, 'Zenobia', 'Quillfeather', PERSON.email, PERSON.phone, '7700900461', PERSON.address.line1, 'Marmalade',
  PERSON.address.city, PERSON.address.postalCode];

/** The customer's order, placed signed in (their cart answers only their session). */
async function placeOrderOf(customerId: string, paymentMethod = 'pm_card_visa'): Promise<string> {
  const session = await sessionFor(db, customerId);
  const cart = await api.request('POST', '/carts', { headers: session });
  await api.request('POST', `/carts/${cart.body.id}/items`, { headers: session, body: { sku: 'MUG-1', quantity: 2 } });
  await api.request('POST', `/carts/${cart.body.id}/items`, { headers: session, body: { sku: 'TEE-1', quantity: 1 } });
  const res = await api.request('POST', `/carts/${cart.body.id}/checkout`, {
    headers: { ...session, 'Idempotency-Key': randomUUID() },
    body: { email: PERSON.email, phone: PERSON.phone, shippingAddress: PERSON.address, paymentMethod },
  });
  if (res.status !== 202) throw new Error(`checkout answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.orderId;
}

const describeWorkflow = (workflowId: string) => temporal.client.workflow.getHandle(workflowId).describe();

/** The workflow ids a visibility query finds, sorted; polled until they are `expected` (visibility is eventually consistent). */
async function findIds(query: string, expected: string[]): Promise<string[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const ids: string[] = [];
    for await (const wf of temporal.client.workflow.list({ query })) ids.push(wf.workflowId);
    ids.sort();
    if (JSON.stringify(ids) === JSON.stringify([...expected].sort()) || Date.now() > deadline) return ids;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Every text the UI shows of a workflow beside its payloads: search attributes, summaries, details, and its steps' (and timers') summaries. */
async function shownText(workflowId: string): Promise<{ texts: string[]; unsummarised: string[]; currentDetails?: string }> {
  const description = await describeWorkflow(workflowId);
  const texts = description.typedSearchAttributes.getAll().map((pair) => String(pair.value));
  for (const text of [await description.staticSummary(), await description.staticDetails()]) if (text) texts.push(text);
  let currentDetails: string | undefined;
  if (description.status.name === 'RUNNING') {
    currentDetails = (await temporal.client.workflow.getHandle(workflowId)
      .query<{ currentDetails?: string }>('__temporal_workflow_metadata')).currentDetails;
    if (currentDetails) texts.push(currentDetails);
  }
  const unsummarised: string[] = [];
  const events = (await temporal.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  for (const event of events as proto.api.history.v1.IHistoryEvent[]) {
    // Summaries are payloads too, encrypted like the rest: the UI shows them through the codec endpoint.
    const summary = event.userMetadata?.summary
      ? defaultPayloadConverter.fromPayload<string>((await testPayloadCodec().decode([event.userMetadata.summary]))[0]) : undefined;
    if (summary) texts.push(summary);
    const step = event.activityTaskScheduledEventAttributes?.activityType?.name
      ?? event.startChildWorkflowExecutionInitiatedEventAttributes?.workflowType?.name
      ?? (event.timerStartedEventAttributes ? `timer ${event.timerStartedEventAttributes.timerId}` : undefined);
    if (step && !summary) unsummarised.push(step);
  }
  return { texts, unsummarised, currentDetails };
}

/** With RECORD_HISTORIES set, saves these workflows' histories for the replay test (test/replay/record.ts). */
async function recordHistories(ids: string[]): Promise<void> {
  if (!RECORDING) return;
  for (const workflowId of ids) saveHistory(workflowId.split('-')[0], await temporal.client.workflow.getHandle(workflowId).fetchHistory());
}

async function newCustomer(): Promise<string> {
  const [row] = await db.orm.em.fork().getConnection().execute<{ id: string }[]>(
    `insert into customers (email, password_hash, name) values (?, 'x', ?) returning id`, [`${randomUUID().slice(0, 8)}-${PERSON.email}`, PERSON.name]);
  return row.id;
}

it('an order\'s four workflows: found by each search attribute, each with the order\'s status while it runs, every step and timer in plain words, and no personal data', async () => {
  const customerId = await newCustomer();
  const orderId = await placeOrderOf(customerId);
  await waitForOrder(api, orderId, (l) => (l.fulfillment as { stage?: string } | undefined)?.stage === 'allocated');
  const ids = { checkout: workflowIds.checkout(orderId), payment: workflowIds.payment(orderId), fulfillment: workflowIds.fulfillment(orderId) };

  // Waiting for the warehouse: the checkout and its running fulfillment carry the status; the finished payment no longer does.
  expect(await findIds(`OrderStatus = "awaiting_fulfillment" AND OrderId = "${orderId}"`, [ids.checkout, ids.fulfillment]))
    .toEqual([ids.checkout, ids.fulfillment].sort());
  const payment = (await describeWorkflow(ids.payment)).typedSearchAttributes;
  expect({ orderId: payment.get(OrderIdAttr), customerId: payment.get(CustomerIdAttr), total: payment.get(OrderTotalAttr), status: payment.get(OrderStatusAttr) })
    .toEqual({ orderId, customerId, total: 4900, status: undefined });
  const waiting = await shownText(ids.fulfillment);
  expect(waiting.currentDetails).toMatch(/^Waiting since \d{4}-\d\d-\d\dT.* for warehouse WH-1 to pack order /);

  const shipmentId = await shipOrder(api, db, orderId);
  const all = [...Object.values(ids), workflowIds.shipment(shipmentId)].sort();
  const running = [ids.checkout, workflowIds.shipment(shipmentId)].sort();

  // A visibility query by each search attribute finds the order's workflows.
  expect(await findIds(`OrderId = "${orderId}"`, all)).toEqual(all);
  expect(await findIds(`CustomerId = "${customerId}"`, all)).toEqual(all);
  expect(await findIds(`OrderTotal = 4900 AND CustomerId = "${customerId}"`, all)).toEqual(all);
  expect(await findIds(`OrderStatus = "shipped" AND CustomerId = "${customerId}"`, running)).toEqual(running);
  expect(await findIds(`OrderStatus = "awaiting_fulfillment" AND CustomerId = "${customerId}"`, [])).toEqual([]);
  expect(await findIds(`ShipmentStatus = "label_created" AND CustomerId = "${customerId}"`, [workflowIds.shipment(shipmentId)]))
    .toEqual([workflowIds.shipment(shipmentId)]);

  const tracking = (await describeWorkflow(workflowIds.shipment(shipmentId))).typedSearchAttributes;
  expect(Object.fromEntries(SEARCH_ATTRIBUTES.map((key) => [key.name, tracking.get(key)]))).toEqual({
    OrderId: orderId, CustomerId: customerId, OrderStatus: 'shipped', OrderTotal: 4900, ShipmentStatus: 'label_created' });
  expect((await describeWorkflow(ids.fulfillment)).typedSearchAttributes.get(OrderStatusAttr)).toBeUndefined();
  expect((await describeWorkflow(ids.checkout)).typedSearchAttributes.get(ShipmentStatusAttr)).toBeUndefined();

  for (const workflowId of all) {
    const shown = await shownText(workflowId);
    expect({ workflowId, unsummarised: shown.unsummarised }).toEqual({ workflowId, unsummarised: [] });
    if (running.includes(workflowId)) expect({ workflowId, details: shown.currentDetails }).toEqual({ workflowId, details: expect.stringMatching(/\d{4}-\d\d-\d\dT/) });
    const leaks = shown.texts.filter((text) => PERSONAL.some((personal) => text.toLowerCase().includes(personal.toLowerCase())));
    expect({ workflowId, leaks }).toEqual({ workflowId, leaks: [] });
  }
  // The summaries do name what each step does, for whom (by order id).
  const checkoutSteps = (await shownText(ids.checkout)).texts;
  expect(checkoutSteps).toEqual(expect.arrayContaining([`Reserve 3 items for order ${orderId}`, `Authorize 49.00 USD for order ${orderId}`,
    `Pick, pack and ship 3 items of order ${orderId}`, `SMS "order_confirmed" for order ${orderId}`]));

  // Delivered: the tracking has ended and left the status to the checkout, which stays open to support.
  const delivered = await api.request('POST', `/admin/shipments/${shipmentId}/carrier-events`, { headers: staff, body: { status: 'delivered', reason: 'signed for' } });
  expect(delivered.status).toBe(200);
  await waitForOrder(api, orderId, (l) => l.status === 'delivered');
  expect(await findIds(`OrderStatus = "delivered" AND CustomerId = "${customerId}"`, [ids.checkout])).toEqual([ids.checkout]);
  const ended = (await describeWorkflow(workflowIds.shipment(shipmentId))).typedSearchAttributes;
  expect({ status: ended.get(OrderStatusAttr), shipment: ended.get(ShipmentStatusAttr) }).toEqual({ status: undefined, shipment: 'delivered' });
  for (const workflowId of [ids.checkout, workflowIds.shipment(shipmentId)]) {
    const shown = await shownText(workflowId);
    const leaks = shown.texts.filter((text) => PERSONAL.some((personal) => text.toLowerCase().includes(personal.toLowerCase())));
    expect({ workflowId, leaks, unsummarised: shown.unsummarised }).toEqual({ workflowId, leaks: [], unsummarised: [] });
  }
  expect((await shownText(ids.checkout)).texts).toContain('Stay open to support for 30 days after delivery');
  await recordHistories(all);
});

it('an order waiting for 3-D Secure: its checkout and its payment say so, and the payment says since when', async () => {
  const orderId = await placeOrderOf(await newCustomer(), 'pm_card_authenticationRequired');
  const ids = [workflowIds.checkout(orderId), workflowIds.payment(orderId)].sort();
  expect(await findIds(`OrderStatus = "awaiting_payment_action" AND OrderId = "${orderId}"`, ids)).toEqual(ids);
  const shown = await shownText(workflowIds.payment(orderId));
  expect(shown.currentDetails).toMatch(/^Waiting since \d{4}-\d\d-\d\dT.*, for up to 15 minutes, for the customer to complete 3-D Secure \(payment pi_sim_\w+\)$/);
  expect(shown.texts.filter((text) => PERSONAL.some((personal) => text.toLowerCase().includes(personal.toLowerCase())))).toEqual([]);
  await recordHistories(ids);
});
