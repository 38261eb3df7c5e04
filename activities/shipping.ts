/**
 * The parcel after dispatch: ask the carrier where it is, keep its timeline and status in the
 * database, and tell support when it stops moving. Each write is idempotent by a business key,
 * so a retry changes nothing: (shipment, carrier event id) for a scan, one open notice per
 * (kind, shipment) for support.
 */
import type { ActivityDeps } from './deps';
import type { CarrierEvent, ShipmentStatus } from '../src/contracts/shipment';
import { DomainError, ErrorCode } from '../src/domain/errors';
import { recordShipmentEvent, shipmentById } from '../src/store/shipments';
import { raiseShipmentNotice, resolveShipmentNotices } from '../src/store/support';

/** The support notice raised for a parcel that stopped moving. */
export const STALLED_NOTICE = 'shipment_stalled' as const;
/** The support notice raised for a parcel the carrier sent back: someone decides between sending it again and refunding. */
export const RETURNED_NOTICE = 'shipment_returned' as const;

export interface StallNoticeRequest {
  shipmentId: string;
  orderId: string;
  trackingNumber: string;
  carrier: string;
  status: ShipmentStatus;
  /** When the parcel last moved (ISO 8601). */
  since: string;
}

export function shippingActivities({ orm, carrier, logger }: ActivityDeps) {
  const em = () => orm.em.fork();
  return {
    /** Every scan the carrier has for the parcel as of `asOf` (the workflow's clock); read-only. A CarrierError becomes carrier_error (toFailure). */
    pollCarrier: (req: { trackingNumber: string; shippedAt: string; asOf: string }): Promise<CarrierEvent[]> => carrier.track(req),

    /** Adds the scan to the shipment's timeline (once per carrier event id) and, for a status change, moves the shipment. */
    async recordShipmentEvent(req: { shipmentId: string; event: CarrierEvent; statusChange: boolean }): Promise<{ recorded: boolean }> {
      return { recorded: await recordShipmentEvent(em(), req.shipmentId, req.event, req.statusChange) };
    },

    /** One open notice per stalled shipment: a retry, or the same stall seen again, adds nothing. */
    async raiseStallNotice(req: StallNoticeRequest): Promise<{ raised: boolean }> {
      const message = `Parcel ${req.trackingNumber} (${req.carrier}) of order ${req.orderId} has not moved since ${req.since} `
        + `(last status: ${req.status.replace(/_/g, ' ')}). Ask the carrier where it is; the notice closes by itself when it moves again.`;
      const raised = await raiseShipmentNotice(em(), STALLED_NOTICE, req.shipmentId, message);
      if (!raised && !(await shipmentById(em(), req.shipmentId))) {
        throw new DomainError(ErrorCode.NotFound, `Shipment ${req.shipmentId} does not exist.`, { shipmentId: req.shipmentId });
      }
      if (raised) logger.warn({ orderId: req.orderId, shipmentId: req.shipmentId, since: req.since }, 'parcel stalled: support notice raised');
      return { raised };
    },

    /** The carrier returned the parcel to us: one open notice, for support to send it again or refund the customer. */
    async raiseReturnedNotice(req: { shipmentId: string; orderId: string; trackingNumber: string; carrier: string; returnedAt: string; reason?: string })
      : Promise<{ raised: boolean }> {
      const message = `Parcel ${req.trackingNumber} (${req.carrier}) of order ${req.orderId} was returned to sender at ${req.returnedAt}`
        + `${req.reason ? ` (${req.reason})` : ''}. The payment is still captured: send the order again or refund the customer.`;
      const raised = await raiseShipmentNotice(em(), RETURNED_NOTICE, req.shipmentId, message);
      if (raised) logger.warn({ orderId: req.orderId, shipmentId: req.shipmentId }, 'parcel returned to sender: support notice raised');
      return { raised };
    },

    /** The parcel moves again (or arrived): its open stalled notice is closed. */
    async resolveStallNotice(req: { shipmentId: string }): Promise<{ resolved: number }> {
      return { resolved: await resolveShipmentNotices(em(), STALLED_NOTICE, req.shipmentId) };
    },
  };
}
