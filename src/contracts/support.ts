/**
 * Support actions on a live order (workflows/support-handlers.ts), besides cancel, hold, release
 * and address change (src/contracts/order.ts). Every one carries who asks and why; each accepted
 * one lands in the order's timeline.
 */
import { defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ActorReason, OrderState } from './order';

export interface RefundRequest extends ActorReason {
  /** Minor units; absent: everything captured that is not refunded yet. */
  amount?: number;
  /** The order's currency, for the words in the timeline and the UI (the amount itself is minor units). */
  currency?: string;
  /** Refund these quantities of the order's lines instead of an amount: each gives back its share of what it was charged (src/domain/line-refunds.ts). */
  lines?: { sku: string; quantity: number }[];
}

/**
 * `refunded` is this refund's amount; `status` pending means the provider accepted it but the money
 * has not gone back yet (not in refundedAmount; in pendingAmount, which still counts against what can be refunded).
 */
export interface RefundOutcome {
  refunded: number;
  currency: string;
  /** The payment's totals after this refund. */
  capturedAmount: number;
  refundedAmount: number;
  refundRef: string;
  status: 'succeeded' | 'pending';
  pendingAmount: number;
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
  /** The occurrence that was resent (1 unless the order was sent the message more than once). */
  occurrence: number;
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
