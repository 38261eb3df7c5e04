import { defineEntity, type InferEntity } from '@mikro-orm/core';

import type { ShippingAddress } from '../../domain/order';

export const Order = defineEntity({
  name: 'Order',
  tableName: 'orders',
  properties: (p) => ({
    id: p.uuid().primary().defaultRaw('gen_random_uuid()'),
    cartId: p.text().nullable(),
    customerId: p.uuid().nullable(),
    idempotencyKey: p.text().unique(),
    requestHash: p.text().hidden(),
    status: p.text(),
    email: p.text(),
    phone: p.text().nullable(),
    shippingAddress: p.json<ShippingAddress>(),
    currency: p.character().length(3),
    subtotalAmount: p.bigint('number'),
    shippingAmount: p.bigint('number').default(0),
    totalAmount: p.bigint('number'),
    createdAt: p.datetime().defaultRaw('now()'),
    updatedAt: p.datetime().defaultRaw('now()'),
  }),
});
export type Order = InferEntity<typeof Order>;

export const OrderLine = defineEntity({
  name: 'OrderLine',
  tableName: 'order_lines',
  properties: (p) => ({
    id: p.uuid().primary().defaultRaw('gen_random_uuid()'),
    orderId: p.uuid(),
    sku: p.text(),
    title: p.text(),
    quantity: p.integer(),
    unitPriceAmount: p.bigint('number'),
    lineTotalAmount: p.bigint('number'),
  }),
});
export type OrderLine = InferEntity<typeof OrderLine>;

export const Payment = defineEntity({
  name: 'Payment',
  tableName: 'payments',
  properties: (p) => ({
    id: p.uuid().primary().defaultRaw('gen_random_uuid()'),
    orderId: p.uuid(),
    provider: p.text(),
    providerRef: p.text().nullable(),
    paymentMethod: p.text(),
    idempotencyKey: p.text().unique(),
    status: p.text(),
    amount: p.bigint('number'),
    capturedAmount: p.bigint('number').default(0),
    refundedAmount: p.bigint('number').default(0),
    currency: p.character().length(3),
    failureCode: p.text().nullable(),
    createdAt: p.datetime().defaultRaw('now()'),
    updatedAt: p.datetime().defaultRaw('now()'),
  }),
});
export type Payment = InferEntity<typeof Payment>;

export const Refund = defineEntity({
  name: 'Refund',
  tableName: 'refunds',
  properties: (p) => ({
    id: p.uuid().primary().defaultRaw('gen_random_uuid()'),
    paymentId: p.uuid(),
    idempotencyKey: p.text().unique(),
    amount: p.bigint('number'),
    reason: p.text(),
    providerRef: p.text().nullable(),
    /** pending (asked for, or accepted by the provider and not yet settled), succeeded or failed. */
    status: p.text(),
    failureReason: p.text().nullable(),
    createdAt: p.datetime().defaultRaw('now()'),
    updatedAt: p.datetime().defaultRaw('now()'),
  }),
});
export type Refund = InferEntity<typeof Refund>;
