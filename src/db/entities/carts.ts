import { defineEntity, type InferEntity } from '@mikro-orm/core';

export const CART_STATUSES = ['active', 'checking_out', 'checked_out', 'expired'] as const;
export type CartStatus = (typeof CART_STATUSES)[number];

export const Cart = defineEntity({
  name: 'Cart',
  tableName: 'carts',
  properties: (p) => ({
    id: p.text().primary(),
    customerId: p.uuid().nullable(),
    currency: p.character().length(3),
    status: p.enum([...CART_STATUSES]).default('active'),
    createdAt: p.datetime().defaultRaw('now()'),
    updatedAt: p.datetime().defaultRaw('now()'),
    reminderSentAt: p.datetime().nullable(),
    expiredAt: p.datetime().nullable(),
  }),
});
export type Cart = InferEntity<typeof Cart>;

export const CartLine = defineEntity({
  name: 'CartLine',
  tableName: 'cart_lines',
  properties: (p) => ({
    cartId: p.text().primary(),
    sku: p.text().primary(),
    quantity: p.integer(),
    addedAt: p.datetime().defaultRaw('now()'),
  }),
});
export type CartLine = InferEntity<typeof CartLine>;
