/**
 * An order's parcels: carrier, tracking number, status and every scan, oldest first. Same access
 * rule as GET /orders/:id: the order's access token, its customer signed in, or a support or warehouse staff key; anyone else a 404. The
 * timeline comes from PostgreSQL, where the tracking workflow stores each scan as it applies it.
 */
import { z } from 'zod';
import type { EntityManager } from '@mikro-orm/postgresql';
import { orderById } from '../../store/orders';
import { shipmentsOfOrder } from '../../store/shipments';
import { SHIPMENT_STATUSES } from '../../contracts/shipment';
import { orderNotFound } from '../access';
import { emOf } from '../context';
import { route } from '../http';
import { orderId } from '../schemas';

const shipmentEventView = z.object({
  eventId: z.string().meta({ description: 'The carrier\'s own id of the scan.' }),
  status: z.enum(SHIPMENT_STATUSES),
  description: z.string(),
  occurredAt: z.string().meta({ description: 'When the carrier scanned the parcel (ISO 8601).' }),
  recordedAt: z.string().meta({ description: 'When we learned of it.' }),
}).meta({ id: 'ShipmentEvent' });

const shipmentView = z.object({
  id: z.uuid(),
  carrier: z.string(),
  trackingNumber: z.string(),
  status: z.string().meta({ description: 'label_created, in_transit, out_for_delivery, delivered, exception or returned_to_sender (voided: the label was cancelled).' }),
  stalled: z.boolean().meta({ description: 'True while the parcel has not moved for too long and support is looking into it.' }),
  createdAt: z.string(),
  updatedAt: z.string(),
  events: z.array(shipmentEventView).meta({ description: 'Every scan, oldest first.' }),
}).meta({ id: 'Shipment' });

export const shipmentsResponse = z.object({ orderId, shipments: z.array(shipmentView) }).meta({ id: 'OrderShipments' });

export function shipmentRoutes() {
  return [
    route({
      method: 'get', path: '/orders/:id/shipments', tag: 'orders', access: { orderToken: true, staff: ['support', 'warehouse'] },
      summary: 'The parcels of an order: carrier, tracking number, status and the timeline of carrier scans',
      params: z.strictObject({ id: orderId }),
      responses: { 200: { description: 'The order\'s shipments (an empty list until it ships)', schema: shipmentsResponse } },
      handler: async (ctx, { params }) => {
        const em = emOf(ctx);
        if (!(await orderById(em, params.id))) throw orderNotFound(params.id);
        ctx.body = { orderId: params.id, shipments: await loadShipments(em, params.id) };
      },
    }),
  ];
}

const iso = (value: string) => new Date(value).toISOString();

export async function loadShipments(em: EntityManager, id: string) {
  return (await shipmentsOfOrder(em, id)).map((s) => ({
    id: s.id, carrier: s.carrier, trackingNumber: s.tracking_number, status: s.status, stalled: s.stalled,
    createdAt: iso(s.created_at), updatedAt: iso(s.updated_at),
    events: s.events.map((e) => ({
      eventId: e.provider_event_id, status: e.status, description: e.description, occurredAt: iso(e.occurred_at), recordedAt: iso(e.recorded_at) })),
  }));
}

