/**
 * shipment-<shipmentId>: follows a parcel from the warehouse to the door, for days or weeks.
 * Carrier webhooks arrive as signals, buffered from the first moment; when none came for
 * `pollEvery`, a durable timer wakes the workflow to ask the carrier. Each real status change is
 * stored and told to the customer; a parcel that has not moved for `stallAfter` is flagged for
 * support. The history stays short: the workflow continues as new, carrying its state. It ends at
 * delivered or returned to sender; the parent checkout marks the order.
 */
import {
  allHandlersFinished, ApplicationFailure, condition, continueAsNew, isCancellation, log, patched, proxyActivities,
  setCurrentDetails, setHandler, upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import type { ActivityOptions } from '@temporalio/common';
import { msToNumber, type Duration } from '@temporalio/common/lib/time';
import type { Activities } from '../activities';
import { carrierEventSignal, trackingStatusQuery, type CarrierEvent, type TrackingInput, type TrackingResult, type TrackingState } from '../src/contracts/shipment';
import { OrderIdAttr, ShipmentStatusAttr } from '../src/contracts/temporal';
import { AFTER_DISPATCH, NOTIFICATION_CALL } from './policies';
import { advance, chronological, CUSTOMER_MESSAGES, hasStalled, inWords, isFinal, judge, RETURNED_MESSAGE, startingState } from './shipment-state';
import { withOrderStatus } from './order-status';

/**
 * Polls plus applied events in one run before continuing as new. At the default 6-hour poll that
 * is about 12 days and ~600 history events: a worker that lost its cache replays a short history.
 */
export const CONTINUE_AS_NEW_AFTER = 50;

/** Parcels followed since: a return to sender is e-mailed to the customer and leaves support a notice (it used to end silently). */
const RETURN_REPORTED_PATCH = 'report-returned-parcel';
/** Parcels followed since: a status reached again (out for delivery after a missed delivery) is told again, as the template's next occurrence. */
const TOLD_EACH_TIME_PATCH = 'tell-each-occurrence';

/** A poll is one of many: a few quick retries, then the next poll (or a webhook) tries again. */
const POLL: ActivityOptions = { startToCloseTimeout: '1 minute', retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumAttempts: 3 } };

/** A scan or a notice must reach the database before the workflow moves on. */
const db = proxyActivities<Activities>(AFTER_DISPATCH);
const carrier = proxyActivities<Activities>(POLL);
/** Customer messages go through the rate-limited notification queue, like every other message to a customer. */
const customer = proxyActivities<Activities>(NOTIFICATION_CALL);

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
  const parcel = follow(input, state);
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

  if (state.status === 'returned_to_sender' && patched(RETURN_REPORTED_PATCH)) await parcel.reportReturn();
  setCurrentDetails(`Parcel ${input.trackingNumber} ${inWords(state.status)} at ${state.lastEventAt}`);
  return { status: state.status as TrackingResult['status'], deliveredAt: state.status === 'delivered' ? state.lastEventAt : undefined, state };
}

