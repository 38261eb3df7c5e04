/**
 * Names shared by workflows, the API, the CLI and tests: search attributes, signals, queries and
 * updates are defined once, here, with the types of what they carry. Search attributes are not
 * encrypted by a payload codec, so they hold ids, statuses and amounts only: never an e-mail,
 * phone, name or address.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { OrderStatus, ShippingAddress } from '../src/domain/order';

export const OrderIdAttr = defineSearchAttributeKey('OrderId', SearchAttributeType.KEYWORD);
export const CustomerIdAttr = defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD);
export const OrderStatusAttr = defineSearchAttributeKey('OrderStatus', SearchAttributeType.KEYWORD);
export const OrderTotalAttr = defineSearchAttributeKey('OrderTotal', SearchAttributeType.INT);
export const ShipmentStatusAttr = defineSearchAttributeKey('ShipmentStatus', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES = [OrderIdAttr, CustomerIdAttr, OrderStatusAttr, OrderTotalAttr, ShipmentStatusAttr];

export const TASK_QUEUE = 'commerce';

/** Workflow ids derive from business keys, so a second start is a no-op, never a second order. */
export const workflowIds = {
  checkout: (orderId: string) => `checkout-${orderId}`,
  payment: (orderId: string) => `payment-${orderId}`,
  fulfillment: (orderId: string) => `fulfillment-${orderId}`,
  shipment: (shipmentId: string) => `shipment-${shipmentId}`,
};

// ---------------------------------------------------------------------------------------------
// Order (checkout workflow)

export type { OrderStatus, ShippingAddress };

export interface CheckoutInput {
  orderId: string;
  customerId?: string;
  currency: string;
  totalAmount: number;
  lines: { sku: string; quantity: number }[];
  paymentMethod: string;
  /** Whether the customer gave a phone number (the number itself stays in the database). */
  notifyBySms: boolean;
  /** How long the customer has to complete 3-D Secure, e.g. '15 minutes'. */
  paymentActionTimeout: string;
  /** Pack without waiting for a warehouse signal (the simulated warehouse); default true. */
  autoPack?: boolean;
  /** Shipment tracking: poll the carrier after this much silence (default '6 hours'). */
  trackingPollEvery?: string;
  /** Shipment tracking: a parcel that does not move for this long is stalled (default '5 days'). */
  trackingStallAfter?: string;
  /** How long a delivered (or returned) order stays open to support, for refunds and messages, before its workflow ends (default '30 days'). */
  afterSalesWindow?: string;
}

export type PaymentState = 'pending' | 'requires_action' | 'authorized' | 'declined' | 'failed' | 'voided' | 'refunded' | 'captured';

export interface NextAction {
  type: 'redirect_to_url';
  url: string;
}

export interface TimelineEntry {
  step: string;
  status: 'started' | 'completed' | 'failed' | 'skipped' | 'compensating' | 'compensated' | 'retrying';
  at: string;
  detail?: string;
}

export interface OrderState {
  orderId: string;
  status: OrderStatus;
  fulfillment?: { stage: FulfillmentStage; warehouse?: string; trackingNumber?: string; shipmentId?: string };
  held: boolean;
  holdReason?: string;
  payment: { status: PaymentState; providerRef?: string; nextAction?: NextAction; declineCode?: string };
  timeline: TimelineEntry[];
  pendingCompensations: string[];
  cancelReason?: string;
  failure?: { code: string; message: string };
  /** Refunds support made on this order (refundPaymentUpdate), oldest first. */
  refunds?: RefundRecord[];
}

export interface ActorReason {
  /** Who asked: 'customer', 'staff:<name>', 'system'. */
  actor: string;
  reason: string;
}

export interface PaymentProgress {
  status: PaymentState;
  providerRef?: string;
  nextAction?: NextAction;
  declineCode?: string;
}

/** Live state of the order: status, hold, payment and the step timeline. */
export const statusQuery = defineQuery<OrderState>('status');
/** Runs the compensations; refused once the order has shipped or ended. */
export const cancelOrderUpdate = defineUpdate<OrderState, [ActorReason]>('cancelOrder');
export const holdOrderUpdate = defineUpdate<OrderState, [ActorReason]>('holdOrder');
export const releaseOrderUpdate = defineUpdate<OrderState, [ActorReason]>('releaseOrder');
/** Refused once the parcel has shipped. */
export const changeShippingAddressUpdate = defineUpdate<OrderState, [ShippingAddress & { actor: string; reason?: string }]>('changeShippingAddress');
/**
 * The API's early return: sent with update-with-start when the order is placed; answers as soon
 * as the payment outcome is known (authorized, declined, needs customer action), or after a short cap.
 */
export const awaitPaymentOutcomeUpdate = defineUpdate<OrderState, [{ maxWaitMs: number }]>('awaitPaymentOutcome');
/** The payment child reports progress (e.g. 3-D Secure required) to its order. */
export const paymentProgressSignal = defineSignal<[PaymentProgress]>('paymentProgress');

// ---------------------------------------------------------------------------------------------
// Payment workflow

export interface PaymentInput {
  orderId: string;
  amount: number;
  currency: string;
  paymentMethod: string;
  actionTimeout: string;
  /** The checkout workflow to report progress to. */
  parentWorkflowId?: string;
}

