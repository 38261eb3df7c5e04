/**
 * Parcels: the shipments table (one per order, shipments_one_per_order_idx) and its timeline of
 * carrier scans (shipment_events, once per carrier event id). The tracking workflow writes both as
 * it applies each scan; customers and support read them.
 */
import { IsolationLevel, type EntityManager } from '@mikro-orm/postgresql';
import { DomainError, ErrorCode } from '../domain/errors';

/** A shipments row (timestamps read as text). */
export interface ShipmentRow {
  id: string; order_id: string; carrier: string; tracking_number: string; status: string; label_url: string; created_at: string; updated_at: string;
}

const COLUMNS = 'id, order_id, carrier, tracking_number, status, label_url, created_at, updated_at';

/** A carrier scan as the timeline keeps it. */
export interface ShipmentEventRow { shipment_id: string; provider_event_id: string; status: string; description: string; occurred_at: string; recorded_at: string }

/** The order's parcel, once its label is bought. */
export async function shipmentOfOrder(em: EntityManager, orderId: string): Promise<ShipmentRow | undefined> {
  const [row] = await em.execute<ShipmentRow[]>(`select ${COLUMNS} from shipments where order_id = ?`, [orderId]);
  return row;
}

export async function shipmentById(em: EntityManager, shipmentId: string): Promise<ShipmentRow | undefined> {
  const [row] = await em.execute<ShipmentRow[]>(`select ${COLUMNS} from shipments where id = ?`, [shipmentId]);
  return row;
}

export async function shipmentByTrackingNumber(em: EntityManager, trackingNumber: string): Promise<ShipmentRow | undefined> {
  const [row] = await em.execute<ShipmentRow[]>(`select ${COLUMNS} from shipments where tracking_number = ?`, [trackingNumber]);
  return row;
}

/**
 * Records the order's label once (a retry keeps the first). Two attempts of the activity at once
 * (a retry while the first is still running) bring the same label, and either unique key (one
 * shipment per order, one per tracking number) can be the one that meets the other attempt's row
 * first: both are arbiters, so the later attempt writes nothing, whichever it meets. Answers the
 * order's shipment; a label whose tracking number is already another order's is the carrier's
 * error, said as such.
 */
export async function recordLabel(em: EntityManager, orderId: string, label: { carrier: string; trackingNumber: string; labelUrl: string }): Promise<ShipmentRow> {
  await em.execute(
    `insert into shipments (order_id, carrier, tracking_number, status, label_url) values (?, ?, ?, 'label_created', ?)
     on conflict do nothing`, [orderId, label.carrier, label.trackingNumber, label.labelUrl]);
  const shipment = await shipmentOfOrder(em, orderId);
  if (!shipment) {
    throw new DomainError(ErrorCode.CarrierError, `The carrier's label for order ${orderId} has tracking number ${label.trackingNumber}, which `
      + 'another order\'s shipment already has: void that label with the carrier and buy another.', { orderId, trackingNumber: label.trackingNumber });
  }
  return shipment;
}

/** Voids the order's label if it was never used; answers its tracking number, or undefined when there was nothing to void. */
export async function voidLabelOfOrder(em: EntityManager, orderId: string): Promise<string | undefined> {
  const [row] = await em.execute<{ tracking_number: string }[]>(
    `update shipments set status = 'voided', updated_at = now() where order_id = ? and status = 'label_created' returning tracking_number`, [orderId]);
  return row?.tracking_number;
}

/**
 * Adds a scan to the shipment's timeline (once per carrier event id) and, for a status change,
 * moves the shipment, in one transaction under the shipment's row lock. False when the scan was
 * already there.
 */
export async function recordShipmentEvent(em: EntityManager, shipmentId: string, event: {
  eventId: string; status: string; description?: string; occurredAt: string;
}, statusChange: boolean): Promise<boolean> {
  return em.transactional(async (tx) => {
    const [shipment] = await tx.execute<{ id: string }[]>('select id from shipments where id = ? for update', [shipmentId]);
    if (!shipment) throw new DomainError(ErrorCode.NotFound, `Shipment ${shipmentId} does not exist.`, { shipmentId });
    const inserted = await tx.execute<{ id: string }[]>(
      `insert into shipment_events (shipment_id, provider_event_id, status, description, occurred_at) values (?, ?, ?, ?, ?)
       on conflict (shipment_id, provider_event_id) do nothing returning id`,
      [shipmentId, event.eventId, event.status, event.description ?? '', event.occurredAt]);
    if (statusChange) await tx.execute('update shipments set status = ?, updated_at = now() where id = ?', [event.status, shipmentId]);
    return inserted.length > 0;
  });
}

/**
 * The order's parcels, oldest first, each with whether support has it as stalled and its scans, oldest
 * first. Both reads see one snapshot (repeatable read): a scan and the status it moved the parcel to
 * are committed together, and are read together.
 */
export async function shipmentsOfOrder(em: EntityManager, orderId: string)
  : Promise<(ShipmentRow & { stalled: boolean; events: ShipmentEventRow[] })[]> {
  return em.transactional((tx) => shipmentsOfOrderIn(tx, orderId), { isolationLevel: IsolationLevel.REPEATABLE_READ, readOnly: true });
}

async function shipmentsOfOrderIn(em: EntityManager, orderId: string)
  : Promise<(ShipmentRow & { stalled: boolean; events: ShipmentEventRow[] })[]> {
  const shipments = await em.execute<(ShipmentRow & { stalled: boolean })[]>(
    `select ${COLUMNS.split(', ').map((c) => `s.${c}`).join(', ')},
            exists (select 1 from support_notices n where n.shipment_id = s.id and n.kind = 'shipment_stalled' and n.resolved_at is null) as stalled
       from shipments s where s.order_id = ? order by s.created_at`, [orderId]);
  if (shipments.length === 0) return [];
  const events = await em.execute<ShipmentEventRow[]>(
    `select shipment_id, provider_event_id, status, description, occurred_at, recorded_at from shipment_events
      where shipment_id in (${shipments.map(() => '?').join(', ')}) order by occurred_at, recorded_at`, shipments.map((s) => s.id));
  return shipments.map((s) => ({ ...s, events: events.filter((e) => e.shipment_id === s.id) }));
}
