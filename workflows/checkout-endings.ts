/**
 * How an order's workflow ends, other than by its steps running through (workflows/checkout.ts):
 * before dispatch a failure or a cancel rolls it back; past dispatch nothing is rolled back; and a
 * delivered or returned order stays open to support for an after-sales window.
 */
import { allHandlersFinished, CancellationScope, condition, isCancellation, proxyActivities, setCurrentDetails, sleep } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { ErrorCode } from '../src/domain/errors';
import type { CheckoutInput, OrderState } from '../src/contracts/order';
import { COMPENSATION, NOTIFICATION_COMPENSATION } from './policies';
import type { OrderControl } from './checkout-state';
import { tellCustomer } from './messages';

/** The rollback's own steps (the order marked, its cart reopened): retried until they succeed, like the undos. */
const rollback = proxyActivities<Activities>(COMPENSATION);
/** The customer's message that the order was cancelled or failed: retried without limit, like every compensation. */
const rollbackMessages = proxyActivities<Activities>(NOTIFICATION_COMPENSATION);

const DEFAULT_AFTER_SALES_WINDOW = '30 days';

/** Runs the undos, marks the order and tells the customer; nothing here can be cancelled. */
export async function rollBackOrder(input: CheckoutInput, order: OrderControl, cancelled: boolean): Promise<void> {
  const { saga } = order;
  await CancellationScope.nonCancellable(async () => {
    const final = cancelled ? 'cancelled' : 'failed';
    setCurrentDetails(`Rolling back order ${input.orderId} (${final}): ${saga.pending().join(', ') || 'nothing to undo'}`);
    await saga.compensate();
    // Like the undos: a step that can never succeed is reported to support and the rollback goes on, so the order still ends.
    await saga.attempt('mark_order', () => rollback.setOrderStatus.executeWithOptions({ summary: `Mark order ${input.orderId} ${final}` }, [input.orderId, final]));
    await saga.attempt('reopen_cart', () => rollback.reopenCart.executeWithOptions({ summary: `Reopen the cart of order ${input.orderId}` }, [input.orderId]));
    const declined = order.state.failure?.code === ErrorCode.PaymentDeclined;
    const reason = cancelled ? order.cancelRequest?.reason : order.state.failure?.message;
    await order.step('tell_customer', () => tellCustomer(rollbackMessages, input, declined ? 'payment_failed' : 'order_cancelled', reason));
    order.setStatus(final);
    setCurrentDetails(`Order ${final}; compensations done`);
  });
}

/**
 * Past dispatch the parcel is on its way and the money captured: nothing is rolled back any more.
 * If tracking fails, or an operator cancels this workflow, the order keeps its status and the
 * customer is told nothing; a failure still fails the workflow, so it shows in the Temporal UI.
 */
export function endAfterDispatch(order: OrderControl, err: unknown): OrderState {
  const cancelledByOperator = isCancellation(err);
  order.record('after_dispatch', cancelledByOperator ? 'skipped' : 'failed',
    cancelledByOperator ? 'the workflow was cancelled after dispatch: nothing rolled back' : `${(err as Error)?.message ?? err}: nothing rolled back`);
  setCurrentDetails(`Order ${order.state.status}: the parcel was dispatched, so nothing is rolled back; `
    + (cancelledByOperator ? 'this workflow was cancelled' : 'see the failure below'));
  if (cancelledByOperator) return order.state;
  throw err;
}

/** A delivered or returned order stays open to support (refunds, messages) for a while, then its workflow ends. */
export async function afterSales(input: CheckoutInput, order: OrderControl): Promise<void> {
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
