/**
 * A cancel that lands between the hand-over and the moment the fulfillment workflow exists.
 * The window is a few milliseconds in production; a test-only interceptor holds the child's start
 * for two seconds so the cancel lands in it every time (test/support/workflow-interceptors).
 */
import { bundleWorkflowCode } from '@temporalio/worker';
import { WorkflowNotFoundError } from '@temporalio/client';
import { type TestDatabase } from '../support/db';
import { startApiWorld, stopApiWorld, type TestApi, type TestWorker } from '../support/api';
import { orderFacts } from '../support/checkout';
import { placeOrder, staff, waitForOrder } from '../support/orders-api';
import { connectClient } from '../../src/temporal/client';
import { workflowIds } from '../../src/contracts/temporal';
import { testTarget } from '../support/temporal';

let db: TestDatabase;
let worker: TestWorker;
let api: TestApi;

beforeAll(async () => {
  const bundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    workflowInterceptorModules: [require.resolve('../support/workflow-interceptors/slow-fulfillment-start')],
    logger: { trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: console.error, log: () => undefined },
  });
  ({ db, worker, api } = await startApiWorld({ stock: 100, workflowBundle: { code: bundle.code } }));
}, 60_000);
afterAll(async () => {
  await stopApiWorld({ api, worker, db });
});

it('waits for the fulfillment workflow to exist, then stops it: the order is cancelled, not refused', async () => {
  const { orderId } = await placeOrder(api, db);
  await waitForOrder(api, orderId, (live) => (live.timeline as { step: string; status: string }[])
    .some((t) => t.step === 'fulfil' && t.status === 'started'));

  // The window this test is about: checkout has begun fulfillment, the child does not exist yet.
  const temporal = await connectClient(testTarget());
  try {
    await expect(temporal.client.workflow.getHandle(workflowIds.fulfillment(orderId)).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);

    const res = await api.request('POST', `/orders/${orderId}/cancel`, { headers: staff, body: { reason: 'fraud check failed' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(expect.objectContaining({ status: 'cancelled', pendingCompensations: [] }));

    // The warehouse's workflow was started after all, took the cancel and ended before dispatch.
    expect(await temporal.client.workflow.getHandle(workflowIds.fulfillment(orderId)).result()).toEqual({ outcome: 'cancelled' });
    const facts = await orderFacts(db, orderId);
    expect(facts.order.status).toBe('cancelled');
    expect(facts.payments).toEqual([expect.objectContaining({ status: 'voided' })]);
    expect(facts.reservations.every((r: { status: string }) => r.status === 'released')).toBe(true);
  } finally {
    await temporal.connection.close();
  }
});
