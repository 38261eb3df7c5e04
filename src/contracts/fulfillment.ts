/** The fulfillment workflow (fulfillment-<orderId>, a child of checkout): pick, pack, label and dispatch. */
import { defineSignal } from '@temporalio/workflow';
import type { FulfillmentStage } from '../domain/order';

export interface FulfillmentInput {
  orderId: string;
  lines: { sku: string; quantity: number }[];
  amount: number;
  currency: string;
  /** Pack without waiting for the warehouse's signal (the simulated warehouse). */
  autoPack: boolean;
}

export type { FulfillmentStage };

export interface Shipment {
  shipmentId: string;
  trackingNumber: string;
  carrier: string;
  warehouse: string;
  shippedAt: string;
}

/** 'cancelled': the order's cancel reached the warehouse before the point of no return (dispatch). */
export type FulfillmentResult = ({ outcome: 'shipped' } & Shipment) | { outcome: 'cancelled' };

export type FulfillmentWorkflow = (input: FulfillmentInput) => Promise<FulfillmentResult>;

/** The warehouse has picked and packed the order (POST /warehouse/orders/:id/packed). */
export const packedSignal = defineSignal<[{ actor: string; packages?: number }]>('packed');
/** The order was cancelled: stop unless the parcel is already being dispatched. */
export const cancelFulfillmentSignal = defineSignal('cancelFulfillment');
/**
 * The fulfillment child tells its order how far it got, when the order needs to know: before it
 * waits for the warehouse ('allocated'), and at the point of no return ('dispatching', which also
 * means the label, with the address on it, is printed). `passed`: the stages reached since the last
 * report, in order, for the order's timeline. The shipped parcel comes back as the child's result.
 */
export interface FulfillmentProgress { stage: FulfillmentStage; passed?: FulfillmentStage[]; warehouse?: string; trackingNumber?: string }
export const fulfillmentProgressSignal = defineSignal<[FulfillmentProgress]>('fulfillmentProgress');
