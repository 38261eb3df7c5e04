/**
 * `support find` and GET /admin/orders: a visibility query over the orders' search attributes
 * (OrderId, CustomerId, OrderStatus, OrderTotal) and their dates (StartTime, ExecutionTime), so the
 * same filter works in the Temporal UI's search box. Every value is checked before it goes into
 * the query, so no input can change the query's shape.
 */
import type { Client } from '@temporalio/client';
import { ErrorCode } from '../domain/errors';
import { ORDER_STATUSES, type OrderStatus } from '../domain/order';
import { CustomerIdAttr, OrderIdAttr, OrderStatusAttr, OrderTotalAttr } from '../contracts/temporal';
import { SupportError } from './errors';

export interface FindFilters {
  orderId?: string;
  customerId?: string;
  status?: string;
  /** OrderTotal in minor units, inclusive. */
  minTotal?: number;
  maxTotal?: number;
  /** ISO 8601 dates or times, inclusive, over `dateField`. */
  since?: string;
  until?: string;
  /** Which date the range is about: when the order's workflow started (default) or when it was first scheduled to run. */
  dateField?: 'StartTime' | 'ExecutionTime';
  limit?: number;
}

export interface FoundOrder {
  orderId: string;
  customerId?: string;
  status?: string;
  total?: number;
  workflowId: string;
  runId: string;
  workflowStatus: string;
  startTime: string;
  closeTime?: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_LIMIT = 1000;

/** The visibility query for these filters (only checkout workflows: one per order). */
export function orderQuery(f: FindFilters): string {
  const bad = (message: string) => new SupportError(ErrorCode.ValidationFailed, message);
  const clauses = [`WorkflowType = "checkout"`];
  for (const [name, value] of [['OrderId', f.orderId], ['CustomerId', f.customerId]] as const) {
    if (value === undefined) continue;
    if (!UUID.test(value)) throw bad(`${name === 'OrderId' ? 'the order id' : 'the customer id'} "${value}" is not a UUID`);
    clauses.push(`${name} = "${value.toLowerCase()}"`);
  }
  if (f.status !== undefined) {
    if (!ORDER_STATUSES.includes(f.status as OrderStatus)) throw bad(`"${f.status}" is not an order status; one of: ${ORDER_STATUSES.join(', ')}`);
    clauses.push(`OrderStatus = "${f.status}"`);
  }
  for (const [op, value] of [['>=', f.minTotal], ['<=', f.maxTotal]] as const) {
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < 0) throw bad(`a total must be a whole number of minor units (cents), not "${value}"`);
    clauses.push(`OrderTotal ${op} ${value}`);
  }
  const field = f.dateField ?? 'StartTime';
  if (field !== 'StartTime' && field !== 'ExecutionTime') throw bad(`dates are over StartTime or ExecutionTime, not "${String(field)}"`);
  for (const [op, value] of [['>=', f.since], ['<=', f.until]] as const) {
    if (value === undefined) continue;
    const at = Date.parse(value);
    if (!/^\d{4}-\d\d-\d\d/.test(value) || Number.isNaN(at)) throw bad(`"${value}" is not a date; use ISO 8601, e.g. 2026-11-26 or 2026-11-26T08:00:00Z`);
    // A bare date as the upper bound means the whole of that day.
    const bound = op === '<=' && /^\d{4}-\d\d-\d\d$/.test(value) ? at + 86_400_000 - 1 : at;
    clauses.push(`${field} ${op} "${new Date(bound).toISOString()}"`);
  }
  return clauses.join(' AND ');
}

export async function findOrders(client: Client, filters: FindFilters): Promise<{ query: string; orders: FoundOrder[] }> {
  const query = orderQuery(filters);
  const limit = Math.min(filters.limit ?? 50, MAX_LIMIT);
  const orders: FoundOrder[] = [];
  try {
    for await (const wf of client.workflow.list({ query, pageSize: Math.min(limit, 100) })) {
      const sa = wf.typedSearchAttributes;
      orders.push({
        orderId: sa.get(OrderIdAttr) ?? wf.workflowId.replace(/^checkout-/, ''),
        customerId: sa.get(CustomerIdAttr), status: sa.get(OrderStatusAttr), total: sa.get(OrderTotalAttr),
        workflowId: wf.workflowId, runId: wf.runId, workflowStatus: wf.status.name,
        startTime: wf.startTime.toISOString(), closeTime: wf.closeTime?.toISOString(),
      });
      if (orders.length >= limit) break;
    }
  } catch (err) {
    throw new SupportError(ErrorCode.ServiceUnavailable, `the order search did not answer: ${(err as Error).message}`);
  }
  return { query, orders };
}
