/**
 * The order's status on its child workflows (payment, fulfillment, tracking), for the Temporal UI.
 * A child carries OrderStatus while it runs, kept current by the child itself from what it sees
 * of the order (3-D Secure asked for, a cancel that reaches the warehouse in time, the parcel
 * marked shipped), and drops it when it ends: a filter such as `OrderStatus = "awaiting_fulfillment"`
 * finds an order's checkout and the child working on it, never a finished child whose copy went
 * stale. The checkout keeps the order's own status for its whole life (checkout-state.ts), and
 * starts each child with its first status among its search attributes (free, where an upsert is a
 * billable action and a history event).
 */
import { ContinueAsNew, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { OrderStatusAttr } from '../src/contracts/temporal';
import type { OrderStatus } from '../src/contracts/order';

export interface ChildOrderStatus {
  /** The order has moved on (a no-op when the status is already this one). */
  set(status: OrderStatus): void;
  /** The child's part is over: the status is the checkout's to keep. */
  end(): void;
}

/**
 * Runs a child's work carrying OrderStatus, from `initial` (the order's status when the run starts),
 * and drops it when the run ends, however it ends; a continue-as-new hands it on to the next run.
 */
export async function withOrderStatus<T>(initial: OrderStatus, run: (status: ChildOrderStatus) => Promise<T>): Promise<T> {
  const status = followOrderStatus(initial);
  try {
    const result = await run(status);
    status.end();
    return result;
  } catch (err) {
    if (!(err instanceof ContinueAsNew)) status.end();
    throw err;
  }
}

function followOrderStatus(initial: OrderStatus): ChildOrderStatus {
  // Started with it (by the checkout, or by a continue-as-new that handed it on): nothing to write.
  let current = (workflowInfo().typedSearchAttributes.get(OrderStatusAttr) as OrderStatus | undefined) ?? null;
  const upsert = (status: OrderStatus | null) => {
    if (status === current) return;
    current = status;
    upsertSearchAttributes([{ key: OrderStatusAttr, value: status }]);
  };
  upsert(initial);
  return { set: upsert, end: () => upsert(null) };
}
