/**
 * checkout-<orderId>: the order's saga, alive from "place order" through payment, fulfillment and
 * tracking until the parcel is delivered (or returned), then open to support for an after-sales
 * window. Each step registers its undo first; on a failure or a cancel before dispatch the undos
 * run in reverse (workflows/saga.ts), then the order is marked and the customer told why. After
 * dispatch nothing is undone automatically.
 */
import {
  allHandlersFinished, ApplicationFailure, CancellationScope, CancelledFailure, condition, executeChild, isCancellation, patched,
  proxyActivities, proxyLocalActivities, setCurrentDetails, sleep, startChild, workflowInfo,
} from '@temporalio/workflow';
import type { SearchAttributePair } from '@temporalio/common';
import type { Activities } from '../activities';
import type { Template } from '../src/domain/templates';
import { ErrorCode } from '../src/domain/errors';
import { OrderStatusAttr, workflowIds } from '../src/contracts/temporal';
import type { CheckoutInput, OrderState } from '../src/contracts/order';
import type { PaymentResult } from '../src/contracts/payment';
import type { Shipment } from '../src/contracts/fulfillment';
import { COMPENSATION, DB_STEP, LOCAL_DB_STEP, NOTIFICATION_CALL, NOTIFICATION_COMPENSATION } from './policies';
import type { Saga } from './saga';
import { payment } from './payment';
import { fulfillment } from './fulfillment';
import { shipmentTracking } from './shipment-tracking';
import { describeItems, describeMoney } from '../src/domain/format';
import { createOrderState, registerOrderHandlers, type OrderControl } from './checkout-state';
import { sendOrGoOn } from './messages';
import { registerSupportHandlers } from './support-handlers';

/** Orders started before fulfillment existed keep waiting as they did; newer ones go on to ship. */
const FULFILLMENT_PATCH = 'fulfilment-and-tracking';

/**
 * Orders started since: the status writes after the payment (confirmed, awaiting fulfillment) run as
 * local activities, and the payment child reports its outcome by its result alone (payment.ts).
 */
const LEAN_CONFIRMATION_PATCH = 'local-status-writes';

/** Orders started since: a failure or an operator's cancel after dispatch rolls nothing back (no refund of a parcel on its way). */
const NO_ROLLBACK_AFTER_DISPATCH_PATCH = 'no-rollback-after-dispatch';
/** Orders started since: after delivery (or return) the workflow stays open for support's refunds and messages. */
const AFTER_SALES_PATCH = 'after-sales-window';
const DEFAULT_AFTER_SALES_WINDOW = '30 days';
/**
 * Orders started since: a customer message that still fails once its retries are spent (a provider
 * outage longer than NOTIFICATION_CALL's retries) is logged and the order goes on with the other
 * channel; the outbox row stays failed for support to resend. Before, it rolled back the paid order.
 */
const MESSAGES_NEVER_FAIL_ORDER_PATCH = 'messages-never-fail-the-order';
/** The parcel has left: the point of no return (workflows/fulfillment.ts). */
const DISPATCHED: OrderState['status'][] = ['shipped', 'delivered', 'returned'];

const db = proxyActivities<Activities>(DB_STEP);
const localDb = proxyLocalActivities<Activities>(LOCAL_DB_STEP);
const notifications = proxyActivities<Activities>(NOTIFICATION_CALL);
const undo = proxyActivities<Activities>(COMPENSATION);
const undoNotifications = proxyActivities<Activities>(NOTIFICATION_COMPENSATION);

export async function checkout(input: CheckoutInput): Promise<OrderState> {
  // Orders started since record the fulfillment patch here, first thing, not only where it is read
  // (which stays for orders already in flight). Read there alone, it comes right after a local
  // activity; when that activity's result and the next step fall in different workflow tasks, a
  // replay (a worker restart, a query on an evicted order) reads the patch as absent: found with
  // SDK 1.24 on an order whose status write was recorded in a workflow task of its own.
  patched(FULFILLMENT_PATCH);
  const work = new CancellationScope();
  const order = createOrderState(input.orderId, work);
  registerOrderHandlers(order, db);
  registerSupportHandlers(order);
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
      if (!patched(FULFILLMENT_PATCH)) {
        // Orders placed before fulfillment existed wait here, still cancellable, as they always did.
        await condition(() => false);
      }
      const shipment = await fulfil(input, order);
      await track(input, order, shipment);
    });
  } catch (err) {
    if (DISPATCHED.includes(order.state.status) && patched(NO_ROLLBACK_AFTER_DISPATCH_PATCH)) return endAfterDispatch(order, err);
    const cancelled = isCancellation(err) && order.cancelRequest !== undefined;
    if (!cancelled) order.fail(err);
    await rollBack(input, order, saga, cancelled);
    if (cancelled) return order.state;
    throw err;
  }
  if (patched(AFTER_SALES_PATCH)) await afterSales(input, order);
  return order.state;
}

/**
 * Past dispatch the parcel is on its way and the money captured: nothing is rolled back any more.
 * If tracking fails, or an operator cancels this workflow, the order keeps its status and the
 * customer is told nothing; a failure still fails the workflow, so it shows in the Temporal UI.
 */
function endAfterDispatch(order: OrderControl, err: unknown): OrderState {
  const cancelledByOperator = isCancellation(err);
  order.record('after_dispatch', cancelledByOperator ? 'skipped' : 'failed',
    cancelledByOperator ? 'the workflow was cancelled after dispatch: nothing rolled back' : `${(err as Error)?.message ?? err}: nothing rolled back`);
  setCurrentDetails(`Order ${order.state.status}: the parcel was dispatched, so nothing is rolled back; `
    + (cancelledByOperator ? 'this workflow was cancelled' : 'see the failure below'));
  if (cancelledByOperator) return order.state;
  throw err;
}

