/**
 * checkout-<orderId>: the order's saga, alive from "place order" until it is handed over (and,
 * once fulfilment lands, until delivered or cancelled). Each step registers its undo first; on a
 * failure or a cancel the undos run in reverse (workflows/saga.ts), then the order is marked and
 * the customer told why.
 */
import {
  ApplicationFailure, CancellationScope, condition, executeChild, isCancellation, proxyActivities, setCurrentDetails, workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { Template } from '../src/domain/templates';
import { ErrorCode } from '../src/domain/errors';
import { workflowIds, type CheckoutInput, type OrderState, type PaymentResult } from './definitions';
import { COMPENSATION, DB_STEP, PROVIDER_CALL } from './policies';
import type { Saga } from './saga';
import { payment } from './payment';
import { describeItems, describeMoney } from './format';
import { createOrderState, registerOrderHandlers, type OrderControl } from './checkout-state';

const db = proxyActivities<Activities>(DB_STEP);
const notifications = proxyActivities<Activities>(PROVIDER_CALL);
const undo = proxyActivities<Activities>(COMPENSATION);

export async function checkout(input: CheckoutInput): Promise<OrderState> {
  const work = new CancellationScope();
  const order = createOrderState(input.orderId, work);
  registerOrderHandlers(order, db);
  const saga = order.saga;

  try {
    await work.run(async () => {
      await reserveStock(input, order, saga);
      await order.betweenSteps();
      await authorizePayment(input, order, saga);
      await order.betweenSteps();
      await confirmOrder(input, order);
      await order.betweenSteps();
      await handOverToFulfillment(input, order);
      await order.betweenSteps();
      // Until the fulfilment workflow takes over, the order waits here, still cancellable.
      await condition(() => false);
    });
    return order.state;
  } catch (err) {
    const cancelled = isCancellation(err) && order.cancelRequest !== undefined;
    if (!cancelled) order.fail(err);
    await rollBack(input, order, saga, cancelled);
    if (cancelled) return order.state;
    throw err;
  }
}

async function reserveStock(input: CheckoutInput, order: OrderControl, saga: Saga): Promise<void> {
  saga.add('release_stock', () => undo.releaseStock.executeWithOptions(
    { summary: `Release the stock held for order ${input.orderId}` }, [input.orderId]));
  await order.step('reserve_stock', () => db.reserveStock.executeWithOptions(
    { summary: `Reserve ${describeItems(input.lines)} for order ${input.orderId}` }, [input.orderId, input.lines]));
}

async function authorizePayment(input: CheckoutInput, order: OrderControl, saga: Saga): Promise<void> {
  saga.add('void_or_refund_payment', () => undo.voidOrRefundPayment.executeWithOptions(
    { summary: `Void or refund the payment of order ${input.orderId}` }, [input.orderId, order.state.cancelReason ?? 'order rolled back']));
  const result: PaymentResult = await order.step('authorize_payment', () => executeChild(payment, {
    workflowId: workflowIds.payment(input.orderId),
    args: [{ orderId: input.orderId, amount: input.totalAmount, currency: input.currency, paymentMethod: input.paymentMethod,
      actionTimeout: input.paymentActionTimeout }],
    staticSummary: `Authorize ${describeMoney(input.totalAmount, input.currency)} for order ${input.orderId}`,
    typedSearchAttributes: workflowInfo().typedSearchAttributes,
  }));
  if (result.status !== 'authorized') {
    throw ApplicationFailure.create({ type: ErrorCode.PaymentDeclined, nonRetryable: true,
      message: result.message ?? `The payment for order ${input.orderId} was ${result.status} (${result.declineCode ?? 'no reason given'}).`,
      details: [result] });
  }
  order.setStatus('payment_authorized');
}

async function confirmOrder(input: CheckoutInput, order: OrderControl): Promise<void> {
  await order.step('confirm_order', () => db.setOrderStatus.executeWithOptions(
    { summary: `Mark order ${input.orderId} confirmed` }, [input.orderId, 'confirmed']));
  order.setStatus('confirmed');
  await order.step('send_confirmation', () => notify(notifications, input, 'order_confirmed'));
}

/** Until the fulfilment workflow exists, the hand-over leaves the order awaiting fulfilment; nothing ships. */
async function handOverToFulfillment(input: CheckoutInput, order: OrderControl): Promise<void> {
  await order.step('hand_over_to_fulfillment', () => db.setOrderStatus.executeWithOptions(
    { summary: `Mark order ${input.orderId} awaiting fulfilment` }, [input.orderId, 'awaiting_fulfillment']));
  order.setStatus('awaiting_fulfillment');
  setCurrentDetails('Awaiting fulfilment: the order is paid (authorized) and its stock reserved');
}

async function notify(via: typeof notifications, input: CheckoutInput, template: Template, reason?: string): Promise<void> {
  await via.sendOrderNotification.executeWithOptions(
    { summary: `E-mail "${template}" for order ${input.orderId}` }, [{ orderId: input.orderId, template, channel: 'email', reason }]);
  if (input.notifyBySms) {
    await via.sendOrderNotification.executeWithOptions(
      { summary: `SMS "${template}" for order ${input.orderId}` }, [{ orderId: input.orderId, template, channel: 'sms', reason }]);
  }
}

/** Runs the undos, marks the order and tells the customer; nothing here can be cancelled. */
async function rollBack(input: CheckoutInput, order: OrderControl, saga: Saga, cancelled: boolean): Promise<void> {
  await CancellationScope.nonCancellable(async () => {
    const final = cancelled ? 'cancelled' : 'failed';
    setCurrentDetails(`Rolling back order ${input.orderId} (${final}): ${saga.pending().join(', ') || 'nothing to undo'}`);
    await saga.compensate();
    await undo.setOrderStatus.executeWithOptions({ summary: `Mark order ${input.orderId} ${final}` }, [input.orderId, final]);
    await undo.reopenCart.executeWithOptions({ summary: `Reopen the cart of order ${input.orderId}` }, [input.orderId]);
    const declined = order.state.failure?.code === ErrorCode.PaymentDeclined;
    const reason = cancelled ? order.cancelRequest?.reason : order.state.failure?.message;
    await order.step('tell_customer', () => notify(undo, input, declined ? 'payment_failed' : 'order_cancelled', reason));
    order.setStatus(final);
    setCurrentDetails(`Order ${final}; compensations done`);
  });
}
