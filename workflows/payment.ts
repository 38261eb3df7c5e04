/**
 * payment-<orderId>: authorizes the order's payment (manual capture). When the bank asks for
 * customer action (3-D Secure), it waits for the provider's event, delivered as a signal, raced
 * against a timeout; on timeout it voids the attempt. Events are buffered from the first moment,
 * so one that arrives before the workflow starts waiting is not lost.
 */
import { condition, getExternalWorkflowHandle, proxyActivities, setCurrentDetails, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { paymentEventSignal, paymentStatusQuery, type PaymentEvent, type PaymentInput, type PaymentProgress, type PaymentResult } from '../src/contracts/payment';
import { paymentProgressSignal } from '../src/contracts/order';
import { PROVIDER_CALL, COMPENSATION, DB_STEP } from './policies';
import { describeMoney } from '../src/domain/format';
import { withOrderStatus, type ChildOrderStatus } from './order-status';

/** The payment provider: the authorization itself. */
const payments = proxyActivities<Activities>(PROVIDER_CALL);
/** The payment row: the 3-D Secure outcome the provider's event brought. */
const paymentRecord = proxyActivities<Activities>(DB_STEP);
/** Voiding an attempt the customer never finished: retried until it is done. */
const rollback = proxyActivities<Activities>(COMPENSATION);

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
  /** While the payment waits for the customer, the order hears of it at once; its outcome reaches the order as this workflow's result. */
  const tellOrder = async (next: PaymentProgress) => {
    progress = next;
    const parent = workflowInfo().parent;
    if (parent) await getExternalWorkflowHandle(parent.workflowId).signal(paymentProgressSignal, next);
  };
  const finish = (result: PaymentResult): PaymentResult => {
    progress = { status: result.status, providerRef: result.providerRef, declineCode: result.declineCode };
    setCurrentDetails(`Payment ${result.status}`);
    return result;
  };

  setCurrentDetails(`Authorizing ${describeMoney(input.amount, input.currency)} with the payment provider (since ${new Date().toISOString()})`);
  const auth = await payments.authorizePayment.executeWithOptions(
    { summary: `Authorize ${describeMoney(input.amount, input.currency)} for order ${input.orderId}` },
    [{ orderId: input.orderId, amount: input.amount, currency: input.currency, paymentMethod: input.paymentMethod }],
  );
  if (auth.status === 'authorized') return finish({ status: 'authorized', providerRef: auth.providerRef });
  if (auth.status === 'declined') {
    return finish({ status: 'declined', providerRef: auth.providerRef, declineCode: auth.declineCode, message: auth.message });
  }

  await tellOrder({ status: 'requires_action', providerRef: auth.providerRef, nextAction: auth.nextAction });
  orderStatus.set('awaiting_payment_action');
  setCurrentDetails(`Waiting since ${new Date().toISOString()}, for up to ${input.actionTimeout}, for the customer to complete 3-D Secure (payment ${auth.providerRef})`);
  const outcome = () => events.find((e) => e.providerRef === auth.providerRef && [...AUTHORIZED_EVENTS, ...FAILED_EVENTS].includes(e.type));
  const arrived = await condition(() => outcome() !== undefined, input.actionTimeout, { summary: 'Wait for the customer to complete 3-D Secure' });

  if (!arrived) {
    await rollback.voidOrRefundPayment.executeWithOptions(
      { summary: `Void the unfinished 3-D Secure payment of order ${input.orderId}` }, [input.orderId, '3-D Secure was not completed in time']);
    return finish({ status: 'failed', providerRef: auth.providerRef, declineCode: 'authentication_timeout',
      message: `3-D Secure was not completed within ${input.actionTimeout}.` });
  }
  const event = outcome() as PaymentEvent;
  if (AUTHORIZED_EVENTS.includes(event.type)) {
    await paymentRecord.recordPaymentOutcome.executeWithOptions({ summary: `Record the 3-D Secure approval of order ${input.orderId}` }, [input.orderId, 'authorized']);
    return finish({ status: 'authorized', providerRef: auth.providerRef });
  }
  const declineCode = event.declineCode ?? 'authentication_failed';
  await paymentRecord.recordPaymentOutcome.executeWithOptions({ summary: `Record the failed 3-D Secure of order ${input.orderId}` }, [input.orderId, 'declined', declineCode]);
  return finish({ status: 'declined', providerRef: auth.providerRef, declineCode, message: '3-D Secure was not passed.' });
}
