/**
 * Support actions on a live order, beside cancel / hold / release / address (order-handlers.ts):
 * refund captured money, send a customer message again, unstick a payment whose 3-D Secure outcome
 * never arrived, and note in the timeline what support did elsewhere. Each update has a validator
 * that says why it refuses; each accepted action is recorded in the order's timeline with who
 * asked and why. A refusal found by an activity (e.g. more than is left to refund) fails the
 * update with that reason; the order itself carries on untouched.
 */
import {
  ActivityFailure, ApplicationFailure, condition, currentUpdateInfo, getExternalWorkflowHandle, proxyActivities, setHandler,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { Template } from '../src/domain/templates';
import { refundRefusal, resendRefusal, retryPaymentRefusal } from '../src/domain/support';
import { isDispatching } from '../src/domain/order';
import { ErrorCode } from '../src/domain/errors';
import { paymentEventSignal, type PaymentEvent } from '../src/contracts/payment';
import { refundPaymentUpdate, resendNotificationUpdate, retryPaymentUpdate, supportNoteSignal } from '../src/contracts/support';
import { workflowIds } from '../src/contracts/temporal';
import type { ActorReason } from '../src/contracts/order';
import type { OrderControl } from './checkout-state';
import { describeMoney } from '../src/domain/format';
import { DB_STEP, NOTIFICATION_CALL, PROVIDER_CALL } from './policies';
import { refuseIf, requireReason } from './refusals';

/** The payment provider: refunds, and asking it how a stuck 3-D Secure ended. */
const payments = proxyActivities<Activities>(PROVIDER_CALL);
/** The outbox: a message re-opened for one more send. */
const outbox = proxyActivities<Activities>(DB_STEP);
const messages = proxyActivities<Activities>(NOTIFICATION_CALL);

/** retry-payment answers once the payment workflow has taken the provider's answer, or after this long with the state so far. */
const RETRY_ANSWER_CAP = '30 seconds';

export function registerSupportHandlers(order: OrderControl): void {
  handleRefunds(order);
  handleResends(order);
  handlePaymentRetries(order);
  setHandler(supportNoteSignal, (note) => {
    order.record(`support_${note.action}`, 'completed', `by ${note.actor}: ${note.detail}`);
  });
}

function handleRefunds(order: OrderControl): void {
  const { state } = order;
  setHandler(refundPaymentUpdate, async (request) => {
    const what = request.lines ? request.lines.map((l) => `${l.quantity} x ${l.sku}`).join(', ')
      : request.amount !== undefined && request.currency ? describeMoney(request.amount, request.currency)
      : request.amount !== undefined ? `${request.amount} (minor units)` : 'what is left';
    const outcome = await refusing(order, 'refund', request, () => payments.refundPayment.executeWithOptions(
      { summary: `Refund ${what} of order ${state.orderId}` },
      [{ orderId: state.orderId, amount: request.amount, ...(request.lines ? { lines: request.lines } : {}), reason: request.reason, requestId: requestId() }]));
    state.refunds = [...(state.refunds ?? []), { amount: outcome.refunded, currency: outcome.currency, by: request.actor, reason: request.reason,
      at: new Date().toISOString(), refundRef: outcome.refundRef }];
    const sum = `${describeMoney(outcome.refundedAmount, outcome.currency)} of ${describeMoney(outcome.capturedAmount, outcome.currency)} refunded in all`;
    // A card refund the provider accepts as pending has not gone back yet: its webhook settles it (src/store/refunds.ts).
    order.record('refund', 'completed', outcome.status === 'pending'
      ? `${by(request)} (refund of ${describeMoney(outcome.refunded, outcome.currency)} pending at the payment provider; ${sum} so far)`
      : `${by(request)} (refunded ${describeMoney(outcome.refunded, outcome.currency)}; ${sum})`);
    return outcome;
  }, {
    validator: (request) => {
      requireReason(request);
      const dispatching = isDispatching(state.status, state.fulfillment?.stage);
      refuseIf(refundRefusal(state.orderId, { status: state.status, dispatching, rollingBack: order.rollingBack, amount: request.amount }));
    },
  });
}

function handleResends(order: OrderControl): void {
  const { state } = order;
  setHandler(resendNotificationUpdate, async (request) => {
    const { template, channel } = request;
    // The occurrence re-opened (the latest unless support named one) is the one sent.
    const { reason, occurrence } = await refusing(order, 'resend_notification', request, () => outbox.reopenNotificationForResend.executeWithOptions(
      { summary: `Re-open the ${channel} "${template}" of order ${state.orderId} for one more send` },
      [{ orderId: state.orderId, template, channel, occurrence: request.occurrence, requestId: requestId(), actor: request.actor, reason: request.reason }]));
    const which = occurrence > 1 ? ` #${occurrence}` : '';
    const sent = await messages.sendOrderNotification.executeWithOptions(
      { summary: `Send the ${channel} "${template}"${which} of order ${state.orderId} again` },
      [{ orderId: state.orderId, template: template as Template, channel, reason, occurrence }]);
    order.record('resend_notification', 'completed', `${by(request)} (${channel} "${template}"${which}: ${sent.status})`);
    return { template, channel, occurrence, status: sent.status, messageId: sent.messageId };
  }, {
    validator: (request) => {
      requireReason(request);
      refuseIf(resendRefusal(request?.template, request?.channel, request?.occurrence));
    },
  });
}

function handlePaymentRetries(order: OrderControl): void {
  const { state } = order;
  setHandler(retryPaymentUpdate, async (request) => {
    const check = await refusing(order, 'retry_payment', request, () => payments.checkPaymentWithProvider.executeWithOptions(
      { summary: `Ask the payment provider whether 3-D Secure of order ${state.orderId} was completed` }, [state.orderId]));
    const event = providerEvent(check.providerRef, check.status);
    if (!event) {
      order.record('retry_payment', 'skipped', `${by(request)} (the provider still waits for the customer's 3-D Secure)`);
      throw ApplicationFailure.create({ type: ErrorCode.ActionRefused, nonRetryable: true, message: `the customer has not completed 3-D Secure for `
        + `order ${state.orderId} yet (payment ${check.providerRef}); there is nothing to retry, and it times out by itself` });
    }
    // Exactly what the provider's webhook would have delivered; the payment workflow keeps one of each event id.
    await getExternalWorkflowHandle(workflowIds.payment(state.orderId)).signal(paymentEventSignal, event);
    order.record('retry_payment', 'completed', `${by(request)} (the provider says ${check.status}; passed to the payment)`);
    await condition(() => state.payment.status !== 'requires_action' || order.rollingBack, RETRY_ANSWER_CAP,
      { summary: 'Answer once the payment has taken the provider\'s answer' });
    return state;
  }, {
    validator: (request) => {
      requireReason(request);
      refuseIf(retryPaymentRefusal(state.orderId, state.status, state.payment.status));
    },
  });
}

/** Runs an activity; a refusal it reports (a non-retryable domain error) fails the update with its reason, recorded in the timeline. */
async function refusing<T>(order: OrderControl, step: string, request: ActorReason, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    const cause = err instanceof ActivityFailure ? err.cause : undefined;
    if (!(cause instanceof ApplicationFailure) || !cause.nonRetryable) throw err;
    order.record(step, 'failed', `${by(request)} (refused: ${cause.message})`);
    throw ApplicationFailure.create({ type: cause.type ?? ErrorCode.ActionRefused, message: cause.message, nonRetryable: true });
  }
}

function by(request: ActorReason): string {
  return `by ${request.actor}: ${request.reason}`;
}

/** The update's own id: the CLI and the staff routes set it per request, so a retried request is the same request. */
function requestId(): string {
  const info = currentUpdateInfo();
  if (!info) throw ApplicationFailure.nonRetryable('a support action runs inside an update');
  return info.id;
}

function providerEvent(providerRef: string, status: string): PaymentEvent | undefined {
  const eventId = `support-recheck-${providerRef}-${status}`;
  if (status === 'authorized' || status === 'captured') return { eventId, type: 'payment_intent.amount_capturable_updated', providerRef };
  if (status === 'declined' || status === 'canceled') return { eventId, type: 'payment_intent.payment_failed', providerRef, declineCode: 'authentication_failed' };
  return undefined;
}
