/**
 * A customer's erasure (workflows/gdpr-erasure.ts, `gdpr-erasure-<customerId>`) and the retention
 * sweep (workflows/privacy-retention.ts): what starts them, what they answer, and the signal that
 * tells an order's running workflow to drop what it holds about its customer. Ids only: the
 * erasure's history never holds the personal data it erases.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

export interface ErasureInput {
  customerId: string;
  /** 'customer' (DELETE /me) or 'staff:<name>' (an admin). */
  requestedBy: string;
  /** How often to look again while an order of the customer is between payment and delivery (default '1 day'). */
  recheckEvery?: string;
}

export type ErasureStage = 'waiting_for_orders' | 'erasing' | 'erased' | 'withdrawn';

export interface ErasureState {
  customerId: string;
  stage: ErasureStage;
  /** The customer's orders between payment and delivery, while the erasure waits for them. */
  waitingFor: string[];
  decidedBy?: string;
  /** Rows changed per table, once erased. */
  rowsChanged?: Record<string, number>;
}

/** An admin's decision while the erasure waits: erase now (the orders in flight lose their contact details), or withdraw it. */
export interface ErasureDecision { actor: string; decision: 'erase_now' | 'withdraw' }

export const erasureStatusQuery = defineQuery<ErasureState>('erasureStatus');
export const decideErasureUpdate = defineUpdate<ErasureState, [ErasureDecision]>('decideErasure');
/** To an order's checkout workflow: its customer is erased; drop the free text it keeps (support's reasons). */
export const forgetCustomerSignal = defineSignal('forgetCustomer');

export type GdprErasureWorkflow = (input: ErasureInput) => Promise<ErasureState>;

export interface RetentionInput {
  /** Webhook payloads received this long ago or more are emptied (WEBHOOK_PAYLOAD_RETENTION). */
  webhookPayloadMs: number;
  /** Delivery reports received this long ago or more lose their detail (DELIVERY_REPORT_RETENTION). */
  deliveryReportMs: number;
  /** Rows per batch (one transaction each), and batches per run. */
  batchSize: number;
  maxBatches: number;
}

export interface RetentionResult { webhookPayloads: number; deliveryReports: number }

export type PrivacyRetentionWorkflow = (input: RetentionInput) => Promise<RetentionResult>;
