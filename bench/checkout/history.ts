/**
 * Exact step times, read after the run from the workflow histories (so reading them costs the
 * measured run nothing): when the server recorded each activity's completion, and where the time
 * of a workflow went (waiting in a task queue vs. running on the worker). The dev server and this
 * process read the same clock, so a client timestamp and an event time can be subtracted.
 */
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { tsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { LOCAL_ACTIVITY_MARKER } from '../lib/workflow-cost';

type Event = temporal.api.history.v1.IHistoryEvent;

/** Milliseconds spent on one kind of task: queued (scheduled → started) and running (started → completed). */
export interface TaskTimes { wait: number[]; run: number[] }

export interface Breakdown {
  /** Orders (or bare runs) whose histories, parent and child, were added. */
  orders: number;
  workflowTasks: TaskTimes;
  activities: Map<string, TaskTimes>;
  /** Start-child initiated → child completed, as the parent sees it. */
  child: number[];
}

export const emptyBreakdown = (): Breakdown => ({ orders: 0, workflowTasks: { wait: [], run: [] }, activities: new Map(), child: [] });

/**
 * Completion times of the activities `label` names (e.g. the first setOrderStatus → 'confirmed'),
 * and, when `into` is given, the workflow's task times added to it. Local activities count too:
 * they leave a marker whose data says the activity type and when it completed (their arguments
 * are not in the history, hence `nth`, the how-many-th call of that type this is).
 */
export function stepTimes(events: Event[], label: (type: string, args: unknown[], nth: number) => string | undefined,
  into?: Breakdown): Map<string, number> {
  const at = (e: Event) => tsToMs(e.eventTime);
  const byId = new Map<number, Event>(events.map((e) => [Number(e.eventId), e]));
  const labels = new Map<string, number>();
  const seen = new Map<string, number>();
  const name = (type: string, args: unknown[], when: number) => {
    const nth = seen.get(type) ?? 0;
    seen.set(type, nth + 1);
    const step = label(type, args, nth);
    if (step) labels.set(step, when);
  };
  for (const e of events) {
    const done = e.activityTaskCompletedEventAttributes;
    if (done) {
      const scheduled = byId.get(Number(done.scheduledEventId));
      const started = byId.get(Number(done.startedEventId));
      const attrs = scheduled?.activityTaskScheduledEventAttributes;
      const type = attrs?.activityType?.name ?? '?';
      name(type, (attrs?.input?.payloads ?? []).map((p) => defaultPayloadConverter.fromPayload(p)), at(e));
      if (into && scheduled && started) {
        const times = into.activities.get(type) ?? { wait: [], run: [] };
        times.wait.push(at(started) - at(scheduled));
        times.run.push(at(e) - at(started));
        into.activities.set(type, times);
      }
    }
    const marker = e.markerRecordedEventAttributes;
    if (marker?.markerName === LOCAL_ACTIVITY_MARKER) {
      const data = localActivityData(marker.details?.data?.payloads?.[0]);
      const type = `${data.type} (local)`;
      name(data.type, [], data.completedAt ?? at(e));
      if (into) {
        const times = into.activities.get(type) ?? { wait: [], run: [] };
        times.wait.push(0);
        times.run.push(NaN); // how long it ran is not in the history; its workflow task's run time includes it
        into.activities.set(type, times);
      }
    }
    const wftDone = e.workflowTaskCompletedEventAttributes;
    if (into && wftDone) {
      const scheduled = byId.get(Number(wftDone.scheduledEventId));
      const started = byId.get(Number(wftDone.startedEventId));
      if (scheduled && started) {
        into.workflowTasks.wait.push(at(started) - at(scheduled));
        into.workflowTasks.run.push(at(e) - at(started));
      }
    }
    const childDone = e.childWorkflowExecutionCompletedEventAttributes;
    if (into && childDone) {
      const initiated = byId.get(Number(childDone.initiatedEventId));
      if (initiated) into.child.push(at(e) - at(initiated));
    }
  }
  return labels;
}

/** The JSON the SDK core writes into a local activity marker: its type, and its "perceived completion time". */
function localActivityData(payload: temporal.api.common.v1.IPayload | undefined): { type: string; completedAt?: number } {
  const data = (payload ? defaultPayloadConverter.fromPayload(payload) : {}) as Record<string, unknown>;
  const type = String(data.activity_type ?? data.activityType ?? '?');
  const time = (data.complete_time ?? data.completeTime) as { seconds?: number | string; nanos?: number } | string | undefined;
  const completedAt = typeof time === 'string' ? Date.parse(time)
    : time && time.seconds !== undefined ? Number(time.seconds) * 1000 + (time.nanos ?? 0) / 1e6 : undefined;
  return { type, completedAt: Number.isFinite(completedAt) ? completedAt : undefined };
}

/**
 * A workflow's whole history (the server's, read through the client), with the payloads stepTimes
 * reads (activity inputs, local activities' markers) decoded by the client's codecs: the workers
 * encrypt them (bench/lib/secrets.ts), and the server keeps them so.
 */
export async function fetchEvents(client: Client, workflowId: string): Promise<Event[]> {
  const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const codecs = [...client.options.loadedDataConverter.payloadCodecs].reverse();
  const decode = async (holder: temporal.api.common.v1.IPayloads | null | undefined) => {
    if (!holder?.payloads?.length) return;
    for (const codec of codecs) holder.payloads = await codec.decode(holder.payloads);
  };
  await Promise.all(events.map(async (e) => {
    await decode(e.activityTaskScheduledEventAttributes?.input);
    await decode(e.markerRecordedEventAttributes?.details?.data);
  }));
  return events;
}

/** Runs `job` over `items`, a few at a time (the dev server answers quickly; this is after the run). */
export async function eachLimited<T, R>(items: T[], limit: number, job: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await job(items[i]);
    }
  }));
  return out;
}

/** The events of one workflow with their ms since its start (e.g. "+12 activityTaskScheduled(reserveStock)"), for `--dump`. */
export async function eventSummary(client: Client, workflowId: string): Promise<string> {
  const events = await fetchEvents(client, workflowId);
  const names = temporal.api.enums.v1.EventType;
  const first = events.length > 0 ? tsToMs(events[0].eventTime) : 0;
  return events.map((e) => {
    const name = (names[e.eventType ?? 0] ?? String(e.eventType)).replace(/^EVENT_TYPE_/, '').toLowerCase().replace(/_(\w)/g, (_, c: string) => c.toUpperCase());
    const activity = e.activityTaskScheduledEventAttributes?.activityType?.name;
    return `+${Math.round(tsToMs(e.eventTime) - first)} ${activity ? `${name}(${activity})` : name}`;
  }).join(' ');
}
