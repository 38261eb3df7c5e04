/**
 * The customer's own cancel (POST /orders/:id/cancel, also open to support with their key): the
 * order's cancel update, answered once the rollback is done. Unlike support's cancel
 * (src/support/actions.ts) it keeps no audit row; like it, it throws DomainErrors the API lets
 * through: order_not_cancellable with the workflow's own reason, or service_unavailable.
 */
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { EntityManager } from '@mikro-orm/postgresql';
import { DomainError, ErrorCode } from '../domain/errors';
import { cancellationRefusal, type OrderStatus } from '../domain/order';
import { cancelOrderUpdate, type OrderState } from '../contracts/order';
import { workflowIds } from '../contracts/temporal';
import type { Logger } from '../logger';
import { orderById } from '../store/orders';

/** The cancel update answers once the rollback is done (the workflow caps its wait at 1 minute). */
const CANCEL_DEADLINE_MS = 75_000;

export async function cancelOrderAsCustomer(deps: { client?: Client; em: EntityManager; log: Logger },
  req: { orderId: string; actor: string; reason: string }): Promise<OrderState> {
  const { client, log } = deps;
  const { orderId, actor, reason } = req;
  if (!client) throw orderServiceUnavailable(orderId);
  try {
    const state = await client.withDeadline(Date.now() + CANCEL_DEADLINE_MS, () =>
      client.workflow.getHandle(workflowIds.checkout(orderId)).executeUpdate(cancelOrderUpdate, { args: [{ actor, reason }] }));
    log.info({ orderId, actor }, 'order cancelled on request');
    return state;
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) throw notCancellable(orderId, (err.cause as Error | undefined)?.message ?? err.message);
    if (err instanceof WorkflowNotFoundError) {
      // The saga has ended (or never started): the same rule the workflow's validator applies decides the answer.
      const order = await orderById(deps.em, orderId);
      if (!order) throw new DomainError(ErrorCode.OrderNotFound, `Order ${orderId} does not exist.`, { id: orderId });
      const status = order.status as OrderStatus;
      throw notCancellable(orderId, cancellationRefusal(orderId, status)
        ?? `order ${orderId} is ${status} and its checkout is not running; retry the checkout with its Idempotency-Key first`);
    }
    log.error({ err, orderId }, 'cancel could not reach the order workflow; answered 503');
    throw orderServiceUnavailable(orderId);
  }
}

function notCancellable(orderId: string, reason: string): DomainError {
  return new DomainError(ErrorCode.OrderNotCancellable, `This order cannot be cancelled: ${reason}.`, { orderId, reason });
}

function orderServiceUnavailable(orderId: string): DomainError {
  return new DomainError(ErrorCode.ServiceUnavailable,
    `The order service did not answer for order ${orderId}; nothing was changed. Try again in a moment.`, { orderId });
}
