/**
 * The parcel after dispatch: ask the carrier where it is, keep its timeline and status in the
 * database, and tell support when it stops moving. Each write is idempotent by a business key,
 * so a retry changes nothing: (shipment, carrier event id) for a scan, one open notice per
 * (kind, shipment) for support.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityDeps } from './deps';
import type { CarrierEvent, ShipmentStatus } from '../src/contracts/shipment';
import { CarrierError } from '../src/integrations/carrier';
import { DomainError, ErrorCode } from '../src/domain/errors';

/** The support notice raised for a parcel that stopped moving. */
export const STALLED_NOTICE = 'shipment_stalled';
/** The support notice raised for a parcel the carrier sent back: someone decides between sending it again and refunding. */
export const RETURNED_NOTICE = 'shipment_returned';

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
  const conn = () => orm.em.fork().getConnection();
  return {
    /** Every scan the carrier has for the parcel as of `asOf` (the workflow's clock); read-only. */
    async pollCarrier(req: { trackingNumber: string; shippedAt: string; asOf: string }): Promise<CarrierEvent[]> {
      try {
        return await carrier.track(req);
      } catch (err) {
        if (!(err instanceof CarrierError)) throw err;
        throw ApplicationFailure.create({ type: 'carrier_error', message: err.message, nonRetryable: !err.retryable });
      }
    },

    /** Adds the scan to the shipment's timeline (once per carrier event id) and, for a status change, moves the shipment. */
    async recordShipmentEvent(req: { shipmentId: string; event: CarrierEvent; statusChange: boolean }): Promise<{ recorded: boolean }> {
      const { shipmentId, event } = req;
      return orm.em.fork().transactional(async (tx) => {
        const c = tx.getConnection();
        const ctx = tx.getTransactionContext();
        const [shipment] = await c.execute<{ id: string }[]>('select id from shipments where id = ? for update', [shipmentId], 'all', ctx);
        if (!shipment) throw new DomainError(ErrorCode.NotFound, `Shipment ${shipmentId} does not exist.`, { shipmentId });
        const inserted = await c.execute<{ id: string }[]>(
          `insert into shipment_events (shipment_id, provider_event_id, status, description, occurred_at) values (?, ?, ?, ?, ?)
           on conflict (shipment_id, provider_event_id) do nothing returning id`,
          [shipmentId, event.eventId, event.status, event.description ?? '', event.occurredAt], 'all', ctx);
        if (req.statusChange) {
          await c.execute('update shipments set status = ?, updated_at = now() where id = ?', [event.status, shipmentId], 'run', ctx);
        }
        return { recorded: inserted.length > 0 };
      });
    },

    /** One open notice per stalled shipment: a retry, or the same stall seen again, adds nothing. */
    async raiseStallNotice(req: StallNoticeRequest): Promise<{ raised: boolean }> {
      const message = `Parcel ${req.trackingNumber} (${req.carrier}) of order ${req.orderId} has not moved since ${req.since} `
        + `(last status: ${req.status.replace(/_/g, ' ')}). Ask the carrier where it is; the notice closes by itself when it moves again.`;
      const rows = await conn().execute<{ id: string }[]>(
        `insert into support_notices (kind, order_id, shipment_id, message) select ?, order_id, id, ? from shipments where id = ?
         on conflict (kind, shipment_id) where resolved_at is null do nothing returning id`,
        [STALLED_NOTICE, message, req.shipmentId]);
      if (rows.length === 0 && (await conn().execute('select 1 from shipments where id = ?', [req.shipmentId])).length === 0) {
        throw new DomainError(ErrorCode.NotFound, `Shipment ${req.shipmentId} does not exist.`, { shipmentId: req.shipmentId });
      }
      if (rows.length > 0) logger.warn({ orderId: req.orderId, shipmentId: req.shipmentId, since: req.since }, 'parcel stalled: support notice raised');
      return { raised: rows.length > 0 };
    },

    /** The carrier returned the parcel to us: one open notice, for support to send it again or refund the customer. */
    async raiseReturnedNotice(req: { shipmentId: string; orderId: string; trackingNumber: string; carrier: string; returnedAt: string; reason?: string })
      : Promise<{ raised: boolean }> {
      const message = `Parcel ${req.trackingNumber} (${req.carrier}) of order ${req.orderId} was returned to sender at ${req.returnedAt}`
        + `${req.reason ? ` (${req.reason})` : ''}. The payment is still captured: send the order again or refund the customer.`;
      const rows = await conn().execute<{ id: string }[]>(
        `insert into support_notices (kind, order_id, shipment_id, message) select ?, order_id, id, ? from shipments where id = ?
         on conflict (kind, shipment_id) where resolved_at is null do nothing returning id`,
        [RETURNED_NOTICE, message, req.shipmentId]);
      if (rows.length > 0) logger.warn({ orderId: req.orderId, shipmentId: req.shipmentId }, 'parcel returned to sender: support notice raised');
      return { raised: rows.length > 0 };
    },

    /** The parcel moves again (or arrived): its open stalled notice is closed. */
    async resolveStallNotice(req: { shipmentId: string }): Promise<{ resolved: number }> {
      const rows = await conn().execute<{ id: string }[]>(
        `update support_notices set resolved_at = now() where kind = ? and shipment_id = ? and resolved_at is null returning id`,
        [STALLED_NOTICE, req.shipmentId]);
      return { resolved: rows.length };
    },
  };
}
