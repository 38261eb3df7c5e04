/**
 * The steps of following one parcel (workflows/shipment-tracking.ts runs them): apply the carrier's
 * scans, poll the carrier, flag a stalled parcel for support, report a return, and tell the customer
 * of each real change. The rules they apply are pure (shipment-state.ts); these do the activities.
 */
import { isCancellation, log, proxyActivities, setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import type { ActivityOptions } from '@temporalio/common';
import type { Activities } from '../activities';
import type { CarrierEvent, TrackingInput, TrackingState } from '../src/contracts/shipment';
import { OrderIdAttr, ShipmentStatusAttr } from '../src/contracts/temporal';
import { AFTER_DISPATCH, NOTIFICATION_CALL } from './policies';
import { advance, chronological, CUSTOMER_MESSAGES, hasStalled, inWords, isFinal, judge, RETURNED_MESSAGE } from './shipment-state';
import { sendOrGoOn } from './messages';

/** A poll is one of many: a few quick retries, then the next poll (or a webhook) tries again. */
const POLL: ActivityOptions = { startToCloseTimeout: '1 minute', retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumAttempts: 3 } };

const carrier = proxyActivities<Activities>(POLL);
/** A scan, or a notice to support, must reach the database before the workflow moves on. */
const scans = proxyActivities<Activities>(AFTER_DISPATCH);
const notices = proxyActivities<Activities>(AFTER_DISPATCH);
/** Customer messages go through the rate-limited notification queue, like every other message to a customer. */
const messages = proxyActivities<Activities>(NOTIFICATION_CALL);

/** The steps of following one parcel, over the workflow's state. */
export class FollowedParcel {
  private readonly parcel: string;
  /** The newest status change applied in this run (what a return to sender is told with). */
  private lastChange: CarrierEvent | undefined;

  constructor(private readonly input: TrackingInput, private readonly state: TrackingState) {
    this.parcel = `parcel ${input.trackingNumber} of order ${input.orderId}`;
  }

  publish(): void {
    upsertSearchAttributes([
      { key: ShipmentStatusAttr, value: this.state.stalled ? 'stalled' : this.state.status }, { key: OrderIdAttr, value: this.input.orderId }]);
  }

  async apply(events: CarrierEvent[], source: 'webhook' | 'poll'): Promise<void> {
    const { input, state } = this;
    const changes: CarrierEvent[] = [];
    for (const event of chronological(events)) {
      if (isFinal(state.status)) break;
      const verdict = judge(state, event);
      if (verdict !== 'scan' && verdict !== 'change') {
        if (source === 'webhook') log.info('carrier event ignored; nothing changes', { ...ids(input), eventId: event.eventId, verdict });
        continue;
      }
      await scans.recordShipmentEvent.executeWithOptions({ summary: `Record "${inWords(event.status)}" for ${this.parcel}` },
        [{ shipmentId: input.shipmentId, event, statusChange: verdict === 'change' }]);
      advance(state, event, Date.now());
      if (verdict === 'change') changes.push(event);
    }
    if (changes.length === 0) return;
    this.lastChange = changes[changes.length - 1];
    this.publish();
    // Only the newest change of a batch is told: no "out for delivery" text after the parcel was delivered.
    await this.tellCustomer(changes[changes.length - 1]);
  }

  async poll(): Promise<void> {
    const { input } = this;
    this.state.polls += 1;
    let events: CarrierEvent[];
    try {
      events = await carrier.pollCarrier.executeWithOptions({ summary: `Ask ${input.carrier} where ${this.parcel} is` },
        [{ trackingNumber: input.trackingNumber, shippedAt: input.shippedAt, asOf: new Date().toISOString() }]);
    } catch (err) {
      if (isCancellation(err)) throw err;
      log.warn('the carrier did not answer a poll; the next poll or a webhook will tell', { ...ids(input), error: String(err) });
      return;
    }
    await this.apply(events, 'poll');
  }

  /** Stalled when it has not moved for stallAfter: support gets a notice; it clears when the parcel moves again. */
  async reviewStall(stallAfter: number): Promise<void> {
    const { input, state } = this;
    const stalled = hasStalled(state, stallAfter, Date.now());
    if (stalled === state.stalled) return;
    if (stalled) {
      await notices.raiseStallNotice.executeWithOptions({ summary: `Tell support ${this.parcel} has not moved since ${state.lastMovementAt}` },
        [{ ...ids(input), trackingNumber: input.trackingNumber, carrier: input.carrier, status: state.status, since: state.lastMovementAt }]);
      log.warn('parcel stalled; support notified', { ...ids(input), since: state.lastMovementAt });
    } else {
      await notices.resolveStallNotice.executeWithOptions({ summary: `Close the stalled-parcel notice: ${this.parcel} moves again` },
        [{ shipmentId: input.shipmentId }]);
    }
    state.stalled = stalled;
    this.publish();
  }

  describeWait(waitMs: number, stallAfter: number): void {
    const { input, state } = this;
    const at = (ms: number) => new Date(ms).toISOString();
    const stall = state.stalled
      ? `STALLED: no movement since ${state.lastMovementAt}; support has a notice`
      : `stalled if it has not moved by ${at(Date.parse(state.lastMovementAt) + stallAfter)}`;
    setCurrentDetails(`Parcel ${input.trackingNumber} (${input.carrier}) is ${inWords(state.status)} since ${state.lastEventAt ?? input.shippedAt}. `
      + `Waiting for a carrier webhook; asking the carrier at ${at(Date.now() + waitMs)} if none comes; ${stall}.`);
  }

  /** The parcel is on its way back: support decides between sending it again and refunding; the customer hears why. */
  async reportReturn(): Promise<void> {
    const { input, state } = this;
    const returnedAt = state.lastEventAt ?? new Date().toISOString();
    await notices.raiseReturnedNotice.executeWithOptions({ summary: `Tell support ${this.parcel} was returned to sender` },
      [{ ...ids(input), trackingNumber: input.trackingNumber, carrier: input.carrier, returnedAt, reason: this.lastChange?.description }]);
    await this.tellCustomer(this.lastChange ?? { eventId: 'returned', status: 'returned_to_sender', occurredAt: returnedAt }, RETURNED_MESSAGE);
  }

  /** Each telling of a template is its next occurrence in the outbox (out for delivery again after a missed delivery is a second SMS). */
  private async tellCustomer(event: CarrierEvent, message = CUSTOMER_MESSAGES[event.status]): Promise<void> {
    if (!message) return;
    const { orderId } = this.input;
    const { template, channel } = message;
    // Counted before the send, and whether or not it goes: a retry of this one keeps its occurrence, the next telling gets a new one.
    const occurrence = (this.state.told[template] ?? 0) + 1;
    this.state.told = { ...this.state.told, [template]: occurrence };
    const how = channel === 'sms' ? 'Text' : 'E-mail';
    const again = occurrence > 1 ? ` again (#${occurrence})` : '';
    // Tracking goes on if it cannot be sent; the outbox row stays unsent, where support can see it and resend.
    await sendOrGoOn({ orderId, template, channel }, () => messages.sendOrderNotification.executeWithOptions(
      { summary: `${how} the customer: ${this.parcel} is ${inWords(event.status)}${again}` },
      [{ orderId, template, channel, reason: event.description, occurrence }]));
  }
}

function ids(input: TrackingInput) {
  return { shipmentId: input.shipmentId, orderId: input.orderId };
}
