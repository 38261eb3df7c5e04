/**
 * What one order costs Temporal from placement to dispatch, from the histories of its workflows
 * (checkout, payment, fulfillment): the checkout's up to the moment the parcel is dispatched (its
 * fulfillment child's completion, or `recordShipped` when the checkout ran it itself), its
 * children's whole. Used by bench/checkout and by its command line:
 *
 *   npx tsx bench/lib/order-cost.ts test/replay/histories            # every recorded order that was dispatched
 *   npx tsx bench/lib/order-cost.ts test/replay/histories/checkout--a-paid-order-is-packed*
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { temporal } from '@temporalio/proto';
import { addCosts, describeCost, workflowCost, type WorkflowCost } from './workflow-cost';

type Event = temporal.api.history.v1.IHistoryEvent;
const EventType = temporal.api.enums.v1.EventType;

/** The workflows an order runs up to dispatch, as their ids begin (src/contracts/temporal.ts workflowIds). */
export const ORDER_WORKFLOWS = ['checkout', 'payment', 'fulfillment'] as const;
export type OrderWorkflow = typeof ORDER_WORKFLOWS[number];

export interface OrderCost { total: WorkflowCost; byWorkflow: Partial<Record<OrderWorkflow, WorkflowCost>>; dispatched: boolean }

/** The event at which an order's parcel has left: the fulfillment child's completion, or recordShipped's. */
export function dispatchEvent(events: Event[]): (e: Event) => boolean {
  const scheduledType = new Map<string, string>();
  for (const e of events) {
    const a = e.activityTaskScheduledEventAttributes;
    if (a) scheduledType.set(String(e.eventId), a.activityType?.name ?? '');
  }
  return (e) => (e.eventType === EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED
      && e.childWorkflowExecutionCompletedEventAttributes?.workflowType?.name === 'fulfillment')
    || (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
      && scheduledType.get(String(e.activityTaskCompletedEventAttributes?.scheduledEventId)) === 'recordShipped');
}

/** One order's cost to dispatch, from its workflows' histories (a missing child costs nothing). */
export function orderCost(histories: Partial<Record<OrderWorkflow, Event[]>>): OrderCost {
  const byWorkflow: OrderCost['byWorkflow'] = {};
  let dispatched = false;
  for (const wf of ORDER_WORKFLOWS) {
    const events = histories[wf];
    if (!events) continue;
    if (wf === 'checkout') {
      const at = dispatchEvent(events);
      dispatched = events.some(at);
      byWorkflow[wf] = workflowCost(events, at);
    } else {
      byWorkflow[wf] = workflowCost(events);
    }
  }
  return { total: addCosts(...Object.values(byWorkflow)), byWorkflow, dispatched };
}

/** Reads `<workflow>--<test>.history.bin` files (test/replay/record.ts) and groups them by test: one order each. */
function readRecordedOrders(paths: string[]): Map<string, Partial<Record<OrderWorkflow, Event[]>>> {
  const files = paths.flatMap((p) => (statSync(p).isDirectory() ? readdirSync(p).map((f) => join(p, f)) : [p]))
    .filter((f) => f.endsWith('.history.bin'));
  const orders = new Map<string, Partial<Record<OrderWorkflow, Event[]>>>();
  for (const file of files) {
    const [workflow, test] = basename(file, '.history.bin').split('--');
    if (!(ORDER_WORKFLOWS as readonly string[]).includes(workflow) || !test) continue;
    const events = temporal.api.history.v1.History.decode(readFileSync(file)).events ?? [];
    const order = orders.get(test) ?? {};
    order[workflow as OrderWorkflow] = events;
    orders.set(test, order);
  }
  return orders;
}

if (require.main === module) {
  const paths = process.argv.slice(2);
  if (paths.length === 0) {
    console.error('usage: npx tsx bench/lib/order-cost.ts <history files or directories>');
    process.exit(2);
  }
  for (const [test, histories] of readRecordedOrders(paths)) {
    if (!histories.checkout) continue;
    const cost = orderCost(histories);
    if (!cost.dispatched) continue;
    console.log(`${test}\n  order to dispatch: ${describeCost(cost.total)}`);
    for (const [wf, c] of Object.entries(cost.byWorkflow)) console.log(`    ${wf.padEnd(11)} ${describeCost(c)}`);
  }
}
