/** The payment workflow (payment-<orderId>, a child of checkout): its input, result and the provider events it waits for. */
import { defineQuery, defineSignal } from '@temporalio/workflow';

export type PaymentState = 'pending' | 'requires_action' | 'authorized' | 'declined' | 'failed' | 'voided' | 'refunded' | 'captured';

export interface NextAction {
  type: 'redirect_to_url';
  url: string;
}

/** What the payment child tells its order as it goes (paymentProgressSignal in src/contracts/order.ts). */
export interface PaymentProgress {
  status: PaymentState;
  providerRef?: string;
  nextAction?: NextAction;
  declineCode?: string;
}

export interface PaymentInput {
  orderId: string;
  amount: number;
  currency: string;
  paymentMethod: string;
  actionTimeout: string;
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

export type PaymentWorkflow = (input: PaymentInput) => Promise<PaymentResult>;

export const paymentEventSignal = defineSignal<[PaymentEvent]>('paymentEvent');
export const paymentStatusQuery = defineQuery<PaymentProgress>('paymentStatus');
