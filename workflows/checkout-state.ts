/**
 * The checkout workflow's live state and the support hooks on it: the `status` query, the
 * cancel / hold / release / change-address updates (each with a validator that says why it
 * refuses), the API's early-return update, and the payment child's progress signal.
 */
import {
  ApplicationFailure, CancellationScope, CancelledFailure, condition, getExternalWorkflowHandle, setCurrentDetails, setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { ActivityInterfaceFor } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { addressChangeRefusal, addressProblems, cancellationRefusal, FINAL_STATUSES, holdRefusal } from '../src/domain/order';
import { awaitPaymentOutcomeUpdate, cancelOrderUpdate, changeShippingAddressUpdate, holdOrderUpdate, paymentProgressSignal, releaseOrderUpdate, statusQuery, type ActorReason, type OrderState, type OrderStatus, type TimelineEntry } from '../src/contracts/order';
import { cancelFulfillmentSignal, fulfillmentProgressSignal } from '../src/contracts/fulfillment';
import { OrderStatusAttr, workflowIds } from '../src/contracts/temporal';
import { Saga } from './saga';

/** Each step in plain words, for the UI's current details (ids and statuses only: no customer data). */
const STEP_IN_WORDS: Record<string, string> = {
  reserve_stock: 'Reserving the stock',
  authorize_payment: 'Authorizing the payment (payment workflow)',
  confirm_order: 'Confirming the order',
  send_confirmation: 'Telling the customer the order is confirmed',
  hand_over_to_fulfillment: 'Handing the order over to fulfillment',
  fulfil: 'Fulfillment: allocating, packing and dispatching (fulfillment workflow)',
  track_shipment: 'Following the parcel until it is delivered (shipment tracking workflow)',
  tell_customer: 'Telling the customer what happened',
};

/** How long a cancel request waits for the rollback before answering with the state so far. */
const CANCEL_ANSWER_CAP = '1 minute';

export interface OrderControl {
  state: OrderState;
  /** The scope the order's steps run in; a cancel request cancels it. */
  work: CancellationScope;
  saga: Saga;
  cancelRequest?: ActorReason;
  rollingBack: boolean;
  /**
   * The fulfillment child: 'starting' while its start is in flight (it cannot take a signal yet),
   * 'running' until it returns. While it is either, a cancel goes to the child instead of cancelling the steps.
   */
  fulfillment: 'none' | 'starting' | 'running';
  record(step: string, status: TimelineEntry['status'], detail?: string): void;
  step<T>(name: string, run: () => Promise<T>): Promise<T>;
  setStatus(status: OrderStatus): void;
  /** Between two steps: stop here if the order was cancelled, wait here while it is on hold. */
  betweenSteps(): Promise<void>;
  fail(err: unknown): void;
}

export function createOrderState(orderId: string, work: CancellationScope): OrderControl {
  const state: OrderState = { orderId, status: 'pending', held: false, payment: { status: 'pending' }, timeline: [], pendingCompensations: [] };
  const order: OrderControl = {
    state,
    work,
    rollingBack: false,
    fulfillment: 'none',
    saga: new Saga((step, status, detail) => {
      order.rollingBack = true;
      order.record(step, status, detail);
    }),
    record(step, status, detail) {
      state.timeline.push({ step, status, at: new Date().toISOString(), ...(detail ? { detail } : {}) });
      state.pendingCompensations = order.rollingBack ? order.saga.pending() : [];
    },
    async step(name, run) {
      order.record(name, 'started');
      // The UI's "current details": what the order is doing now, and since when.
      setCurrentDetails(`${STEP_IN_WORDS[name] ?? name.replace(/_/g, ' ')} (since ${new Date().toISOString()})`);
      try {
        const result = await run();
        order.record(name, 'completed');
        return result;
      } catch (err) {
        order.record(name, 'failed', err instanceof Error ? err.message : String(err));
        throw err;
      }
    },
    setStatus(status) {
      state.status = status;
      upsertSearchAttributes([{ key: OrderStatusAttr, value: status }]);
    },
    async betweenSteps() {
      // A step's activity finishes even when a cancel arrives mid-step; do not start the next one.
      if (work.consideredCancelled) throw new CancelledFailure(`order ${orderId} was cancelled`);
      if (!state.held) return;
      setCurrentDetails(`On hold since ${new Date().toISOString()}: ${state.holdReason ?? 'no reason given'}`);
      await condition(() => !state.held);
    },
    fail(err) {
      const failure = err as { cause?: { type?: string; message?: string }; type?: string; message?: string };
      const cause = failure.cause?.type ? failure.cause : failure;
      state.failure = { code: cause.type ?? 'internal_error', message: cause.message ?? String(err) };
      order.rollingBack = true;
    },
  };
  return order;
}

type Db = Pick<ActivityInterfaceFor<Activities>, 'updateShippingAddress'>;

export function registerOrderHandlers(order: OrderControl, db: Db): void {
  const { state } = order;
  const isFinal = () => FINAL_STATUSES.includes(state.status);
  const dispatched = () => state.fulfillment?.stage === 'dispatching' || state.fulfillment?.stage === 'shipped';

  setHandler(statusQuery, () => ({ ...state, pendingCompensations: order.rollingBack ? order.saga.pending() : [] }));

  setHandler(cancelOrderUpdate, async (request: ActorReason) => {
    order.cancelRequest = request;
    state.cancelReason = request.reason;
    order.record('cancel_requested', 'completed', `by ${request.actor}: ${request.reason}`);
    if (order.fulfillment !== 'none') {
      // The warehouse decides: it stops unless the parcel is already being dispatched. A child whose start is
      // still in flight cannot take a signal yet (the server would answer "not found"), so wait for it first.
      await condition(() => order.fulfillment !== 'starting' || order.rollingBack || isFinal());
      if (order.fulfillment === 'running') await getExternalWorkflowHandle(workflowIds.fulfillment(state.orderId)).signal(cancelFulfillmentSignal);
      await condition(() => isFinal() || dispatched() || order.rollingBack, CANCEL_ANSWER_CAP, { summary: 'Wait for the warehouse to stop, or say it is too late' });
      if (dispatched() && !order.rollingBack) {
        throw ApplicationFailure.create({ type: 'order_not_cancellable', nonRetryable: true,
          message: `order ${state.orderId} was already being dispatched; it can no longer be cancelled (start a return instead)` });
      }
    } else {
      order.work.cancel();
    }
    if (!isFinal()) order.setStatus('cancelling');
    await condition(isFinal, CANCEL_ANSWER_CAP, { summary: 'Answer the cancel once the order is rolled back' });
    return state;
  }, {
    validator: (request: ActorReason) => {
      requireReason(request);
      const refusal = order.rollingBack && !isFinal() ? `order ${state.orderId} is already being rolled back`
        : dispatched() ? `order ${state.orderId} is being dispatched; it can no longer be cancelled (start a return instead)`
          : cancellationRefusal(state.orderId, state.status);
      if (refusal) throw new Error(refusal);
    },
  });

  setHandler(fulfillmentProgressSignal, (progress) => {
    state.fulfillment = { ...state.fulfillment, ...progress };
    order.record(`fulfillment_${progress.stage}`, 'completed', progress.warehouse ? `warehouse ${progress.warehouse}` : progress.trackingNumber);
  });

  const setHeld = (held: boolean) => (request: ActorReason) => {
    state.held = held;
    state.holdReason = held ? request.reason : undefined;
    order.record(held ? 'hold' : 'release', 'completed', `by ${request.actor}: ${request.reason}`);
    if (!held) setCurrentDetails(`Released by ${request.actor}`);
    return state;
  };
  const holdValidator = (wantHeld: boolean) => (request: ActorReason) => {
    requireReason(request);
    const refusal = holdRefusal(state.orderId, state.status, state.held, wantHeld);
    if (refusal) throw new Error(refusal);
  };
  setHandler(holdOrderUpdate, setHeld(true), { validator: holdValidator(true) });
  setHandler(releaseOrderUpdate, setHeld(false), { validator: holdValidator(false) });

  setHandler(changeShippingAddressUpdate, async ({ actor, reason, ...address }) => {
    await db.updateShippingAddress.executeWithOptions({ summary: `Save the new shipping address of order ${state.orderId}` }, [state.orderId, address]);
    order.record('change_shipping_address', 'completed', `by ${actor}${reason ? `: ${reason}` : ''}`);
    return state;
  }, {
    validator: ({ actor: _actor, ...address }) => {
      const labelled = ['labelled', 'dispatching', 'shipped'].includes(state.fulfillment?.stage ?? '');
      const refusal = labelled ? `order ${state.orderId}'s shipping label is printed; its address can no longer change`
        : addressChangeRefusal(state.orderId, state.status);
      if (refusal) throw new Error(refusal);
      const problems = addressProblems(address);
      if (problems.length) throw new Error(`the new address is not valid: ${problems.join('; ')}`);
    },
  });

  setHandler(awaitPaymentOutcomeUpdate, async ({ maxWaitMs }) => {
    await condition(() => state.payment.status !== 'pending' || order.rollingBack || isFinal(), maxWaitMs,
      { summary: 'Answer the checkout request once the payment outcome is known' });
    return state;
  });

  setHandler(paymentProgressSignal, (progress) => {
    state.payment = { ...progress };
    if (progress.status === 'requires_action' && state.status === 'pending') order.setStatus('awaiting_payment_action');
  });

}

function requireReason(request: ActorReason): void {
  if (!request || typeof request.reason !== 'string' || request.reason.trim().length === 0) throw new Error('a reason is required');
  if (typeof request.actor !== 'string' || request.actor.length === 0) throw new Error('the actor (who asks) is required');
}
