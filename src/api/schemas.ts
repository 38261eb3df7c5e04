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

export const imageView = z.object({
  url: z.string().meta({ description: 'Absolute for external images and for object storage behind a public URL; a path on this API (/media/…) for images it serves itself.' }),
  alt: z.string(),
}).meta({ id: 'Image' });

export const variantView = z.object({
  sku, title: z.string(),
  price: moneyView.nullable().meta({ description: 'In the currency asked for (?currency=, USD by default); null when the variant has no price in it.' }),
  available: z.number().int().meta({ description: 'On hand minus reserved.' }),
}).meta({ id: 'Variant' });

export const productView = z.object({
  id: z.uuid(), handle: z.string(), slug: z.string().meta({ description: 'The same as handle, for clients written before handles.' }),
  title: z.string(), description: z.string(), images: z.array(imageView), variants: z.array(variantView),
}).meta({ id: 'Product' });

export const productDetailView = productView.extend({
  options: z.array(z.object({ name: z.string(), values: z.array(z.string()) })),
  variants: z.array(variantView.extend({
    options: z.record(z.string(), z.string()).meta({ description: 'The value of each option, by option name.' }),
    prices: z.array(moneyView).meta({ description: 'Its price in every currency it is sold in.' }),
    weightGrams: z.number().int().nullable(),
  })),
  categories: z.array(z.object({ id: z.uuid(), handle: z.string(), name: z.string() })),
  collections: z.array(z.object({ id: z.uuid(), handle: z.string(), title: z.string() })),
  attributes: z.record(z.string(), z.array(z.string())).meta({ description: 'Values by attribute code, e.g. { "brand": ["Northwind"] }.' }),
}).meta({ id: 'ProductDetail' });

const rate = z.string().meta({ description: 'A tax rate in percent, e.g. "19%".', example: '19%' });

/** What the cart or order costs, as src/domain/pricing.ts computes it (docs/pricing.md). */
export const breakdownView = z.object({
  pricesIncludeTax: z.boolean().meta({ description: 'True when the prices include tax (VAT style): the taxes are a part of the total, not added to it.' }),
  lines: z.array(z.object({ sku, quantity: z.number().int(), subtotal: moneyView, discount: moneyView, taxRate: rate, tax: moneyView,
    total: moneyView.meta({ description: 'Subtotal less discount, plus tax where it is added on top.' }) })),
  subtotal: moneyView,
  discounts: z.array(z.object({
    promotionId: z.uuid(), code: z.string().nullable().meta({ description: 'Null for an automatic promotion.' }), name: z.string(),
    kind: z.enum(['percentage', 'fixed', 'free_shipping', 'buy_x_get_y']), amount: moneyView,
    lines: z.array(z.object({ sku, amount: moneyView })).meta({ description: 'What it takes off each line.' }),
    shipping: moneyView.meta({ description: 'What it takes off shipping.' }),
  })).meta({ description: 'In the order they apply (docs/pricing.md).' }),
  discountTotal: moneyView,
  shipping: z.object({ methodId: z.uuid(), name: z.string(), amount: moneyView, discount: moneyView, taxRate: rate, tax: moneyView, total: moneyView }).nullable()
    .meta({ description: 'Null until a shipping method that can ship the cart is chosen.' }),
  taxes: z.array(z.object({ name: z.string(), rate, amount: moneyView })).meta({ description: 'One entry per rate; none for zero-rated items or an address in no tax region.' }),
  taxTotal: moneyView,
  total: moneyView.meta({ description: 'What the payment is authorized for.' }),
}).meta({ id: 'PriceBreakdown' });

