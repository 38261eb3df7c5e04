/**
 * The yardstick: the checkout saga's happy path with the business taken out. As many activities
 * as a checkout runs when the card is accepted (workflows/checkout.ts and workflows/payment.ts),
 * in the same places, and the same child workflow, but every activity does nothing:
 *
 *   checkout                      bare
 *   reserveStock                  step 1
 *   payment child:                bareChild:
 *     authorizePayment              step 2
 *   setOrderStatus(confirmed)     step 3
 *   sendOrderNotification(email)  step 4
 *   setOrderStatus(awaiting_…)    step 5
 *
 * Bundled on its own and run by its own worker and task queue (bench/checkout/worker-process.ts),
 * beside the real worker, with the same worker options.
 */
import { executeChild, proxyActivities } from '@temporalio/workflow';
import type { BareActivities } from './bare-activities';

// The same timeout the checkout's database steps get (workflows/policies.ts DB_STEP); never reached.
const { step } = proxyActivities<BareActivities>({ startToCloseTimeout: '30 seconds' });

export async function bare(orderId: string): Promise<void> {
  await step(orderId, 'reserve');
  await executeChild(bareChild, { workflowId: `bare-payment-${orderId}`, args: [orderId] });
  await step(orderId, 'confirm');
  await step(orderId, 'notify');
  await step(orderId, 'hand_over');
}

export async function bareChild(orderId: string): Promise<void> {
  await step(orderId, 'authorize');
}
