import { defineEntity, type InferEntity } from '@mikro-orm/core';

export const Notification = defineEntity({
  name: 'Notification',
  tableName: 'notifications',
  properties: (p) => ({
    id: p.uuid().primary().defaultRaw('gen_random_uuid()'),
    orderId: p.uuid().nullable(),
    cartId: p.text().nullable(),
    template: p.text(),
    /** The how-manieth message of this template to this order (a parcel out for delivery a second time); 1 for most. */
    occurrence: p.integer().default(1),
    channel: p.enum(['email', 'sms'] as const),
    recipient: p.text(),
    status: p.enum(['pending', 'sending', 'sent', 'failed', 'delivered', 'undelivered', 'skipped'] as const).default('pending'),
    provider: p.text().nullable(),
    providerMessageId: p.text().nullable(),
    payload: p.json<Record<string, unknown>>().default('{}'),
    attempts: p.integer().default(0),
    lastError: p.text().nullable(),
    createdAt: p.datetime().defaultRaw('now()'),
    sentAt: p.datetime().nullable(),
    claimedAt: p.datetime().nullable(),
    deliveredAt: p.datetime().nullable(),
  }),
});
export type Notification = InferEntity<typeof Notification>;

export const WebhookEvent = defineEntity({
  name: 'WebhookEvent',
  tableName: 'webhook_events',
  properties: (p) => ({
    provider: p.text().primary(),
    eventId: p.text().primary(),
    type: p.text(),
    payload: p.json<Record<string, unknown>>(),
    receivedAt: p.datetime().defaultRaw('now()'),
    processedAt: p.datetime().nullable(),
    outcome: p.text().nullable(),
  }),
});
export type WebhookEvent = InferEntity<typeof WebhookEvent>;