export const cartView = z.object({
  id: cartId,
  status: z.enum(['active', 'checking_out', 'checked_out', 'expired', 'merged']),
  currency,
  lines: z.array(z.object({
    sku, title: z.string(), productTitle: z.string(), productHandle: z.string(),
    productSlug: z.string().meta({ description: 'The same as productHandle, for clients written before handles.' }), quantity: z.number().int(),
    available: z.number().int(),
    forSale: z.boolean().meta({ description: 'False when the line can no longer be bought (its product was withdrawn, or it has no price in the cart\'s currency): remove it before checking out.' }),
    unitPrice: moneyView.nullable(), lineTotal: moneyView.nullable(),
  })),
  itemCount: z.number().int(),
  subtotal: moneyView.meta({ description: 'Of the lines for sale.' }),
  shippingAddress: z.lazy(() => shippingAddress).nullable().meta({ description: 'Where the cart ships to: set it to see shipping options and taxes.' }),
  shippingMethod: z.object({ id: z.uuid(), name: z.string(), carrier: z.string(), minDays: z.number().int().nullable(), maxDays: z.number().int().nullable(),
    available: z.boolean().meta({ description: 'False when the method cannot ship this cart (its address, currency or weight): choose another.' }) }).nullable(),
  promotions: z.array(z.object({ code: z.string(), name: z.string(), applied: z.boolean(),
    reason: z.enum(['not_started', 'expired', 'minimum_not_met', 'no_matching_items', 'no_amount_in_currency', 'not_combinable']).optional() }))
    .meta({ description: 'The codes applied to the cart; one whose conditions the cart no longer meets says why.' }),
  pricing: breakdownView,
  createdAt: z.string(),
  updatedAt: z.string(),
}).meta({ id: 'Cart' });

// ---------------------------------------------------------------------------------------------
// Checkout and orders

/** What an Idempotency-Key may look like: long enough to be unique, plain enough to log. */
/**
 * A whole number in the query string: digits only, so an empty value, a space, "1e2" or "0x10" is refused
 * instead of read as 0, 100 or 16 (what z.coerce.number() would make of them). Documented as an integer.
 */
export function queryInt(min: number, max: number) {
  return z.string().regex(/^\d{1,15}$/, 'a whole number, in digits').transform(Number).pipe(z.number().int().min(min).max(max))
    .meta({ override: ({ jsonSchema }: { jsonSchema: Record<string, unknown> }) => {
      for (const key of Object.keys(jsonSchema)) delete jsonSchema[key];
      Object.assign(jsonSchema, { type: 'integer', minimum: min, maximum: max });
    } });
}

export const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{8,255}$/;

export const orderId = z.uuid('an order id as returned by checkout').meta({ example: '7d0f6a52-3c1e-4a4e-9a57-0b8f0f6b2a11' });

export const shippingAddress = z.strictObject({
  name: z.string().trim().min(1).max(200),
  line1: z.string().trim().min(1).max(200),
  line2: z.string().trim().min(1).max(200).optional(),
  city: z.string().trim().min(1).max(100),
  region: z.string().trim().min(1).max(100).optional(),
  postalCode: z.string().trim().min(1).max(20),
  country: z.string().regex(/^[A-Z]{2}$/, 'an upper-case ISO 3166 alpha-2 code such as US or GB'),
}).meta({ id: 'ShippingAddress' });

/**
 * An e-mail address, as checkout and the accounts take it: ASCII only. An internationalised address (zoë@example.com,
 * ada@bücher.example) is refused with a 400 that says so, deliberately: delivering to a UTF-8 local part needs SMTPUTF8
 * at every hop, which the mail providers and the recipients' servers do not all speak, and a lookalike Unicode
 * address could take over someone else's account. A domain in its punycode form (ada@xn--bcher-kva.example) is accepted.
 */
export const emailAddress = z.email('an ASCII e-mail address such as ada@example.com (internationalised addresses are not accepted; '
  + 'write the domain in punycode)').max(254)
  // RFC 5321: the part before @ holds at most 64 characters; no mail server takes a longer one.
  .refine((e) => e.lastIndexOf('@') <= 64, 'an e-mail address whose part before @ is at most 64 characters').meta({ example: 'ada@example.com' });

