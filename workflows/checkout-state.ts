/**
 * The checkout workflow's live state (OrderState, what the `status` query answers) and the few
 * moves every step makes on it: record a timeline entry, run a step, set the status, stop or wait
 * between two steps. The updates and signals that act on it are in order-handlers.ts.
 */
import { CancellationScope, CancelledFailure, condition, proxyActivities, setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ActorReason, OrderState, OrderStatus, TimelineEntry } from '../src/contracts/order';
import { OrderStatusAttr } from '../src/contracts/temporal';
import { COMPENSATION } from './policies';
import { Saga } from './saga';

/** Support's notice that a rollback step can never succeed: retried until it is raised, like the undos. */
const notices = proxyActivities<Activities>(COMPENSATION);

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
  /**
   * The order's status, and its OrderStatus search attribute. 'at_next_wait': the attribute is
   * written when the order next waits (on hold) or moves on to another status, whichever comes
   * first; for a status the very same workflow task replaces (payment authorized, then confirmed),
   * so that an upsert, a billable action, is not spent on a value no one could filter on.
   */
  setStatus(status: OrderStatus, publish?: 'now' | 'at_next_wait'): void;
  /** Between two steps: stop here if the order was cancelled, wait here while it is on hold. */
  betweenSteps(): Promise<void>;
  fail(err: unknown): void;
}

export function createOrderState(orderId: string, work: CancellationScope): OrderControl {
  const state: OrderState = { orderId, status: 'pending', held: false, payment: { status: 'pending' }, timeline: [], pendingCompensations: [] };
  /** What OrderStatus says: the API starts the checkout with 'pending' among its search attributes (src/api/routes/checkout.ts). */
  let published = (workflowInfo().typedSearchAttributes.get(OrderStatusAttr) as OrderStatus | undefined) ?? null;
  const publish = () => {
    if (state.status === published) return;
    published = state.status;
    upsertSearchAttributes([{ key: OrderStatusAttr, value: state.status }]);
  };
  const order: OrderControl = {
    state,
    work,
    rollingBack: false,
    fulfillment: 'none',
    saga: new Saga((step, status, detail) => {
      order.rollingBack = true;
      order.record(step, status, detail);
    }, (step, error) => notices.noticeRollbackStepFailed.executeWithOptions(
      { summary: `Tell support that "${step}" of order ${orderId} failed for good` }, [{ orderId, step, error }])),
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
    setStatus(status, when = 'now') {
      state.status = status;
      if (when === 'now') publish();
    },
    async betweenSteps() {
      // A step's activity finishes even when a cancel arrives mid-step; do not start the next one.
      if (work.consideredCancelled) throw new CancelledFailure(`order ${orderId} was cancelled`);
      if (!state.held) return;
      publish();
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
