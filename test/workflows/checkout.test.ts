import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowFailedError } from '@temporalio/client';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { createTimeSkippingEnv } from '../support/temporal';
import { checkoutInputOf, orderFacts, placeTestOrder, realActivities, seedCheckoutCatalog, startWorker } from '../support/checkout';
import { checkout } from '../../workflows/checkout';
import { statusQuery, workflowIds } from '../../workflows/definitions';

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

it('a paid order reserves its stock, confirms, tells the customer and awaits fulfilment', async () => {
  const placed = await placeTestOrder(db, { phone: '+447700900123' });
  const { worker, taskQueue, run } = await startWorker(env, realActivities(db));
  const handle = await env.client.workflow.start(checkout, { taskQueue, workflowId: workflowIds.checkout(placed.orderId), args: [checkoutInputOf(placed)] });
  await waitFor(async () => (await handle.query(statusQuery)).status === 'awaiting_fulfillment');
  const state = await handle.query(statusQuery);
  expect(state.payment.status).toBe('authorized');
  expect(state.timeline.filter((t) => t.status === 'completed').map((t) => t.step))
    .toEqual(['reserve_stock', 'authorize_payment', 'confirm_order', 'send_confirmation', 'hand_over_to_fulfillment']);
  const facts = await orderFacts(db, placed.orderId);
  expect(facts.order.status).toBe('awaiting_fulfillment');
  expect(facts.reservations).toEqual([{ sku: 'MUG-1', quantity: 2, status: 'reserved' }, { sku: 'TEE-1', quantity: 1, status: 'reserved' }]);
  expect(facts.payments).toEqual([expect.objectContaining({ status: 'authorized' })]);
  expect(facts.intents).toHaveLength(1);
  expect(facts.outbox).toEqual([{ template: 'order_confirmed', channel: 'email', status: 'sent' }, { template: 'order_confirmed', channel: 'sms', status: 'sent' }]);
  await handle.terminate('test over');
  worker.shutdown();
  await run;
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('condition not met in time');
}
void WorkflowFailedError;
