/**
 * fulfillment-<orderId>, a child of checkout: allocate the stock to a warehouse, wait until it is
 * packed (the warehouse's `packed` signal, or at once for the simulated warehouse), buy the label,
 * then dispatch: capture the payment, commit the reservation, mark the order shipped, tell the
 * customer. Dispatch is the point of no return: a cancel that arrives before it stops here (and
 * voids the label); one that arrives after it is too late, and the parcel ships. The order hears
 * of the stages it needs (the warehouse it waits for, the point of no return) by one signal each;
 * the shipped parcel is this workflow's result.
 */
import {
  ApplicationFailure, CancellationScope, condition, getExternalWorkflowHandle, proxyActivities, proxyLocalActivities, setCurrentDetails,
  setHandler, workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  cancelFulfillmentSignal, fulfillmentProgressSignal, packedSignal, type FulfillmentInput, type FulfillmentProgress, type FulfillmentResult,
  type FulfillmentStage,
} from '../src/contracts/fulfillment';
import { CAPTURE_AT_DISPATCH, COMPENSATION, LOCAL_AFTER_DISPATCH, LOCAL_DB_STEP, NOTIFICATION_CALL, PROVIDER_CALL } from './policies';
import { describeItems } from '../src/domain/format';
import { ErrorCode } from '../src/domain/errors';
import { withOrderStatus, type ChildOrderStatus } from './order-status';
import { sendOrGoOn } from './messages';

/** The warehouse's work as the database keeps it, the allocation then the packed parcel: short writes, local (LOCAL_DB_STEP). */
const packing = proxyLocalActivities<Activities>(LOCAL_DB_STEP);
/** The carrier's label for the parcel. */
const parcel = proxyActivities<Activities>(PROVIDER_CALL);
/** Voiding the label of a parcel that will not leave: retried until it is done. */
const rollback = proxyActivities<Activities>(COMPENSATION);
/** The capture at dispatch: an outage is waited out (CAPTURE_AT_DISPATCH says for how long). */
const payments = proxyActivities<Activities>(CAPTURE_AT_DISPATCH);
/** The writes once the money is taken (the stock off the shelf, the order shipped): past the point of no return they wait out any outage. */
const dispatch = proxyLocalActivities<Activities>(LOCAL_AFTER_DISPATCH);
const messages = proxyActivities<Activities>(NOTIFICATION_CALL);

export async function fulfillment(input: FulfillmentInput): Promise<FulfillmentResult> {
  return withOrderStatus('awaiting_fulfillment', (orderStatus) => pickPackAndShip(input, orderStatus));
}

