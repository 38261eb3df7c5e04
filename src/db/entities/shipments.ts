import { defineEntity, type InferEntity } from '@mikro-orm/core';

export const Shipment = defineEntity({
  name: 'Shipment',
  tableName: 'shipments',
  properties: (p) => ({
    id: p.uuid().primary().defaultRaw('gen_random_uuid()'),
    orderId: p.uuid(),
    carrier: p.text(),
    trackingNumber: p.text().unique(),
    status: p.text(),
    labelUrl: p.text().nullable(),
    createdAt: p.datetime().defaultRaw('now()'),
    updatedAt: p.datetime().defaultRaw('now()'),
  }),
});
export type Shipment = InferEntity<typeof Shipment>;

export const ShipmentEvent = defineEntity({
  name: 'ShipmentEvent',
  tableName: 'shipment_events',
  properties: (p) => ({
    id: p.uuid().primary().defaultRaw('gen_random_uuid()'),
    shipmentId: p.uuid(),
    providerEventId: p.text(),
    status: p.text(),
    description: p.text().default(''),
    occurredAt: p.datetime(),
    recordedAt: p.datetime().defaultRaw('now()'),
  }),
});
export type ShipmentEvent = InferEntity<typeof ShipmentEvent>;
