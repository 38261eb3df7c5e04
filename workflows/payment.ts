/**
 * payment-<orderId>: authorizes the order's payment (manual capture). When the bank asks for
 * customer action (3-D Secure), it waits for the provider's event, delivered as a signal, raced
 * against a timeout; on timeout it voids the attempt. Events are buffered from the first moment,
 * so one that arrives before the workflow starts waiting is not lost.
 */
import { condition, getExternalWorkflowHandle, patched, proxyActivities, setCurrentDetails, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { paymentEventSignal, paymentStatusQuery, type PaymentEvent, type PaymentInput, type PaymentProgress, type PaymentResult } from '../src/contracts/payment';
import { paymentProgressSignal } from '../src/contracts/order';
import { PROVIDER_CALL, COMPENSATION, DB_STEP } from './policies';
import { describeMoney } from '../src/domain/format';
import { withOrderStatus, type ChildOrderStatus } from './order-status';

const provider = proxyActivities<Activities>(PROVIDER_CALL);
const db = proxyActivities<Activities>(DB_STEP);
const undo = proxyActivities<Activities>(COMPENSATION);

const AUTHORIZED_EVENTS: PaymentEvent['type'][] = ['payment_intent.amount_capturable_updated', 'payment_intent.succeeded'];
const FAILED_EVENTS: PaymentEvent['type'][] = ['payment_intent.payment_failed', 'payment_intent.canceled'];

export async function payment(input: PaymentInput): Promise<PaymentResult> {
  return withOrderStatus('pending', (orderStatus) => authorize(input, orderStatus));
}

async function authorize(input: PaymentInput, orderStatus: ChildOrderStatus): Promise<PaymentResult> {
  const events: PaymentEvent[] = [];
  let progress: PaymentProgress = { status: 'pending' };
  setHandler(paymentEventSignal, (event) => {
    if (!events.some((e) => e.eventId === event.eventId)) events.push(event); // providers redeliver: keep one of each
  });
  setHandler(paymentStatusQuery, () => progress);
  const report = async (next: PaymentProgress, tellParent = true) => {
    progress = next;
    const parent = workflowInfo().parent;
    if (parent && tellParent) await getExternalWorkflowHandle(parent.workflowId).signal(paymentProgressSignal, next);
  };

  setCurrentDetails(`Authorizing ${describeMoney(input.amount, input.currency)} with the payment provider (since ${new Date().toISOString()})`);
  const auth = await provider.authorizePayment.executeWithOptions(
    { summary: `Authorize ${describeMoney(input.amount, input.currency)} for order ${input.orderId}` },
    [{ orderId: input.orderId, amount: input.amount, currency: input.currency, paymentMethod: input.paymentMethod }],
  );
  if (auth.status === 'authorized') return finish(report, { status: 'authorized', providerRef: auth.providerRef });
  if (auth.status === 'declined') {
    return finish(report, { status: 'declined', providerRef: auth.providerRef, declineCode: auth.declineCode, message: auth.message });
  }

  await report({ status: 'requires_action', providerRef: auth.providerRef, nextAction: auth.nextAction });
  orderStatus.set('awaiting_payment_action');
  setCurrentDetails(`Waiting since ${new Date().toISOString()}, for up to ${input.actionTimeout}, for the customer to complete 3-D Secure (payment ${auth.providerRef})`);
  const outcome = () => events.find((e) => e.providerRef === auth.providerRef && [...AUTHORIZED_EVENTS, ...FAILED_EVENTS].includes(e.type));
  const arrived = await condition(() => outcome() !== undefined, input.actionTimeout, { summary: 'Wait for the customer to complete 3-D Secure' });

  if (!arrived) {
    await undo.voidOrRefundPayment.executeWithOptions(
      { summary: `Void the unfinished 3-D Secure payment of order ${input.orderId}` }, [input.orderId, '3-D Secure was not completed in time']);
    return finish(report, { status: 'failed', providerRef: auth.providerRef, declineCode: 'authentication_timeout',
      message: `3-D Secure was not completed within ${input.actionTimeout}.` });
  }
  const event = outcome() as PaymentEvent;
  if (AUTHORIZED_EVENTS.includes(event.type)) {
    await db.recordPaymentOutcome.executeWithOptions({ summary: `Record the 3-D Secure approval of order ${input.orderId}` }, [input.orderId, 'authorized']);
    return finish(report, { status: 'authorized', providerRef: auth.providerRef });
  }
  const declineCode = event.declineCode ?? 'authentication_failed';
  await db.recordPaymentOutcome.executeWithOptions({ summary: `Record the failed 3-D Secure of order ${input.orderId}` }, [input.orderId, 'declined', declineCode]);
  return finish(report, { status: 'declined', providerRef: auth.providerRef, declineCode, message: '3-D Secure was not passed.' });
}

/**
 * Payments started since: the outcome reaches the parent as this workflow's result only. A closing
 * progress signal as well cost each workflow a task and the order ~100 ms (bench/checkout).
 */
const RESULT_ONLY_PATCH = 'payment-outcome-by-result';

async function finish(report: (p: PaymentProgress, tellParent?: boolean) => Promise<void>, result: PaymentResult): Promise<PaymentResult> {
  await report({ status: result.status, providerRef: result.providerRef, declineCode: result.declineCode }, !patched(RESULT_ONLY_PATCH));
  setCurrentDetails(`Payment ${result.status}`);
  return result;
}
