/**
 * What a workflow costs a Temporal cluster, counted from its history: workflow tasks (what a
 * history shard and its database serialize, so what sets how many orders a cluster takes) and the
 * billable actions of Temporal Cloud, as its actions page defines them
 * (https://docs.temporal.io/cloud/actions):
 *
 * - a workflow started by a client: 1; a child workflow the parent starts: 2 (its start and its
 *   execution, both on the parent's StartChildWorkflowExecutionInitiated; the child's own
 *   WorkflowExecutionStarted then counts 0); a continue-as-new: 1;
 * - each activity started or retried: 1 per attempt (the history keeps one started event per
 *   activity, with its attempt number);
 * - local activities: 1 per workflow task whose completion recorded one or more of their markers;
 * - each timer started (a `condition` with a timeout starts one): 1;
 * - each UpsertWorkflowSearchAttributes command: 1, except one that only sets TemporalChangeVersion;
 *   search attributes given at start are free;
 * - each signal received, from a client or a workflow: 1 (counted where it lands, so a signal
 *   between two workflows of the same order counts once);
 * - each update accepted (update-with-start included, on top of its start): 1;
 * - each workflow-options update: 1.
 *
 * Queries, heartbeats and rejected updates are billed too but leave nothing in a history; they are
 * not counted here (an order's happy path has none).
 */
import { temporal } from '@temporalio/proto';

type Event = temporal.api.history.v1.IHistoryEvent;
const EventType = temporal.api.enums.v1.EventType;

/** The SDK core's marker name for local activities (sdk-core constants.rs). */
export const LOCAL_ACTIVITY_MARKER = 'core_local_activity';
const CHANGE_VERSION_ATTRIBUTE = 'TemporalChangeVersion';

export interface WorkflowCost {
  workflowTasks: number;
  activities: number;
  localActivities: number;
  signals: number;
  upserts: number;
  /** Workflows started: by a client, as a child, or by continue-as-new. */
  starts: number;
  updates: number;
  timers: number;
  /** Billable actions, by the rules above. */
  actions: number;
}

export const noCost = (): WorkflowCost => ({
  workflowTasks: 0, activities: 0, localActivities: 0, signals: 0, upserts: 0, starts: 0, updates: 0, timers: 0, actions: 0,
});

export function addCosts(...costs: WorkflowCost[]): WorkflowCost {
  const sum = noCost();
  for (const c of costs) for (const k of Object.keys(sum) as (keyof WorkflowCost)[]) sum[k] += c[k];
  return sum;
}

/**
 * The cost of one history, from its first event up to (not including) the first event `until`
 * accepts, or all of it: e.g. an order's checkout up to the moment its fulfillment child reports
 * the parcel dispatched.
 */
export function workflowCost(events: Event[], until?: (e: Event) => boolean): WorkflowCost {
  const cost = noCost();
  const tasksWithLocalActivities = new Set<string>();
  for (const e of events) {
    if (until?.(e)) break;
    switch (e.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
        cost.workflowTasks += 1;
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED: {
        if (e.workflowExecutionStartedEventAttributes?.parentWorkflowExecution?.workflowId) break; // the parent paid for it
        cost.starts += 1;
        cost.actions += 1;
        break;
      }
      case EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
        cost.starts += 1;
        cost.actions += 2;
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
        cost.starts += 1;
        cost.actions += 1;
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        cost.activities += 1;
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
        cost.actions += Math.max(1, e.activityTaskStartedEventAttributes?.attempt ?? 1);
        break;
      case EventType.EVENT_TYPE_MARKER_RECORDED: {
        const marker = e.markerRecordedEventAttributes;
        if (marker?.markerName !== LOCAL_ACTIVITY_MARKER) break;
        cost.localActivities += 1;
        tasksWithLocalActivities.add(String(marker.workflowTaskCompletedEventId ?? e.eventId));
        break;
      }
      case EventType.EVENT_TYPE_TIMER_STARTED:
        cost.timers += 1;
        cost.actions += 1;
        break;
      case EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: {
        const fields = Object.keys(e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {});
        cost.upserts += 1;
        if (fields.some((f) => f !== CHANGE_VERSION_ATTRIBUTE)) cost.actions += 1;
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
        cost.signals += 1;
        cost.actions += 1;
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
        cost.updates += 1;
        cost.actions += 1;
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_OPTIONS_UPDATED:
        cost.actions += 1;
        break;
      default:
        break;
    }
  }
  cost.actions += tasksWithLocalActivities.size;
  return cost;
}

/** One line, e.g. "15 workflow tasks, 30 actions (8 activities, 2 local, 3 signals, 4 upserts, 3 starts, 1 update, 1 timer)". */
export function describeCost(c: WorkflowCost, digits = 0): string {
  const n = (v: number) => v.toFixed(digits);
  return `${n(c.workflowTasks)} workflow tasks, ${n(c.actions)} actions (${n(c.activities)} activities, ${n(c.localActivities)} local, ` +
    `${n(c.signals)} signals, ${n(c.upserts)} upserts, ${n(c.starts)} starts, ${n(c.updates)} updates, ${n(c.timers)} timers)`;
}

/** Temporal Cloud's list price for actions at the entry tier, USD per million (temporal.io/pricing). */
export const CLOUD_USD_PER_MILLION_ACTIONS = 50;
