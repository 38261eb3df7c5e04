/**
 * shipment-<shipmentId>: follows a parcel from the warehouse to the door, for days or weeks.
 * Carrier webhooks arrive as signals, buffered from the first moment; when none came for
 * `pollEvery`, a durable timer wakes the workflow to ask the carrier. Each real status change is
 * stored and told to the customer; a parcel that has not moved for `stallAfter` is flagged for
 * support. The history stays short: the workflow continues as new, carrying its state. It ends at
 * delivered or returned to sender; the parent checkout marks the order.
 */
import { allHandlersFinished, ApplicationFailure, condition, continueAsNew, setCurrentDetails, setHandler, workflowInfo } from '@temporalio/workflow';
import { msToNumber, type Duration } from '@temporalio/common/lib/time';
import { carrierEventSignal, trackingStatusQuery, type CarrierEvent, type TrackingInput, type TrackingResult, type TrackingState } from '../src/contracts/shipment';
import { ErrorCode } from '../src/domain/errors';
import { inWords, isFinal, startingState } from './shipment-state';
import { withOrderStatus } from './order-status';
import { FollowedParcel } from './followed-parcel';

/**
 * Polls plus applied events in one run before continuing as new. At the default 6-hour poll that
 * is about 12 days and ~600 history events: a worker that lost its cache replays a short history.
 */
export const CONTINUE_AS_NEW_AFTER = 50;

export async function shipmentTracking(input: TrackingInput): Promise<TrackingResult> {
  // The order is shipped while its parcel is followed; a next run (continue-as-new) carries it on.
  return withOrderStatus('shipped', () => followParcel(input));
}

async function followParcel(input: TrackingInput): Promise<TrackingResult> {
  const pollEvery = durationMs('pollEvery', input.pollEvery);
  const stallAfter = durationMs('stallAfter', input.stallAfter);
  const state: TrackingState = input.carried ?? startingState(input, Date.now());
  const stepsAtStart = state.polls + state.eventsApplied;
  const inbox: CarrierEvent[] = [];
  setHandler(carrierEventSignal, (event) => {
    inbox.push(event);
  });
  setHandler(trackingStatusQuery, () => state);
  const parcel = new FollowedParcel(input, state);
  parcel.publish();

  while (!isFinal(state.status)) {
    const budget = input.continueAsNewAfter ?? CONTINUE_AS_NEW_AFTER;
    if (workflowInfo().continueAsNewSuggested || state.polls + state.eventsApplied - stepsAtStart >= budget) {
      await condition(allHandlersFinished);
      // Events already buffered are applied first (the loop comes back here once the inbox is empty).
      if (inbox.length === 0) await continueAsNew<typeof shipmentTracking>({ ...input, carried: { ...state, runs: state.runs + 1 } });
    }
    const untilStall = state.stalled ? Infinity : Date.parse(state.lastMovementAt) + stallAfter - Date.now();
    const wait = Math.max(1, Math.min(pollEvery, untilStall));
    parcel.describeWait(wait, stallAfter);
    const heard = await condition(() => inbox.length > 0, wait, { summary: 'Ask the carrier unless a webhook comes first' });
    if (heard) await parcel.apply(inbox.splice(0), 'webhook');
    else await parcel.poll();
    await parcel.reviewStall(stallAfter);
  }

  if (state.status === 'returned_to_sender') await parcel.reportReturn();
  setCurrentDetails(`Parcel ${input.trackingNumber} ${inWords(state.status)} at ${state.lastEventAt}`);
  return { status: state.status as TrackingResult['status'], deliveredAt: state.status === 'delivered' ? state.lastEventAt : undefined, state };
}

function durationMs(name: string, value: string): number {
  let ms = NaN;
  try {
    ms = msToNumber(value as Duration);
  } catch {
    // reported below
  }
  if (!(ms > 0)) throw ApplicationFailure.nonRetryable(`${name} must be a duration such as '6 hours', not '${value}'`, ErrorCode.InvalidWorkflowInput);
  return ms;
}