/** A delivered or returned order stays open to support (refunds, messages) for a while, then its workflow ends. */
async function afterSales(input: CheckoutInput, order: OrderControl): Promise<void> {
  const window = input.afterSalesWindow ?? DEFAULT_AFTER_SALES_WINDOW;
  setCurrentDetails(`Order ${order.state.status}; open to support (refunds, messages) for ${window}, then this workflow ends`);
  try {
    await sleep(window, { summary: `Stay open to support for ${window} after ${order.state.status === 'delivered' ? 'delivery' : 'the return'}` });
  } catch (err) {
    if (!isCancellation(err)) throw err; // an operator may end the window early by cancelling the workflow
  }
  await condition(allHandlersFinished); // a refund that started just before the end still finishes
  setCurrentDetails(`Order ${order.state.status}; the after-sales window has closed`);
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
    typedSearchAttributes: childSearchAttributes(),
  }));
  // The child's result is its final word (newer payment workflows send no closing progress signal).
  order.state.payment = { status: result.status, providerRef: result.providerRef, ...(result.declineCode ? { declineCode: result.declineCode } : {}) };
  if (result.status !== 'authorized') {
    throw ApplicationFailure.create({ type: ErrorCode.PaymentDeclined, nonRetryable: true,
      message: result.message ?? `The payment for order ${input.orderId} was ${result.status} (${result.declineCode ?? 'no reason given'}).`,
      details: [result] });
  }
  order.setStatus('payment_authorized');
}

async function confirmOrder(input: CheckoutInput, order: OrderControl): Promise<void> {
  await order.step('confirm_order', () => statusWrites().setOrderStatus.executeWithOptions(
    { summary: `Mark order ${input.orderId} confirmed` }, [input.orderId, 'confirmed']));
  order.setStatus('confirmed');
  await order.step('send_confirmation', () => notify(notifications, input, 'order_confirmed'));
}

/** Where the status writes after the payment run: in the workflow task (local) for orders started since the patch. */
function statusWrites(): Pick<typeof db, 'setOrderStatus'> {
  return patched(LEAN_CONFIRMATION_PATCH) ? localDb : db;
}

/** The hand-over leaves the order awaiting fulfillment in the database, for the warehouse's lists. */
async function handOverToFulfillment(input: CheckoutInput, order: OrderControl): Promise<void> {
  await order.step('hand_over_to_fulfillment', () => statusWrites().setOrderStatus.executeWithOptions(
    { summary: `Mark order ${input.orderId} awaiting fulfillment` }, [input.orderId, 'awaiting_fulfillment']));
  order.setStatus('awaiting_fulfillment');
  setCurrentDetails('Awaiting fulfillment: the order is paid (authorized) and its stock reserved');
}

/** The fulfillment child picks, packs, labels and dispatches; a cancel that reaches it in time stops it. */
async function fulfil(input: CheckoutInput, order: OrderControl): Promise<Shipment> {
  order.fulfillment = 'starting';
  const result = await order.step('fulfil', async () => {
    // startChild + result, not executeChild: the same commands, and the cancel handler learns when the child can take a signal.
    const child = await startChild(fulfillment, {
      workflowId: workflowIds.fulfillment(input.orderId),
      args: [{ orderId: input.orderId, lines: input.lines, amount: input.totalAmount, currency: input.currency, autoPack: input.autoPack ?? true }],
      staticSummary: `Pick, pack and ship ${describeItems(input.lines)} of order ${input.orderId}`,
      typedSearchAttributes: childSearchAttributes(),
    });
    order.fulfillment = 'running';
    return child.result();
  });
  order.fulfillment = 'none';
  if (result.outcome === 'cancelled') throw new CancelledFailure(`order ${input.orderId} was cancelled before dispatch`);
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
    typedSearchAttributes: childSearchAttributes(),
  }));
  const final = result.status === 'delivered' ? 'delivered' : 'returned';
  await db.setOrderStatus.executeWithOptions({ summary: `Mark order ${input.orderId} ${final}` }, [input.orderId, final]);
  order.setStatus(final);
  setCurrentDetails(`Order ${final}`);
}

/**
 * A child starts with the order's OrderId, CustomerId and OrderTotal, so filtering on them finds the
 * order's payment, fulfillment and tracking too. Not this workflow's OrderStatus: a copy made at the
 * start would stay the same forever; each child sets its own while it runs (order-status.ts).
 */
function childSearchAttributes(): SearchAttributePair[] {
  return workflowInfo().typedSearchAttributes.getAll().filter((pair) => pair.key.name !== OrderStatusAttr.name);
}

async function notify(via: typeof notifications, input: CheckoutInput, template: Template, reason?: string): Promise<void> {
  await sendOrGoOn(MESSAGES_NEVER_FAIL_ORDER_PATCH, { orderId: input.orderId, template, channel: 'email' }, () => via.sendOrderNotification.executeWithOptions(
    { summary: `E-mail "${template}" for order ${input.orderId}` }, [{ orderId: input.orderId, template, channel: 'email', reason }]));
  if (input.notifyBySms) {
    await sendOrGoOn(MESSAGES_NEVER_FAIL_ORDER_PATCH, { orderId: input.orderId, template, channel: 'sms' }, () => via.sendOrderNotification.executeWithOptions(
      { summary: `SMS "${template}" for order ${input.orderId}` }, [{ orderId: input.orderId, template, channel: 'sms', reason }]));
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
    await order.step('tell_customer', () => notify(undoNotifications, input, declined ? 'payment_failed' : 'order_cancelled', reason));
    order.setStatus(final);
    setCurrentDetails(`Order ${final}; compensations done`);
  });
}
