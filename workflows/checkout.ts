/**
 * checkout-<orderId>: the order's saga, alive from "place order" through payment, fulfillment and
 * tracking until the parcel is delivered (or returned), then open to support for an after-sales
 * window. Each step registers its undo first; on a failure or a cancel before dispatch the undos
 * run in reverse (workflows/saga.ts), then the order is marked and the customer told why. After
 * dispatch nothing is undone automatically.
 */
import {
  ApplicationFailure, CancellationScope, CancelledFailure, executeChild, isCancellation, proxyActivities, proxyLocalActivities,
  setCurrentDetails, startChild, workflowInfo,
} from '@temporalio/workflow';
import type { SearchAttributePair } from '@temporalio/common';
import type { Activities } from '../activities';
import { ErrorCode } from '../src/domain/errors';
import { hasShipped } from '../src/domain/order';
import { describeItems, describeMoney } from '../src/domain/format';
import { OrderStatusAttr, workflowIds } from '../src/contracts/temporal';
import type { CheckoutInput, OrderState, OrderStatus } from '../src/contracts/order';
import type { PaymentResult } from '../src/contracts/payment';
import type { Shipment } from '../src/contracts/fulfillment';
import { COMPENSATION, DB_STEP, LOCAL_DB_STEP, NOTIFICATION_CALL } from './policies';
import type { Saga } from './saga';
import { payment } from './payment';
import { fulfillment } from './fulfillment';
import { shipmentTracking } from './shipment-tracking';
import { createOrderState, type OrderControl } from './checkout-state';
import { registerOrderHandlers } from './order-handlers';
import { afterSales, endAfterDispatch, rollBackOrder } from './checkout-endings';
import { tellCustomer } from './messages';
import { registerSupportHandlers } from './support-handlers';
import { registerPrivacyHandlers } from './privacy-handlers';

const stock = proxyActivities<Activities>(DB_STEP);
/**
 * The status writes right after the payment (confirmed, awaiting fulfillment) run as local
 * activities, in the workflow task that reaches them (LOCAL_DB_STEP says why).
 */
const orderStatus = proxyLocalActivities<Activities>(LOCAL_DB_STEP);
/** The order's row otherwise: its final status once the parcel's journey ends, and support's address changes. */
const orderRecord = proxyActivities<Activities>(DB_STEP);
const messages = proxyActivities<Activities>(NOTIFICATION_CALL);
/** The undos each step registers before it runs: retried until they succeed (workflows/saga.ts). */
const rollback = proxyActivities<Activities>(COMPENSATION);

export async function checkout(input: CheckoutInput): Promise<OrderState> {
  const work = new CancellationScope();
  const order = createOrderState(input.orderId, work);
  registerOrderHandlers(order, orderRecord);
  registerSupportHandlers(order);
  registerPrivacyHandlers(order);
  const saga = order.saga;

  try {
    await work.run(async () => {
      await reserveStock(input, order, saga);
      if (input.promotions?.length) await redeemPromotions(input, order, saga);
      await order.betweenSteps();
      await authorizePayment(input, order, saga);
      await order.betweenSteps();
      await confirmOrder(input, order);
      await order.betweenSteps();
      await handOverToFulfillment(input, order);
      await order.betweenSteps();
      const shipment = await runFulfillment(input, order);
      await track(input, order, shipment);
    });
  } catch (err) {
    // Past the point of no return (src/domain/order.ts) nothing is rolled back.
    if (hasShipped(order.state.status)) return endAfterDispatch(order, err);
    const cancelled = isCancellation(err) && order.cancelRequest !== undefined;
    if (!cancelled) order.fail(err);
    await rollBackOrder(input, order, cancelled);
    if (cancelled) return order.state;
    throw err;
  }
  await afterSales(input, order);
  return order.state;
}

async function reserveStock(input: CheckoutInput, order: OrderControl, saga: Saga): Promise<void> {
  saga.add('release_stock', () => rollback.releaseStock.executeWithOptions(
    { summary: `Release the stock held for order ${input.orderId}` }, [input.orderId]));
  await order.step('reserve_stock', () => stock.reserveStock.executeWithOptions(
    { summary: `Reserve ${describeItems(input.lines)} for order ${input.orderId}` }, [input.orderId, input.lines]));
}

/**
 * Counts one use of each promotion the order was priced with; none left refuses the order
 * (promotion_limit_reached) and its stock goes back. Its undo gives the uses back, keyed by the
 * order like the redemption, so a declined card or a cancel frees them for other shoppers.
 */
async function redeemPromotions(input: CheckoutInput, order: OrderControl, saga: Saga): Promise<void> {
  const promotions = (input.promotions ?? []).join(', ');
  saga.add('give_back_promotions', () => rollback.giveBackPromotions.executeWithOptions(
    { summary: `Give back the uses of ${promotions} held by order ${input.orderId}` }, [input.orderId]));
  await order.step('redeem_promotions', () => stock.redeemPromotions.executeWithOptions(
    { summary: `Redeem ${promotions} for order ${input.orderId}` }, [input.orderId]));
}

