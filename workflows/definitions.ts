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
  held: boolean;
  holdReason?: string;
  payment: { status: PaymentState; providerRef?: string; nextAction?: NextAction; declineCode?: string };
  timeline: TimelineEntry[];
  pendingCompensations: string[];
  cancelReason?: string;
  failure?: { code: string; message: string };
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
export const changeShippingAddressUpdate = defineUpdate<OrderState, [ShippingAddress & { actor: string }]>('changeShippingAddress');
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
