/**
 * The order's own hooks, beside support's (support-handlers.ts): the `status` query, the cancel /
 * hold / release / change-address updates (each with a validator that says why it refuses), the
 * API's early-return update, and the progress signals of the payment and fulfillment children.
 */
import { ApplicationFailure, condition, getExternalWorkflowHandle, setCurrentDetails, setHandler, type ActivityInterfaceFor } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { addressChangeRefusal, addressProblems, cancellationRefusal, FINAL_STATUSES, holdRefusal, isDispatching, isLabelled } from '../src/domain/order';
import { ErrorCode } from '../src/domain/errors';
import {
  awaitPaymentOutcomeUpdate, cancelOrderUpdate, changeShippingAddressUpdate, holdOrderUpdate, paymentProgressSignal, releaseOrderUpdate, statusQuery,
  type ActorReason, type OrderState,
} from '../src/contracts/order';
import { cancelFulfillmentSignal, fulfillmentProgressSignal } from '../src/contracts/fulfillment';
import { workflowIds } from '../src/contracts/temporal';
import type { OrderControl } from './checkout-state';
import { refuseIf, requireReason } from './refusals';

/** How long a cancel request waits for the rollback before answering with the state so far. */
const CANCEL_ANSWER_CAP = '1 minute';

/** The order's row, as support's address change writes it. */
export type OrderRecord = Pick<ActivityInterfaceFor<Activities>, 'updateShippingAddress'>;

export function registerOrderHandlers(order: OrderControl, orderRecord: OrderRecord): void {
  const { state } = order;
  setHandler(statusQuery, () => ({ ...state, pendingCompensations: order.rollingBack ? order.saga.pending() : [] }));
  handleCancel(order);
  setHandler(fulfillmentProgressSignal, ({ passed = [], ...progress }) => {
    state.fulfillment = { ...state.fulfillment, ...progress };
    for (const stage of [...passed, progress.stage]) {
      order.record(`fulfillment_${stage}`, 'completed', stage === 'allocated' && progress.warehouse ? `warehouse ${progress.warehouse}`
        : stage === 'labelled' || stage === 'dispatching' ? progress.trackingNumber : undefined);
    }
  });
  handleHold(order);
  handleAddressChange(order, orderRecord);
  setHandler(awaitPaymentOutcomeUpdate, async ({ maxWaitMs }) => {
    await condition(() => state.payment.status !== 'pending' || order.rollingBack || isFinal(state),
      maxWaitMs, { summary: 'Answer the checkout request once the payment outcome is known' });
    return state;
  });
  setHandler(paymentProgressSignal, (progress) => {
    state.payment = { ...progress };
    if (progress.status === 'requires_action' && state.status === 'pending') order.setStatus('awaiting_payment_action');
  });
}

/**
 * Before fulfillment a cancel stops the order's steps and rolls it back. Once the fulfillment child
 * runs, the warehouse decides: it stops unless the parcel is already being dispatched, the point
 * of no return (src/domain/order.ts).
 */
function handleCancel(order: OrderControl): void {
  const { state } = order;
  const dispatching = () => isDispatching(state.status, state.fulfillment?.stage);
  setHandler(cancelOrderUpdate, async (request: ActorReason) => {
    order.cancelRequest = request;
    state.cancelReason = request.reason;
    order.record('cancel_requested', 'completed', `by ${request.actor}: ${request.reason}`);
    if (order.fulfillment !== 'none') {
      // A child whose start is still in flight cannot take a signal yet (the server would answer "not found"), so wait for it first.
      await condition(() => order.fulfillment !== 'starting' || order.rollingBack || isFinal(state));
      if (order.fulfillment === 'running') await getExternalWorkflowHandle(workflowIds.fulfillment(state.orderId)).signal(cancelFulfillmentSignal);
      await condition(() => isFinal(state) || dispatching() || order.rollingBack, CANCEL_ANSWER_CAP,
        { summary: 'Wait for the warehouse to stop, or say it is too late' });
      if (dispatching() && !order.rollingBack) {
        throw ApplicationFailure.create({ type: ErrorCode.OrderNotCancellable, nonRetryable: true,
          message: `order ${state.orderId} was already being dispatched; it can no longer be cancelled (start a return instead)` });
      }
    } else {
      order.work.cancel();
    }
    if (!isFinal(state)) order.setStatus('cancelling');
    await condition(() => isFinal(state), CANCEL_ANSWER_CAP, { summary: 'Answer the cancel once the order is rolled back' });
    return state;
  }, {
    validator: (request: ActorReason) => {
      requireReason(request);
      refuseIf(order.rollingBack && !isFinal(state) ? `order ${state.orderId} is already being rolled back`
        : dispatching() ? `order ${state.orderId} is being dispatched; it can no longer be cancelled (start a return instead)`
          : cancellationRefusal(state.orderId, state.status));
    },
  });
}

function handleHold(order: OrderControl): void {
  const { state } = order;
  const setHeld = (held: boolean) => (request: ActorReason) => {
    state.held = held;
    state.holdReason = held ? request.reason : undefined;
    order.record(held ? 'hold' : 'release', 'completed', `by ${request.actor}: ${request.reason}`);
    if (!held) setCurrentDetails(`Released by ${request.actor}`);
    return state;
  };
  const holdValidator = (wantHeld: boolean) => (request: ActorReason) => {
    requireReason(request);
    refuseIf(holdRefusal(state.orderId, state.status, state.held, wantHeld));
  };
  setHandler(holdOrderUpdate, setHeld(true), { validator: holdValidator(true) });
  setHandler(releaseOrderUpdate, setHeld(false), { validator: holdValidator(false) });
}

function handleAddressChange(order: OrderControl, orderRecord: OrderRecord): void {
  const { state } = order;
  setHandler(changeShippingAddressUpdate, async ({ actor, reason, ...address }) => {
    await orderRecord.updateShippingAddress.executeWithOptions(
      { summary: `Save the new shipping address of order ${state.orderId}` }, [state.orderId, address]);
    order.record('change_shipping_address', 'completed', `by ${actor}${reason ? `: ${reason}` : ''}`);
    return state;
  }, {
    validator: ({ actor: _actor, ...address }) => {
      refuseIf(isLabelled(state.status, state.fulfillment?.stage) ? `order ${state.orderId}'s shipping label is printed; its address can no longer change`
        : addressChangeRefusal(state.orderId, state.status));
      const problems = addressProblems(address);
      if (problems.length) throw new Error(`the new address is not valid: ${problems.join('; ')}`);
    },
  });
}

function isFinal(state: OrderState): boolean {
  return FINAL_STATUSES.includes(state.status);
}