/** The steps of following one parcel, over the workflow's state. */
function follow(input: TrackingInput, state: TrackingState) {
  const parcel = `parcel ${input.trackingNumber} of order ${input.orderId}`;
  const publish = () => upsertSearchAttributes([
    { key: ShipmentStatusAttr, value: state.stalled ? 'stalled' : state.status }, { key: OrderIdAttr, value: input.orderId }]);

  let lastChange: CarrierEvent | undefined;

  async function apply(events: CarrierEvent[], source: 'webhook' | 'poll'): Promise<void> {
    const changes: CarrierEvent[] = [];
    for (const event of chronological(events)) {
      if (isFinal(state.status)) break;
      const verdict = judge(state, event);
      if (verdict !== 'scan' && verdict !== 'change') {
        if (source === 'webhook') log.info('carrier event ignored; nothing changes', { ...ids(input), eventId: event.eventId, verdict });
        continue;
      }
      await db.recordShipmentEvent.executeWithOptions({ summary: `Record "${inWords(event.status)}" for ${parcel}` },
        [{ shipmentId: input.shipmentId, event, statusChange: verdict === 'change' }]);
      advance(state, event, Date.now());
      if (verdict === 'change') changes.push(event);
    }
    if (changes.length === 0) return;
    lastChange = changes[changes.length - 1];
    publish();
    // Only the newest change of a batch is told: no "out for delivery" text after the parcel was delivered.
    await tellCustomer(changes[changes.length - 1]);
  }

  async function tellCustomer(event: CarrierEvent, message = CUSTOMER_MESSAGES[event.status]): Promise<void> {
    if (!message) return;
    const how = message.channel === 'sms' ? 'Text' : 'E-mail';
    // Counted before the send, and whether or not it goes: a retry of this one keeps its occurrence, the next telling gets a new one.
    const occurrence = (state.told?.[message.template] ?? 0) + 1;
    state.told = { ...state.told, [message.template]: occurrence };
    // Runs from before the patch sent every template once (occurrence 1 in the outbox); replayed, they send as they did.
    const repeat = patched(TOLD_EACH_TIME_PATCH) ? { occurrence } : {};
    const again = occurrence > 1 ? ` again (#${occurrence})` : '';
    try {
      await customer.sendOrderNotification.executeWithOptions({ summary: `${how} the customer: ${parcel} is ${inWords(event.status)}${again}` },
        [{ orderId: input.orderId, template: message.template, channel: message.channel, reason: event.description, ...repeat }]);
    } catch (err) {
      if (isCancellation(err)) throw err;
      // Tracking goes on; the outbox row stays unsent, where support can see it and resend.
      log.error('the customer could not be told of a parcel status; tracking continues', { ...ids(input), status: event.status, error: String(err) });
    }
  }

  async function poll(): Promise<void> {
    state.polls += 1;
    let events: CarrierEvent[];
    try {
      events = await carrier.pollCarrier.executeWithOptions({ summary: `Ask ${input.carrier} where ${parcel} is` },
        [{ trackingNumber: input.trackingNumber, shippedAt: input.shippedAt, asOf: new Date().toISOString() }]);
    } catch (err) {
      if (isCancellation(err)) throw err;
      log.warn('the carrier did not answer a poll; the next poll or a webhook will tell', { ...ids(input), error: String(err) });
      return;
    }
    await apply(events, 'poll');
  }

  /** Stalled when it has not moved for stallAfter: support gets a notice; it clears when the parcel moves again. */
  async function reviewStall(stallAfter: number): Promise<void> {
    const stalled = hasStalled(state, stallAfter, Date.now());
    if (stalled === state.stalled) return;
    if (stalled) {
      await db.raiseStallNotice.executeWithOptions({ summary: `Tell support ${parcel} has not moved since ${state.lastMovementAt}` },
        [{ ...ids(input), trackingNumber: input.trackingNumber, carrier: input.carrier, status: state.status, since: state.lastMovementAt }]);
      log.warn('parcel stalled; support notified', { ...ids(input), since: state.lastMovementAt });
    } else {
      await db.resolveStallNotice.executeWithOptions({ summary: `Close the stalled-parcel notice: ${parcel} moves again` }, [{ shipmentId: input.shipmentId }]);
    }
    state.stalled = stalled;
    publish();
  }

  function describeWait(waitMs: number, stallAfter: number): void {
    const at = (ms: number) => new Date(ms).toISOString();
    const stall = state.stalled
      ? `STALLED: no movement since ${state.lastMovementAt}; support has a notice`
      : `stalled if it has not moved by ${at(Date.parse(state.lastMovementAt) + stallAfter)}`;
    setCurrentDetails(`Parcel ${input.trackingNumber} (${input.carrier}) is ${inWords(state.status)} since ${state.lastEventAt ?? input.shippedAt}. `
      + `Waiting for a carrier webhook; asking the carrier at ${at(Date.now() + waitMs)} if none comes; ${stall}.`);
  }

  /** The parcel is on its way back: support decides between sending it again and refunding; the customer hears why. */
  async function reportReturn(): Promise<void> {
    const returnedAt = state.lastEventAt ?? new Date().toISOString();
    await db.raiseReturnedNotice.executeWithOptions({ summary: `Tell support ${parcel} was returned to sender` },
      [{ ...ids(input), trackingNumber: input.trackingNumber, carrier: input.carrier, returnedAt, reason: lastChange?.description }]);
    await tellCustomer(lastChange ?? { eventId: 'returned', status: 'returned_to_sender', occurredAt: returnedAt }, RETURNED_MESSAGE);
  }

  return { publish, apply, poll, reviewStall, describeWait, reportReturn };
}

function ids(input: TrackingInput) {
  return { shipmentId: input.shipmentId, orderId: input.orderId };
}

function durationMs(name: string, value: string): number {
  let ms = NaN;
  try {
    ms = msToNumber(value as Duration);
  } catch {
    // reported below
  }
  if (!(ms > 0)) throw ApplicationFailure.nonRetryable(`${name} must be a duration such as '6 hours', not '${value}'`, 'invalid_tracking_input');
  return ms;
}
