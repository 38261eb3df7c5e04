/**
 * The checkout workflow's live state and the support hooks on it: the `status` query, the
 * cancel / hold / release / change-address updates (each with a validator that says why it
 * refuses), the API's early-return update, and the payment child's progress signal.
 */
import { CancellationScope, CancelledFailure, condition, setCurrentDetails, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { ActivityInterfaceFor } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { addressChangeRefusal, addressProblems, cancellationRefusal, FINAL_STATUSES, holdRefusal } from '../src/domain/order';
import {
  awaitPaymentOutcomeUpdate, cancelOrderUpdate, changeShippingAddressUpdate, holdOrderUpdate, OrderStatusAttr, paymentProgressSignal,
  releaseOrderUpdate, statusQuery, type ActorReason, type OrderState, type OrderStatus, type TimelineEntry,
} from './definitions';
import { Saga } from './saga';

/** How long a cancel request waits for the rollback before answering with the state so far. */
const CANCEL_ANSWER_CAP = '1 minute';

import { registerSupportHandlers } from './support-handlers';
export interface OrderControl {
  state: OrderState;
  /** The scope the order's steps run in; a cancel request cancels it. */
  work: CancellationScope;
  saga: Saga;
  cancelRequest?: ActorReason;
  rollingBack: boolean;
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

  setHandler(statusQuery, () => ({ ...state, pendingCompensations: order.rollingBack ? order.saga.pending() : [] }));

  setHandler(cancelOrderUpdate, async (request: ActorReason) => {
    order.cancelRequest = request;
    state.cancelReason = request.reason;
    order.record('cancel_requested', 'completed', `by ${request.actor}: ${request.reason}`);
    order.setStatus('cancelling');
    order.work.cancel();
    await condition(isFinal, CANCEL_ANSWER_CAP);
    return state;
  }, {
    validator: (request: ActorReason) => {
      requireReason(request);
      const refusal = order.rollingBack && !isFinal() ? `order ${state.orderId} is already being rolled back` : cancellationRefusal(state.orderId, state.status);
      if (refusal) throw new Error(refusal);
    },
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
      const refusal = addressChangeRefusal(state.orderId, state.status);
      if (refusal) throw new Error(refusal);
      const problems = addressProblems(address);
      if (problems.length) throw new Error(`the new address is not valid: ${problems.join('; ')}`);
    },
  });

  setHandler(awaitPaymentOutcomeUpdate, async ({ maxWaitMs }) => {
    await condition(() => state.payment.status !== 'pending' || order.rollingBack || isFinal(), maxWaitMs);
    return state;
  });

  setHandler(paymentProgressSignal, (progress) => {
    state.payment = { ...progress };
    if (progress.status === 'requires_action' && state.status === 'pending') order.setStatus('awaiting_payment_action');
  });

  registerSupportHandlers(order);
}

function requireReason(request: ActorReason): void {
  if (!request || typeof request.reason !== 'string' || request.reason.trim().length === 0) throw new Error('a reason is required');
  if (typeof request.actor !== 'string' || request.actor.length === 0) throw new Error('the actor (who asks) is required');
}
