/** The shipment tracking workflow (shipment-<shipmentId>, a child of checkout; days to weeks long). */
import { defineQuery, defineSignal } from '@temporalio/workflow';

export const SHIPMENT_STATUSES = ['label_created', 'in_transit', 'out_for_delivery', 'delivered', 'exception', 'returned_to_sender'] as const;
export type ShipmentStatus = (typeof SHIPMENT_STATUSES)[number];

/** Where a parcel's journey ends: tracking stops, and the order is marked delivered or returned. */
export const FINAL_SHIPMENT_STATUSES: readonly ShipmentStatus[] = ['delivered', 'returned_to_sender'];

/** One carrier scan, from a webhook, a poll, or support recording it by hand. */
export interface CarrierEvent {
  /** The carrier's own event id: the same scan delivered twice has the same id. */
  eventId: string;
  status: ShipmentStatus;
  /** When the scan happened (ISO 8601), which orders events that arrive out of order. */
  occurredAt: string;
  description?: string;
}

export interface TrackingInput {
  shipmentId: string;
  orderId: string;
  trackingNumber: string;
  carrier: string;
  shippedAt: string;
  /** Poll the carrier when no webhook came for this long, e.g. '6 hours'. */
  pollEvery: string;
  /** No movement for this long marks the parcel stalled, e.g. '5 days'. */
  stallAfter: string;
  /** Carried over by continue-as-new. */
  carried?: TrackingState;
  /** Polls plus applied events per run before continuing as new (default CONTINUE_AS_NEW_AFTER in workflows/shipment-tracking.ts). */
  continueAsNewAfter?: number;
}

export interface TrackingState {
  status: ShipmentStatus;
  lastEventAt?: string;
  lastMovementAt: string;
  stalled: boolean;
  /** Recent event ids, to drop redeliveries (bounded; older duplicates are also caught by the database). */
  seenEventIds: string[];
  eventsApplied: number;
  polls: number;
  runs: number;
  /**
   * How many times the customer was told each message template so far: the next one is that many + 1,
   * its occurrence in the outbox (out for delivery again after a missed delivery is a second SMS).
   */
  told: Record<string, number>;
}

export interface TrackingResult {
  status: 'delivered' | 'returned_to_sender';
  deliveredAt?: string;
  state: TrackingState;
}

export type ShipmentTrackingWorkflow = (input: TrackingInput) => Promise<TrackingResult>;

export const carrierEventSignal = defineSignal<[CarrierEvent]>('carrierEvent');
export const trackingStatusQuery = defineQuery<TrackingState>('trackingStatus');