export interface PaymentResult {
  status: 'authorized' | 'declined' | 'failed';
  providerRef?: string;
  declineCode?: string;
  message?: string;
}

/** A provider event (Stripe webhook, or the simulated provider's 3-D Secure completion). */
export interface PaymentEvent {
  eventId: string;
  type: 'payment_intent.amount_capturable_updated' | 'payment_intent.succeeded' | 'payment_intent.payment_failed' | 'payment_intent.requires_action' | 'payment_intent.canceled';
  providerRef: string;
  declineCode?: string;
}

export const paymentEventSignal = defineSignal<[PaymentEvent]>('paymentEvent');
export const paymentStatusQuery = defineQuery<PaymentProgress>('paymentStatus');

// ---------------------------------------------------------------------------------------------
// Fulfilment workflow (fulfillment-<orderId>, a child of checkout)

export interface FulfillmentInput {
  orderId: string;
  lines: { sku: string; quantity: number }[];
  amount: number;
  currency: string;
  /** Pack without waiting for the warehouse's signal (the simulated warehouse). */
  autoPack: boolean;
}

export type FulfillmentStage = 'allocated' | 'packed' | 'labelled' | 'dispatching' | 'shipped';

export interface Shipment {
  shipmentId: string;
  trackingNumber: string;
  carrier: string;
  warehouse: string;
  shippedAt: string;
}

/** 'cancelled': the order's cancel reached the warehouse before the point of no return (dispatch). */
export type FulfillmentResult = ({ outcome: 'shipped' } & Shipment) | { outcome: 'cancelled' };

/** The warehouse has picked and packed the order (POST /warehouse/orders/:id/packed). */
export const packedSignal = defineSignal<[{ actor: string; packages?: number }]>('packed');
/** The order was cancelled: stop unless the parcel is already being dispatched. */
export const cancelFulfillmentSignal = defineSignal('cancelFulfillment');
/** The fulfilment child tells its order how far it got (e.g. 'labelled': the address is now printed). */
export const fulfillmentProgressSignal = defineSignal<[{ stage: FulfillmentStage; warehouse?: string; trackingNumber?: string }]>('fulfillmentProgress');

// ---------------------------------------------------------------------------------------------
// Shipment tracking workflow (shipment-<shipmentId>, a child of checkout; days to weeks long)

export const SHIPMENT_STATUSES = ['label_created', 'in_transit', 'out_for_delivery', 'delivered', 'exception', 'returned_to_sender'] as const;
export type ShipmentStatus = (typeof SHIPMENT_STATUSES)[number];

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
  /** Polls plus applied events per run before continuing as new (default CONTINUE_AS_NEW_AFTER in shipment-tracking.ts). */
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
   * Absent until the first one, and in states carried over from runs older than the count.
   */
  told?: Record<string, number>;
}

export interface TrackingResult {
  status: 'delivered' | 'returned_to_sender';
  deliveredAt?: string;
  state: TrackingState;
}

export const carrierEventSignal = defineSignal<[CarrierEvent]>('carrierEvent');
export const trackingStatusQuery = defineQuery<TrackingState>('trackingStatus');

// ---------------------------------------------------------------------------------------------
// Support actions on a live order (workflows/support-handlers.ts), besides cancel, hold, release
// and address above. Every one carries who asks and why; each accepted one lands in the timeline.

export interface RefundRequest extends ActorReason {
  /** Minor units; absent: everything captured that is not refunded yet. */
  amount?: number;
  /** The order's currency, for the words in the timeline and the UI (the amount itself is minor units). */
  currency?: string;
}

export interface RefundRecord {
  amount: number;
  currency: string;
  by: string;
  reason: string;
  at: string;
  refundRef: string;
}

export interface RefundOutcome {
  refunded: number;
  currency: string;
  /** The payment's totals after this refund. */
  capturedAmount: number;
  refundedAmount: number;
  refundRef: string;
}

export interface ResendRequest extends ActorReason {
  template: string;
  channel: 'email' | 'sms';
  /** Which one of a message sent more than once (a parcel out for delivery twice: 1 or 2); absent: the latest. */
  occurrence?: number;
}

export interface ResendOutcome {
  template: string;
  channel: 'email' | 'sms';
  /** The occurrence that was resent (absent from resends answered before messages could repeat). */
  occurrence?: number;
  status: 'sent' | 'already_sent' | 'skipped' | 'in_doubt' | 'refused';
  messageId?: string;
}

/** A support action that happened elsewhere (e.g. a carrier event recorded by hand), noted in the order's timeline. */
export interface SupportNote {
  actor: string;
  action: string;
  detail: string;
}

/** Refunds captured money; refused before capture (cancel the order instead) and above captured minus refunded. */
export const refundPaymentUpdate = defineUpdate<RefundOutcome, [RefundRequest]>('refundPayment');
/** Sends a customer message the order was already sent (same template and channel) once more. */
export const resendNotificationUpdate = defineUpdate<ResendOutcome, [ResendRequest]>('resendNotification');
/** For a payment stuck waiting for 3-D Secure: asks the provider, and passes its answer to the payment workflow. */
export const retryPaymentUpdate = defineUpdate<OrderState, [ActorReason]>('retryPayment');
export const supportNoteSignal = defineSignal<[SupportNote]>('supportNote');