export const checkoutBody = z.strictObject({
  email: emailAddress.optional()
    .meta({ description: 'Required of a guest; signed in, the account\'s address when left out.' }),
  phone: z.string().regex(/^\+[1-9]\d{6,14}$/, 'an E.164 phone number such as +447700900123').optional()
    .meta({ description: 'Optional; when given, the customer is also told by SMS.' }),
  shippingAddress: shippingAddress.optional()
    .meta({ description: 'Where to ship; it becomes the cart\'s address. Left out with shippingAddressId: the cart\'s address (PUT /carts/:id/shipping-address).' }),
  shippingAddressId: z.uuid('an address id from GET /me/addresses').optional()
    .meta({ description: 'Signed in: one of the customer\'s saved addresses, instead of shippingAddress; it becomes the cart\'s address.' }),
  paymentMethod: z.string().regex(/^pm_[A-Za-z0-9_]{1,100}$/, 'a payment method id such as pm_card_visa'),
}).refine((b) => b.shippingAddress === undefined || b.shippingAddressId === undefined,
  { message: 'send shippingAddress or shippingAddressId (a saved address, signed in), not both', path: ['shippingAddress'] })
  // The refinement, said in the document too: not both.
  .meta({ id: 'CheckoutRequest', override: { not: { required: ['shippingAddress', 'shippingAddressId'] } } });

const paymentStatus = z.enum(['pending', 'requires_action', 'authorized', 'declined', 'failed', 'voided', 'refunded', 'captured']);
const orderStatus = z.enum([
  'pending', 'awaiting_payment_action', 'payment_authorized', 'confirmed', 'awaiting_fulfillment',
  'shipped', 'delivered', 'cancelling', 'cancelled', 'failed',
]);

export const paymentOutcomeView = z.object({
  status: paymentStatus,
  nextAction: z.object({ type: z.literal('redirect_to_url'), url: z.string() }).optional()
    .meta({ description: 'Present when the bank asks the customer to authenticate (3-D Secure): send them to the url.' }),
  declineCode: z.string().optional(),
}).meta({ id: 'PaymentOutcome' });

export const checkoutResponse = z.object({
  orderId,
  status: orderStatus,
  accessToken: z.string().nullable().meta({ description: 'Send it as "Authorization: Bearer <token>" to read or cancel this order. '
    + 'The same token on every replay of this checkout; null once support has revoked the order\'s access.' }),
  payment: paymentOutcomeView,
  failure: z.object({ code: z.string(), message: z.string() }).optional()
    .meta({ description: 'Why the order failed before its payment, e.g. promotion_limit_reached or out_of_stock: the cart is open again.' }),
  links: z.object({ self: z.string(), cancel: z.string() }),
}).meta({ id: 'CheckoutAccepted' });

/** The checkout workflow's live state (its `status` query). */
export const liveOrderView = z.object({
  orderId,
  status: orderStatus,
  held: z.boolean(),
  holdReason: z.string().optional(),
  payment: z.object({ status: paymentStatus, providerRef: z.string().optional(), nextAction: z.unknown().optional(), declineCode: z.string().optional() }),
  timeline: z.array(z.object({ step: z.string(), status: z.string(), at: z.string(), detail: z.string().optional() })),
  pendingCompensations: z.array(z.string()),
  cancelReason: z.string().optional(),
  failure: z.object({ code: z.string(), message: z.string() }).optional(),
}).meta({ id: 'LiveOrderState' });

export const orderView = z.object({
  id: orderId,
  status: orderStatus,
  email: z.string(),
  phone: z.string().nullable(),
  shippingAddress,
  lines: z.array(z.object({ sku, title: z.string(), quantity: z.number().int(), unitPrice: moneyView, lineTotal: moneyView })),
  subtotal: moneyView,
  total: moneyView,
  pricing: breakdownView.meta({ description: 'What the order cost, as it was at checkout: later price, rate or promotion changes never change it.' }),
  payment: z.object({ status: z.string(), providerRef: z.string().nullable() }).nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  live: liveOrderView.nullable().meta({ description: 'The workflow\'s live state; null when Temporal did not answer (see liveNote).' }),
  liveNote: z.string().optional(),
}).meta({ id: 'Order' });