async function pickPackAndShip(input: FulfillmentInput, orderStatus: ChildOrderStatus): Promise<FulfillmentResult> {
  const { orderId } = input;
  let packedBy: string | undefined;
  let packages = 1;
  let cancelRequested = false;
  let dispatching = false;
  setHandler(packedSignal, ({ actor, packages: count }) => {
    if (packedBy !== undefined) return; // the warehouse's first word counts; a repeated signal changes nothing
    packedBy = actor;
    packages = count ?? 1;
  });
  setHandler(cancelFulfillmentSignal, () => {
    cancelRequested = true;
    if (!dispatching) orderStatus.set('cancelling'); // it stops at its next step; past dispatch the parcel ships regardless
  });
  const progress = stagesForOrder();

  const { warehouse } = await packing.allocateToWarehouse.executeWithOptions(
    { summary: `Allocate ${describeItems(input.lines)} of order ${orderId} to a warehouse` }, [orderId]);
  progress.reached('allocated', { warehouse });

  if (input.autoPack) {
    packedBy = `simulated warehouse ${warehouse}`;
  } else {
    await progress.report(); // the order shows which warehouse it waits for
    setCurrentDetails(`Waiting since ${new Date().toISOString()} for warehouse ${warehouse} to pack order ${orderId}`);
    await condition(() => packedBy !== undefined || cancelRequested);
  }
  if (cancelRequested) return { outcome: 'cancelled' };
  await packing.recordPacked.executeWithOptions({ summary: `Record order ${orderId} packed by ${packedBy}` }, [orderId, packedBy as string]);
  progress.reached('packed');

  const label = await parcel.buyShippingLabel.executeWithOptions(
    { summary: `Buy a shipping label for ${packages} package${packages === 1 ? '' : 's'} of order ${orderId}` }, [orderId, packages]);
  progress.reached('labelled', { trackingNumber: label.trackingNumber });
  if (cancelRequested) {
    await progress.report();
    await voidLabel(orderId);
    return { outcome: 'cancelled' };
  }

  // The point of no return: from here on a cancel request is too late and the parcel ships.
  dispatching = true;
  progress.reached('dispatching', { trackingNumber: label.trackingNumber });
  await progress.report();
  setCurrentDetails(`Dispatching order ${orderId} (${label.trackingNumber})`);
  return CancellationScope.nonCancellable(async () => {
    try {
      await payments.capturePayment.executeWithOptions({ summary: `Capture the payment of order ${orderId} at shipping time` }, [orderId]);
    } catch (err) {
      await voidLabel(orderId);
      throw ApplicationFailure.create({ type: ErrorCode.CaptureFailed, nonRetryable: true,
        message: `The payment of order ${orderId} could not be captured at shipping time; the parcel was not sent.`, cause: err as Error });
    }
    // The money is taken: from here on every step waits out an outage instead of failing the order.
    await dispatch.commitStock.executeWithOptions({ summary: `Take the stock of order ${orderId} off the shelf` }, [orderId]);
    await dispatch.recordShipped.executeWithOptions({ summary: `Mark order ${orderId} shipped` }, [orderId]);
    // Dispatched: the order's status is the checkout's again (it learns it from this workflow's result).
    orderStatus.end();
    const shippedAt = new Date().toISOString();
    await tellCustomerShipped(orderId);
    setCurrentDetails(`Shipped with ${label.carrier} as ${label.trackingNumber}`);
    return { outcome: 'shipped' as const, shipmentId: label.shipmentId, trackingNumber: label.trackingNumber, carrier: label.carrier, warehouse, shippedAt };
  });
}

/** The parcel has left whatever happens to the message. */
async function tellCustomerShipped(orderId: string): Promise<void> {
  await sendOrGoOn({ orderId, template: 'shipped', channel: 'email' }, () =>
    messages.sendOrderNotification.executeWithOptions({ summary: `E-mail "shipped" for order ${orderId}` },
      [{ orderId, template: 'shipped', channel: 'email' }]));
}

async function voidLabel(orderId: string): Promise<void> {
  await CancellationScope.nonCancellable(() =>
    rollback.voidShippingLabel.executeWithOptions({ summary: `Void the shipping label of order ${orderId}` }, [orderId]));
}

/**
 * The stages the order has not heard of yet: each reached is kept, and a report sends them all in
 * one signal (the latest as `stage`, the earlier ones as `passed`), only where the order needs them.
 */
function stagesForOrder(): { reached(stage: FulfillmentStage, extra?: Pick<FulfillmentProgress, 'warehouse' | 'trackingNumber'>): void; report(): Promise<void> } {
  let unreported: FulfillmentStage[] = [];
  let details: Pick<FulfillmentProgress, 'warehouse' | 'trackingNumber'> = {};
  return {
    reached(stage, extra = {}) {
      unreported.push(stage);
      details = { ...details, ...extra };
    },
    async report() {
      const parent = workflowInfo().parent;
      if (unreported.length === 0 || !parent) return;
      const stages = unreported;
      unreported = [];
      const progress: FulfillmentProgress = { stage: stages[stages.length - 1], ...(stages.length > 1 ? { passed: stages.slice(0, -1) } : {}), ...details };
      details = {};
      await getExternalWorkflowHandle(parent.workflowId).signal(fulfillmentProgressSignal, progress);
    },
  };
}