async function authorizePayment(input: CheckoutInput, order: OrderControl, saga: Saga): Promise<void> {
  saga.add('void_or_refund_payment', () => rollback.voidOrRefundPayment.executeWithOptions(
    { summary: `Void or refund the payment of order ${input.orderId}` }, [input.orderId, order.state.cancelReason ?? 'order rolled back']));
  const result: PaymentResult = await order.step('authorize_payment', () => executeChild(payment, {
    workflowId: workflowIds.payment(input.orderId),
    args: [{ orderId: input.orderId, amount: input.totalAmount, currency: input.currency, paymentMethod: input.paymentMethod,
      actionTimeout: input.paymentActionTimeout }],
    staticSummary: `Authorize ${describeMoney(input.totalAmount, input.currency)} for order ${input.orderId}`,
    typedSearchAttributes: childSearchAttributes('pending'),
  }));
  // The child's result is its final word: it signals the order only while it waits for the customer (3-D Secure).
  order.state.payment = { status: result.status, providerRef: result.providerRef, ...(result.declineCode ? { declineCode: result.declineCode } : {}) };
  if (result.status !== 'authorized') {
    throw ApplicationFailure.create({ type: ErrorCode.PaymentDeclined, nonRetryable: true,
      message: result.message ?? `The payment for order ${input.orderId} was ${result.status} (${result.declineCode ?? 'no reason given'}).`,
      details: [result] });
  }
  order.setStatus('payment_authorized', 'at_next_wait');
}

async function confirmOrder(input: CheckoutInput, order: OrderControl): Promise<void> {
  await order.step('confirm_order', () => orderStatus.setOrderStatus.executeWithOptions(
    { summary: `Mark order ${input.orderId} confirmed` }, [input.orderId, 'confirmed']));
  order.setStatus('confirmed');
  await order.step('send_confirmation', () => tellCustomer(messages, input, 'order_confirmed'));
}

/** The hand-over leaves the order awaiting fulfillment in the database, for the warehouse's lists. */
async function handOverToFulfillment(input: CheckoutInput, order: OrderControl): Promise<void> {
  await order.step('hand_over_to_fulfillment', () => orderStatus.setOrderStatus.executeWithOptions(
    { summary: `Mark order ${input.orderId} awaiting fulfillment` }, [input.orderId, 'awaiting_fulfillment']));
  order.setStatus('awaiting_fulfillment');
  setCurrentDetails('Awaiting fulfillment: the order is paid (authorized) and its stock reserved');
}

/**
 * Starts the fulfillment child, which picks, packs, labels and dispatches, and waits for the parcel
 * to leave; a cancel that reaches the warehouse in time stops it. The timeline calls this step 'fulfil'.
 */
async function runFulfillment(input: CheckoutInput, order: OrderControl): Promise<Shipment> {
  order.fulfillment = 'starting';
  const result = await order.step('fulfil', async () => {
    // startChild + result, not executeChild: the same commands, and the cancel handler learns when the child can take a signal.
    const child = await startChild(fulfillment, {
      workflowId: workflowIds.fulfillment(input.orderId),
      args: [{ orderId: input.orderId, lines: input.lines, amount: input.totalAmount, currency: input.currency, autoPack: input.autoPack ?? true }],
      staticSummary: `Pick, pack and ship ${describeItems(input.lines)} of order ${input.orderId}`,
      typedSearchAttributes: childSearchAttributes('awaiting_fulfillment'),
    });
    order.fulfillment = 'running';
    return child.result();
  });
  order.fulfillment = 'none';
  if (result.outcome === 'cancelled') throw new CancelledFailure(`order ${input.orderId} was cancelled before dispatch`);
  order.state.fulfillment = { ...order.state.fulfillment, stage: 'shipped', trackingNumber: result.trackingNumber, warehouse: result.warehouse };
  order.record('fulfillment_shipped', 'completed', result.trackingNumber);
  if (order.cancelRequest) {
    order.record('cancel_refused', 'completed', 'the parcel was already being dispatched');
    order.cancelRequest = undefined;
    order.state.cancelReason = undefined;
  }
  order.state.payment = { ...order.state.payment, status: 'captured' }; // captured at dispatch by the fulfillment
  order.setStatus('shipped');
  return result;
}

/** Follows the parcel until it is delivered or comes back; the order then ends. */
async function track(input: CheckoutInput, order: OrderControl, shipment: Shipment): Promise<void> {
  const result = await order.step('track_shipment', () => executeChild(shipmentTracking, {
    workflowId: workflowIds.shipment(shipment.shipmentId),
    args: [{ shipmentId: shipment.shipmentId, orderId: input.orderId, trackingNumber: shipment.trackingNumber, carrier: shipment.carrier,
      shippedAt: shipment.shippedAt, pollEvery: input.trackingPollEvery ?? '6 hours', stallAfter: input.trackingStallAfter ?? '5 days' }],
    staticSummary: `Track parcel ${shipment.trackingNumber} of order ${input.orderId}`,
    typedSearchAttributes: childSearchAttributes('shipped'),
  }));
  const final = result.status === 'delivered' ? 'delivered' : 'returned';
  await orderRecord.setOrderStatus.executeWithOptions({ summary: `Mark order ${input.orderId} ${final}` }, [input.orderId, final]);
  order.setStatus(final);
  setCurrentDetails(`Order ${final}`);
}

/**
 * A child starts with the order's OrderId, CustomerId and OrderTotal, so filtering on them finds the
 * order's payment, fulfillment and tracking too, and with the order's status as it begins its part
 * (given at the start, it costs no upsert); the child keeps it current while it runs and drops it
 * when it ends (order-status.ts).
 */
function childSearchAttributes(status: OrderStatus): SearchAttributePair[] {
  return [...workflowInfo().typedSearchAttributes.getAll().filter((pair) => pair.key.name !== OrderStatusAttr.name),
    { key: OrderStatusAttr, value: status }];
}
