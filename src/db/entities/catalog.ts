import { defineEntity, type InferEntity } from '@mikro-orm/core';

// Foreign keys are plain id columns: aggregates are loaded by explicit queries, never lazily.

export const Product = defineEntity({
  name: 'Product',
  tableName: 'products',
  properties: (p) => ({
    id: p.uuid().primary().defaultRaw('gen_random_uuid()'),
    handle: p.text().unique(),
    title: p.text(),
    description: p.text().default(''),
    status: p.enum(['draft', 'published', 'archived'] as const).default('draft'),
    version: p.integer().default(1),
    optionCount: p.smallint().default(0),
    createdAt: p.datetime().defaultRaw('now()'),
    updatedAt: p.datetime().defaultRaw('now()'),
  }),
});
export type Product = InferEntity<typeof Product>;

export const Variant = defineEntity({
  name: 'Variant',
  tableName: 'variants',
  properties: (p) => ({
    id: p.uuid().primary().defaultRaw('gen_random_uuid()'),
    productId: p.uuid(),
    sku: p.text().unique(),
    title: p.text(),
    position: p.integer().default(0),
    weightGrams: p.integer().nullable(),
    optionKey: p.text().default(''),
    optionCount: p.smallint().default(0),
    createdAt: p.datetime().defaultRaw('now()'),
    updatedAt: p.datetime().defaultRaw('now()'),
  }),
});
export type Variant = InferEntity<typeof Variant>;

/** A variant's price in one currency (the rest of the catalog's tables are read and written by src/store/ in SQL). */
export const VariantPrice = defineEntity({
  name: 'VariantPrice',
  tableName: 'variant_prices',
  properties: (p) => ({
    variantId: p.uuid().primary(),
    currency: p.character().length(3).primary(),
    amount: p.bigint('number'),
  }),
});
export type VariantPrice = InferEntity<typeof VariantPrice>;

export const Inventory = defineEntity({
  name: 'Inventory',
  tableName: 'inventory',
  properties: (p) => ({
    sku: p.text().primary(),
    onHand: p.integer(),
    reserved: p.integer().default(0),
    updatedAt: p.datetime().defaultRaw('now()'),
  }),
});
export type Inventory = InferEntity<typeof Inventory>;

export const Reservation = defineEntity({
  name: 'Reservation',
  tableName: 'reservations',
  properties: (p) => ({
    id: p.uuid().primary().defaultRaw('gen_random_uuid()'),
    orderId: p.uuid(),
    sku: p.text(),
    quantity: p.integer(),
    status: p.enum(['reserved', 'released', 'committed'] as const),
    createdAt: p.datetime().defaultRaw('now()'),
    updatedAt: p.datetime().defaultRaw('now()'),
  }),
});
export type Reservation = InferEntity<typeof Reservation>;
