/**
 * The yardstick: the checkout saga's happy path with the business taken out. As many activities
 * as a checkout runs when the card is accepted (workflows/checkout.ts, payment.ts and the first
 * step of fulfillment.ts), in the same places, and the same child workflows, but every activity
 * does nothing and is an ordinary (not local) activity:
 *
 *   checkout                               bare
 *   reserveStock                           step 1
 *   payment child:                         bareChild:
 *     authorizePayment                       step 2
 *   setOrderStatus(confirmed)              step 3
 *   sendOrderNotification(email)           step 4
 *   setOrderStatus(awaiting_…)             step 5
 *   fulfillment child:                      bareFulfillment:
 *     allocateToWarehouse                    step 6
 *     progress signal to the parent          progress signal to the parent
 *     (then waits for the warehouse)         (then ends)
 *
 * A checkout is "done" for the load generator at step 5 (the order reads awaiting_fulfillment);
 * its fulfillment child starts right after, so that work falls inside the measured window too.
 * A bare run is done when it ends, after its fulfillment mirror.
 *
 * Bundled on its own and run by its own worker and task queue (bench/checkout/worker-process.ts),
 * beside the real worker, with the same worker options.
 */
import { defineSignal, executeChild, getExternalWorkflowHandle, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { BareActivities } from './bare-activities';

// The same timeout the checkout's database steps get (workflows/policies.ts DB_STEP); never reached.
const { step } = proxyActivities<BareActivities>({ startToCloseTimeout: '30 seconds' });

const progressSignal = defineSignal<[string]>('progress');

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
  if (stage !== 'allocated') throw new Error(`bare-fulfillment-${orderId} did not report its allocation`);
}

export async function bareChild(orderId: string): Promise<void> {
  await step(orderId, 'authorize');
}

export async function bareFulfillment(orderId: string): Promise<void> {
  await step(orderId, 'allocate');
  const parent = workflowInfo().parent;
  if (parent) await getExternalWorkflowHandle(parent.workflowId).signal(progressSignal, 'allocated');
}
