/**
 * Hold, release and cancel at every point of the pipeline, each history replayed. An order runs from
 * placement to dispatch through activities and local activities, each of which ends one workflow task
 * and starts the next (children start, report and end right after one of them). Here every such
 * step is held open in turn while support holds and then releases the order, or cancels it; then
 * the step finishes, the order runs to its end (dispatched, or cancelled and rolled back), and
 * every history it left (checkout, payment, fulfillment) must replay against the workflow code.
 *
 * A local activity holds its workflow task while it runs: here it runs longer than the task's
 * heartbeat (80% of the 3 s task timeout this test gives the order), so its result is carried into
 * a new workflow task, the moment an update that arrived meanwhile can make a replay take another
 * path (seen with SDK 1.24). On the dev server, with real time.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { connectDevServerEnv, testDataConverter, workflowBundle } from '../support/temporal';
import { checkoutInputOf, placeTestOrder, realActivities, seedCheckoutCatalog, startWorker } from '../support/checkout';
import type { Activities } from '../../activities';
import { checkout } from '../../workflows/checkout';
import { cancelOrderUpdate, holdOrderUpdate, releaseOrderUpdate } from '../../src/contracts/order';
import { OrderStatusAttr, workflowIds } from '../../src/contracts/temporal';

jest.setTimeout(120_000);

let env: TestWorkflowEnvironment;
let db: TestDatabase;

beforeAll(async () => {
  [env, db] = await Promise.all([connectDevServerEnv(), createTestDatabase()]);
  await seedCheckoutCatalog(db, 1000);
});
afterAll(async () => {
  await env?.teardown();
  await db?.drop();
});

/** The steps an order runs up to dispatch, in order (the nth call of an activity, local ones marked). */
const POINTS: { activity: keyof Activities; nth?: number; local?: boolean; what: string }[] = [
  { activity: 'reserveStock', what: 'reserving the stock' },
  { activity: 'authorizePayment', what: 'authorizing the payment (payment child)' },
  { activity: 'setOrderStatus', nth: 0, local: true, what: 'marking the order confirmed (local)' },
  { activity: 'sendOrderNotification', nth: 0, what: 'sending the confirmation' },
  { activity: 'setOrderStatus', nth: 1, local: true, what: 'handing the order over to fulfillment (local)' },
  { activity: 'allocateToWarehouse', local: true, what: 'allocating to a warehouse (fulfillment child, local)' },
  { activity: 'recordPacked', local: true, what: 'recording the parcel packed (local)' },
  { activity: 'buyShippingLabel', what: 'buying the label' },
  { activity: 'capturePayment', what: 'capturing the payment at dispatch' },
  { activity: 'commitStock', local: true, what: 'committing the stock (local)' },
  { activity: 'recordShipped', local: true, what: 'marking the order shipped (local)' },
];
const ACTIONS = ['hold, then release', 'cancel'] as const;
const WORKFLOW_TASK_TIMEOUT_MS = 3_000;
const BY = { actor: 'support:boundaries', reason: 'boundary test' };

/** Holds the nth call of one activity until opened; says when that call has begun. */
function gate(activities: Activities, name: keyof Activities, nth: number) {
  let reached!: () => void;
  let open!: () => void;
  const reachedP = new Promise<void>((resolve) => { reached = resolve; });
  const openP = new Promise<void>((resolve) => { open = resolve; });
  const real = activities[name] as (...args: unknown[]) => Promise<unknown>;
  let calls = 0;
  const gated = { ...activities, [name]: async (...args: unknown[]) => {
    if (calls++ === nth) {
      reached();
      await openP;
    }
    return real(...args);
  } } as Activities;
  return { activities: gated, reached: reachedP, open };
}

/** An update's answer, or the reason it was refused (a step past which it no longer applies). */
async function settle(update: Promise<unknown>): Promise<'done' | 'refused'> {
  try {
    await update;
    return 'done';
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) return 'refused';
    throw err;
  }
}

async function orderStatus(orderId: string): Promise<string> {
  const [row] = await db.orm.em.fork().getConnection().execute<{ status: string }[]>('select status from orders where id = ?', [orderId]);
  return row.status;
}

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)} after 60 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const cases = POINTS.flatMap((point) => ACTIONS.map((action) => ({ ...point, action })));

it.each(cases)('$action while $what: the order ends consistently and its histories replay', async ({ activity, nth = 0, local, action }) => {
  const placed = await placeTestOrder(db);
  const held = gate(realActivities(db), activity, nth);
  const { worker, taskQueue, run } = await startWorker(env, held.activities);
  const handle: WorkflowHandle<typeof checkout> = await env.client.workflow.start(checkout, {
    taskQueue, workflowId: workflowIds.checkout(placed.orderId), args: [checkoutInputOf(placed, '15 minutes', { autoPack: true })],
    workflowTaskTimeout: WORKFLOW_TASK_TIMEOUT_MS, typedSearchAttributes: [{ key: OrderStatusAttr, value: 'pending' }],
  });
  try {
    await held.reached;
    const update = action === 'cancel' ? handle.executeUpdate(cancelOrderUpdate, { args: [BY] }) : handle.executeUpdate(holdOrderUpdate, { args: [BY] });
    // Long enough for the update to reach the server while the step runs; a local one outlives its task's heartbeat.
    await new Promise((r) => setTimeout(r, local ? WORKFLOW_TASK_TIMEOUT_MS : 300));
    held.open();
    const answer = await settle(update);
    if (action !== 'cancel' && answer === 'done') expect(await settle(handle.executeUpdate(releaseOrderUpdate, { args: [BY] }))).toBe('done');

    const final = await until(() => orderStatus(placed.orderId), (s) => ['shipped', 'cancelled', 'failed'].includes(s), `order ${placed.orderId}`);
    // A cancel the order took ends it cancelled; one refused (past dispatch), or a hold, lets it ship.
    expect(final).toBe(action === 'cancel' && answer === 'done' ? 'cancelled' : 'shipped');
    if (final === 'shipped') {
      await env.client.workflow.getHandle(workflowIds.fulfillment(placed.orderId)).result();
    } else {
      await until(() => handle.describe().then((d) => d.status.name), (s) => s !== 'RUNNING', 'the cancelled checkout');
    }

    for (const id of [workflowIds.checkout(placed.orderId), workflowIds.payment(placed.orderId), workflowIds.fulfillment(placed.orderId)]) {
      const history = await env.client.workflow.getHandle(id).fetchHistory().catch(() => undefined);
      if (history) await Worker.runReplayHistory({ workflowBundle: workflowBundle(), dataConverter: testDataConverter() }, history, id);
    }
  } finally {
    held.open();
    for (const id of [workflowIds.checkout(placed.orderId), workflowIds.fulfillment(placed.orderId)]) {
      await env.client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
    }
    worker.shutdown();
    await run;
  }
});
