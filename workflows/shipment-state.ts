/**
 * The rules of following a parcel, pure and deterministic: which carrier events count and which
 * are redeliveries or stale, what a status change tells the customer, and when a parcel is stalled.
 * The workflow (shipment-tracking.ts) applies them; nothing here does I/O or reads a clock.
 */
import type { Template } from '../src/domain/templates';
import { FINAL_SHIPMENT_STATUSES, type CarrierEvent, type ShipmentStatus, type TrackingInput, type TrackingState } from '../src/contracts/shipment';

/** How far along its journey a parcel is. A move to a lower step is a stale scan and is ignored. */
const PROGRESS: Record<ShipmentStatus, number> = {
  label_created: 0, in_transit: 1, exception: 1, out_for_delivery: 2, delivered: 3, returned_to_sender: 3,
};

/**
 * Enough recent ids to drop a carrier's redeliveries (they come within minutes or hours); an older
 * redelivery is also older than the last applied scan, and the database's unique key catches the rest.
 */
const SEEN_EVENT_IDS_KEPT = 100;

/**
 * What the customer hears of each status as it happens; in transit is not worth a message (the
 * "shipped" e-mail went at dispatch). A return to sender is told once tracking ends (RETURNED_MESSAGE).
 */
export const CUSTOMER_MESSAGES: Partial<Record<ShipmentStatus, { template: Template; channel: 'email' | 'sms' }>> = {
  out_for_delivery: { template: 'out_for_delivery', channel: 'sms' },
  delivered: { template: 'delivered', channel: 'email' },
  exception: { template: 'shipment_exception', channel: 'email' },
};

/** The parcel came back: told with support's notice, when tracking ends (workflows/shipment-tracking.ts). */
export const RETURNED_MESSAGE: { template: Template; channel: 'email' } = { template: 'shipment_returned', channel: 'email' };

/**
 * - duplicate: the same scan again (carriers redeliver webhooks, and every poll repeats old scans)
 * - stale: older than the last scan applied (arrived out of order)
 * - backwards: newer, but back to an earlier step (e.g. in transit after out for delivery)
 * - scan: a newer scan with the same status (e.g. another hub): the parcel moves, nothing to tell
 * - change: a real status change
 */
export type Verdict = 'duplicate' | 'stale' | 'backwards' | 'scan' | 'change';

export function judge(state: TrackingState, event: CarrierEvent): Verdict {
  if (state.seenEventIds.includes(event.eventId)) return 'duplicate';
  if (state.lastEventAt !== undefined && Date.parse(event.occurredAt) < Date.parse(state.lastEventAt)) return 'stale';
  if (event.status === state.status) return 'scan';
  // Anything can go wrong on the way, and a parcel leaves 'exception' in whichever direction it goes.
  const forward = event.status === 'exception' || state.status === 'exception' || PROGRESS[event.status] >= PROGRESS[state.status];
  return forward ? 'change' : 'backwards';
}

export function startingState(input: TrackingInput, now: number): TrackingState {
  const shipped = Date.parse(input.shippedAt);
  return {
    status: 'label_created',
    lastMovementAt: new Date(Number.isNaN(shipped) ? now : Math.min(shipped, now)).toISOString(),
    stalled: false,
    seenEventIds: [],
    eventsApplied: 0,
    polls: 0,
    runs: 1,
    told: {},
  };
}

/** Applies an accepted scan (a 'scan' or 'change' verdict). */
export function advance(state: TrackingState, event: CarrierEvent, now: number): void {
  state.status = event.status;
  state.lastEventAt = event.occurredAt;
  // A carrier clock running ahead must not postpone the stall check.
  const movedAt = Math.min(Date.parse(event.occurredAt), now);
  if (movedAt > Date.parse(state.lastMovementAt)) state.lastMovementAt = new Date(movedAt).toISOString();
  state.seenEventIds = [...state.seenEventIds, event.eventId].slice(-SEEN_EVENT_IDS_KEPT);
  state.eventsApplied += 1;
}

export function isFinal(status: ShipmentStatus): boolean {
  return FINAL_SHIPMENT_STATUSES.includes(status);
}

export function hasStalled(state: TrackingState, stallAfterMs: number, now: number): boolean {
  return !isFinal(state.status) && now - Date.parse(state.lastMovementAt) >= stallAfterMs;
}

/** Oldest first; at the same instant, the further step last, so a batch never reads as a move backwards. */
export function chronological(events: CarrierEvent[]): CarrierEvent[] {
  return [...events].sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt) || PROGRESS[a.status] - PROGRESS[b.status]);
}

export function inWords(status: ShipmentStatus | 'stalled'): string {
  return status.replace(/_/g, ' ');
}
