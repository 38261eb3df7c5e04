/**
 * The simulated provider's stand-in for the bank's 3-D Secure page and Stripe's webhook: the
 * customer "authenticates" here, the intent changes state, and the payment workflow receives the
 * event a webhook would have delivered. Mounted only when the simulated provider is in use.
 */
import { z } from 'zod';
import { WorkflowNotFoundError } from '@temporalio/client';
import { DomainError, ErrorCode } from '../../domain/errors';
import type { SimulatedPaymentProvider } from '../../integrations/simulated/payments';
import type { Logger } from '../../logger';
import { paymentEventSignal, type PaymentEvent } from '../../contracts/payment';
import { workflowIds } from '../../contracts/temporal';
import type { AppDeps } from '../deps';
import { route } from '../http';
import { countDecline } from '../rate-limits';

/** The intent states each outcome leaves behind (Stripe's names). */
const STATUS_AFTER: Record<Outcome, string> = { succeeded: 'requires_capture', failed: 'requires_payment_method' };
const NEEDS_ACTION_METHOD = 'pm_card_authenticationRequired';

type Outcome = 'succeeded' | 'failed';

export function simulatedPaymentRoutes(deps: Pick<AppDeps, 'temporal' | 'orm' | 'limits'> & { simulatedPayments: SimulatedPaymentProvider }) {
  const sim = deps.simulatedPayments;
  return [
    route({
      method: 'post', path: '/simulated/payments/:intentId/authenticate', tag: 'simulated provider', access: 'public',
      summary: 'Complete (or fail) the 3-D Secure step of a simulated payment, as the customer would at their bank',
      params: z.strictObject({ intentId: z.string().regex(/^pi_[A-Za-z0-9_]{1,100}$/, 'a payment id such as pi_sim_…') }),
      body: z.strictObject({ outcome: z.enum(['succeeded', 'failed']).meta({ description: 'What the customer did at their bank.' }) }),
      responses: { 200: { description: 'Recorded; the order carries on (authorized) or rolls back (failed)', schema: z.object({
        intentId: z.string(), orderId: z.string(), status: z.string(), outcome: z.enum(['succeeded', 'failed']) }) },
      404: { description: 'No such simulated payment (not_found)' },
      409: { description: 'The payment is not waiting for 3-D Secure (payment_not_awaiting_action)' },
      503: { description: 'The order service did not answer; calling again with the same outcome is safe; see Retry-After' } },
      handler: async (ctx, { params, body }) => {
        const { intentId } = params;
        const intent = await sim.findIntent(intentId);
        if (!intent) {
          throw new DomainError(ErrorCode.NotFound,
            `There is no simulated payment ${intentId}. Use the nextAction url from the checkout response.`, { intentId });
        }
        const completed = await sim.completeAction(intentId, body.outcome);
        // A retry of a call that already went through (same outcome) re-delivers the event; the workflow keeps one of each.
        const alreadyDone = !completed && intent.payment_method === NEEDS_ACTION_METHOD && intent.status === STATUS_AFTER[body.outcome];
        if (!completed && !alreadyDone) {
          throw new DomainError(ErrorCode.PaymentNotAwaitingAction,
            `Payment ${intentId} is not waiting for 3-D Secure (it is ${intent.status.replace(/_/g, ' ')}), so there is nothing to authenticate. `
            + 'It may have timed out, been completed with the other outcome, or never needed authentication.',
            { intentId, status: intent.status });
        }
        const orderId = intent.metadata.orderId;
        await deliverEvent(deps, { orderId, intentId, outcome: body.outcome, redelivery: alreadyDone }, ctx.state.logger as Logger);
        // A failed 3-D Secure counts as a decline against the cart's and customer's limits, once per order.
        if (body.outcome === 'failed') await countDecline(deps.orm.em.fork(), deps.limits, orderId);
        ctx.body = { intentId, orderId, status: completed?.status ?? intent.status, outcome: body.outcome };
      },
    }),
  ];
}

interface Delivery { orderId: string; intentId: string; outcome: Outcome; redelivery: boolean }

async function deliverEvent(deps: Pick<AppDeps, 'temporal'>, { orderId, intentId, outcome, redelivery }: Delivery, log: Logger): Promise<void> {
  const event: PaymentEvent = {
    eventId: `evt_sim_${intentId}_${outcome}`,
    type: outcome === 'succeeded' ? 'payment_intent.amount_capturable_updated' : 'payment_intent.payment_failed',
    providerRef: intentId,
    declineCode: outcome === 'failed' ? 'authentication_failed' : undefined,
  };
  const retry = 'The authentication is recorded; repeat this request to deliver it to the order.';
  const client = deps.temporal.client;
  if (!client) throw new DomainError(ErrorCode.ServiceUnavailable, `The order service is not connected. ${retry}`, { intentId, orderId });
  try {
    await client.workflow.getHandle(workflowIds.payment(orderId)).signal(paymentEventSignal, event);
    log.info({ orderId, intentId, outcome }, '3-D Secure outcome delivered to the payment workflow');
  } catch (err) {
    // A repeat whose payment workflow has already finished: the first delivery was taken, nothing left to do.
    if (err instanceof WorkflowNotFoundError && redelivery) return;
    if (err instanceof WorkflowNotFoundError) {
      throw new DomainError(ErrorCode.PaymentNotAwaitingAction,
        `The payment of order ${orderId} is no longer waiting for 3-D Secure (it timed out or ended); the order's status says what happened.`,
        { intentId, orderId });
    }
    log.error({ err, orderId, intentId }, 'could not signal the payment workflow; answered 503');
    throw new DomainError(ErrorCode.ServiceUnavailable, `The order service did not answer. ${retry}`, { intentId, orderId });
  }
}
