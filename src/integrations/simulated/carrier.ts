import { createHash } from 'node:crypto';
import type { CarrierEvent } from '../../contracts/shipment';
import type { Carrier, Label } from '../carrier';

const HOUR = 3_600_000;

/** When a simulated parcel is scanned, counted from the moment it shipped. */
export const SIMULATED_SCHEDULE: { after: number; status: CarrierEvent['status']; description: string }[] = [
  { after: 12 * HOUR, status: 'in_transit', description: 'Departed the sorting centre' },
  { after: 48 * HOUR, status: 'out_for_delivery', description: 'Out for delivery' },
  { after: 54 * HOUR, status: 'delivered', description: 'Delivered to the front door' },
];

/** A carrier with no account: tracking numbers derive from the order id, parcels follow SIMULATED_SCHEDULE. */
export class SimulatedCarrier implements Carrier {
  readonly name = 'simulated';

  constructor(private readonly publicBaseUrl = 'http://127.0.0.1:3000') {}

  async buyLabel(req: { orderId: string }): Promise<Label> {
    const trackingNumber = `SIM${createHash('sha256').update(req.orderId).digest('hex').slice(0, 12).toUpperCase()}`;
    return { carrier: this.name, trackingNumber, labelUrl: `${this.publicBaseUrl}/simulated/labels/${trackingNumber}.pdf` };
  }

  async voidLabel(): Promise<void> {
    // Nothing was bought from anyone: voiding a simulated label has no effect to undo.
  }

  async track(req: { trackingNumber: string; shippedAt: string; asOf: string }): Promise<CarrierEvent[]> {
    const shipped = Date.parse(req.shippedAt);
    const elapsed = Date.parse(req.asOf) - shipped;
    return SIMULATED_SCHEDULE.filter((s) => elapsed >= s.after).map((s) => ({
      eventId: `${req.trackingNumber}-${s.status}`,
      status: s.status,
      occurredAt: new Date(shipped + s.after).toISOString(),
      description: s.description,
    }));
  }
}
