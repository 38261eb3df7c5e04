/**
 * The order's workflow (checkout-<orderId>): what starts it, what it answers, and the support
 * hooks on it. The API starts it with update-with-start and reads it by query; support acts on it
 * by update; the payment child reports to it by signal.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { OrderStatus, ShippingAddress } from '../domain/order';
import type { NextAction, PaymentProgress, PaymentState } from './payment';
import type { FulfillmentStage } from './fulfillment';

export type { OrderStatus, ShippingAddress };

/** How long the API's early-return update waits for a payment outcome before answering 202 with the state so far. */
export const EARLY_RETURN_CAP_MS = 5_000;

export interface CheckoutInput {
  orderId: string;
  customerId?: string;
  currency: string;
  totalAmount: number;
  lines: { sku: string; quantity: number }[];
  /** The promotions the order was priced with (codes, or names of automatic ones); their uses are redeemed before the payment. */
  promotions?: string[];
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

/** A refund support made on the order, as its timeline keeps it. */
export interface RefundRecord {
  amount: number;
  currency: string;
  by: string;
  reason: string;
  at: string;
  refundRef: string;
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

/** The workflow function's shape, for clients that start it by name (workflows/index.ts checks the real one against it). */
export type CheckoutWorkflow = (input: CheckoutInput) => Promise<OrderState>;

/** Live state of the order: status, hold, payment and the step timeline. */
export const statusQuery = defineQuery<OrderState>('status');
/** Runs the compensations; refused once the order has shipped or ended. */
export const cancelOrderUpdate = defineUpdate<OrderState, [ActorReason]>('cancelOrder');
export const holdOrderUpdate = defineUpdate<OrderState, [ActorReason]>('holdOrder');
export const releaseOrderUpdate = defineUpdate<OrderState, [ActorReason]>('releaseOrder');
/** Refused once the parcel's label is printed. */
export const changeShippingAddressUpdate = defineUpdate<OrderState, [ShippingAddress & { actor: string; reason?: string }]>('changeShippingAddress');
/**
 * The API's early return: sent with update-with-start when the order is placed; answers as soon
 * as the payment outcome is known (authorized, declined, needs customer action), or after a short cap.
 */
export const awaitPaymentOutcomeUpdate = defineUpdate<OrderState, [{ maxWaitMs: number }]>('awaitPaymentOutcome');
/** The payment child reports progress (e.g. 3-D Secure required) to its order. */
export const paymentProgressSignal = defineSignal<[PaymentProgress]>('paymentProgress');
