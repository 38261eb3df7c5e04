/** Schemas shared by several routes. Objects are strict: an unknown field is a 400, not silently dropped. */
import { z } from 'zod';

export const sku = z.string().regex(/^[A-Z0-9][A-Z0-9-]{1,63}$/, 'an upper-case SKU such as TEE-BLK-M').meta({ example: 'TEE-BLK-M' });
export const currency = z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as USD');
export const quantity = z.number().int('a whole number').min(1).max(999);
export const cartId = z.string().regex(/^[A-Za-z0-9_-]{22,64}$/, 'a cart id as returned by POST /carts');

export const moneyView = z.object({
  amount: z.number().int().meta({ description: 'Minor units (cents).' }),
  currency,
  formatted: z.string(),
}).meta({ id: 'Money' });

export const variantView = z.object({
  sku, title: z.string(), price: moneyView, available: z.number().int().meta({ description: 'On hand minus reserved.' }),
}).meta({ id: 'Variant' });

export const productView = z.object({
  id: z.uuid(), slug: z.string(), title: z.string(), description: z.string(), variants: z.array(variantView),
}).meta({ id: 'Product' });

export const cartView = z.object({
  id: cartId,
  status: z.enum(['active', 'checking_out', 'checked_out', 'expired']),
  currency,
  lines: z.array(z.object({
    sku, title: z.string(), productTitle: z.string(), productSlug: z.string(), quantity: z.number().int(),
    available: z.number().int(), unitPrice: moneyView, lineTotal: moneyView,
  })),
  itemCount: z.number().int(),
  subtotal: moneyView,
  createdAt: z.string(),
  updatedAt: z.string(),
}).meta({ id: 'Cart' });
