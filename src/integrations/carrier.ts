/**
 * The carrier seam: buy a shipping label, void it, and ask where a parcel is. The simulated
 * carrier (the default) hands out deterministic tracking numbers and moves parcels on a fixed
 * schedule, so the whole flow runs without a carrier account.
 */
import type { CarrierEvent } from '../contracts/shipment';
import type { ShippingAddress } from '../domain/order';

export interface Label {
  carrier: string;
  trackingNumber: string;
  labelUrl: string;
}

export interface Carrier {
  readonly name: string;
  /** Idempotent per order: buying twice for the same order returns the same label. */
  buyLabel(req: { orderId: string; address: ShippingAddress; packages: number }): Promise<Label>;
  voidLabel(trackingNumber: string): Promise<void>;
  /**
   * Every scan the carrier has for a parcel, as of a moment. `asOf` is the workflow's clock, so a
   * simulated parcel moves with workflow time (also in time-skipping tests); real carriers ignore it.
   */
  track(req: { trackingNumber: string; shippedAt: string; asOf: string }): Promise<CarrierEvent[]>;
}

export class CarrierError extends Error {
  constructor(message: string, readonly retryable: boolean) {
    super(message);
    this.name = 'CarrierError';
  }
}
