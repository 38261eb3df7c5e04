/**
 * The yardsticks: an order's pipeline with the business taken out, every activity a do-nothing
 * ordinary (not local) activity, run by a worker with the same options as the checkout's.
 *
 * `flat(id, steps)`: one workflow that runs `steps` no-op activities one after another, as many
 * as an order runs from placement to dispatch (activities and local activities, counted by run.ts
 * from the histories of the warm-up orders). What Temporal costs for that much work at the least.
 *
 * `bare(id)`: the order's structure, mirrored step for step (workflows/checkout.ts, payment.ts,
 * fulfillment.ts, happy path with the warehouse packing at once):
 *
 *   checkout                               bare
 *   reserveStock                           step
 *   payment child:                         bareChild:
 *     authorizePayment                       step
 *   setOrderStatus(confirmed)              step
 *   sendOrderNotification(email)           step
 *   setOrderStatus(awaiting_…)             step
 *   fulfillment child:                     bareFulfillment:
 *     allocateToWarehouse, recordPacked      step, step
 *     buyShippingLabel                       step
 *     'dispatching' signal to the parent     signal to the parent
 *     capturePayment, commitStock,           step, step, step
 *     recordShipped
 *     sendOrderNotification(shipped)         step
 *
 * `bareToHandOver(id)`: the same up to the hand-over (the fulfillment mirror allocates, reports and
 * ends), for the topology mode (topology.ts), whose orders stop there.
 *
 * Keep it in step with the saga: when the happy path gains or loses an activity, a child or a
 * signal, change this file to match and say so in the README.
 */
import { defineSignal, executeChild, getExternalWorkflowHandle, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { BareActivities } from './bare-activities';

// The same timeout the checkout's database steps get (workflows/policies.ts DB_STEP); never reached.
const { step } = proxyActivities<BareActivities>({ startToCloseTimeout: '30 seconds' });

const progressSignal = defineSignal<[string]>('progress');

export async function flat(id: string, steps: number): Promise<void> {
  for (let i = 0; i < steps; i++) await step(id, `step ${i + 1}`);
}

export async function bare(orderId: string): Promise<void> {
  let stage = '';
  setHandler(progressSignal, (next) => {
    stage = next;
  });
  await step(orderId, 'reserve');
  await executeChild(bareChild, { workflowId: `bare-payment-${orderId}`, args: [orderId] });
  await step(orderId, 'confirm');
  await step(orderId, 'notify');
  await step(orderId, 'hand_over');
  await executeChild(bareFulfillment, { workflowId: `bare-fulfillment-${orderId}`, args: [orderId] });
  if (stage !== 'dispatching') throw new Error(`bare-fulfillment-${orderId} did not report its dispatch`);
}

export async function bareChild(orderId: string): Promise<void> {
  await step(orderId, 'authorize');
}

export async function bareFulfillment(orderId: string): Promise<void> {
  await step(orderId, 'allocate');
  await step(orderId, 'packed');
  await step(orderId, 'label');
  const parent = workflowInfo().parent;
  if (parent) await getExternalWorkflowHandle(parent.workflowId).signal(progressSignal, 'dispatching');
  for (const name of ['capture', 'commit', 'shipped', 'notify_shipped']) await step(orderId, name);
}

export async function bareToHandOver(orderId: string): Promise<void> {
  let stage = '';
  setHandler(progressSignal, (next) => {
    stage = next;
  });
  await step(orderId, 'reserve');
  await executeChild(bareChild, { workflowId: `bare-payment-${orderId}`, args: [orderId] });
  for (const name of ['confirm', 'notify', 'hand_over']) await step(orderId, name);
  await executeChild(bareFulfillmentStart, { workflowId: `bare-fulfillment-${orderId}`, args: [orderId] });
  if (stage !== 'allocated') throw new Error(`bare-fulfillment-${orderId} did not report its allocation`);
}

export async function bareFulfillmentStart(orderId: string): Promise<void> {
  await step(orderId, 'allocate');
  const parent = workflowInfo().parent;
  if (parent) await getExternalWorkflowHandle(parent.workflowId).signal(progressSignal, 'allocated');
}
