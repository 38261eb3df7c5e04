/**
 * Orders, their lines and the secrets their access tokens derive from (src/auth/order-tokens.ts). An order is placed from a cart exactly once per
 * Idempotency-Key: the cart row is locked first, so concurrent requests with the same key queue up
 * and the later ones find the order the first one made; the same key with a different body is
 * refused; a cart holds one live order at most. Afterwards the saga moves its status
 * (setOrderStatus, markOrderShipped) and support may change its address.
 */
import { createHash } from 'node:crypto';
import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/postgresql';
import { assertCartWritable } from '../domain/cart';
import { DomainError, ErrorCode, notFound } from '../domain/errors';
import type { OrderStatus, ShippingAddress } from '../domain/order';
import { linesOnly, type Breakdown } from '../domain/pricing';
import { addressOf, shippingAddressOf } from './addresses';
import { lockCart, markCartCheckedOut, mayReachCart, pricedLinesOfCart, pricingContextOfCart, type LockedCart, type PricedLine, type UnsellableLine } from './carts';
import { priceWithContext } from './cart-pricing';
import { addressRequired, methodUnavailable, setAddressSql } from './cart-shipping';
import { assertWithinLimits, customerKeysOf, limitFactsIn, promotionRefusal } from './promotions';

export interface PlaceOrderRequest {
  cartId: string;
  idempotencyKey: string;
  /** Required of a guest; a signed-in customer's own address when left out. */
  email?: string;
  phone?: string;
  /** An address typed in, or (signed in) the id of one of the customer's saved addresses; neither: the cart's own (PUT /carts/:id/shipping-address). */
  shippingAddress?: ShippingAddress;
  shippingAddressId?: string;
  paymentMethod: string;
  /** The signed-in customer placing the order, if any; not part of the request's hash (the body is). */
  customerId?: string;
}

export interface PlacedOrder {
  orderId: string;
  status: string;
  created: boolean;
  /** What the order's access token derives from, the same on every replay; null once support revoked its access. */
  accessSecret: Buffer | null;
  currency: string;
  totalAmount: number;
  lines: { sku: string; quantity: number }[];
  customerId?: string;
  paymentMethod: string;
  notifyBySms: boolean;
  /** The promotions the order was priced with (codes, or names of automatic ones): the checkout redeems their uses. */
  promotions: string[];
}

/** An orders row (amounts are bigint and timestamps text, as pg and the ORM read them). */
export interface OrderRow {
  id: string; cart_id: string | null; customer_id: string | null; idempotency_key: string; request_hash: string; status: string;
  email: string; phone: string | null; shipping_address: ShippingAddress; currency: string;
  subtotal_amount: string; shipping_amount: string; total_amount: string; created_at: string; updated_at: string;
  access_secret: Buffer | null;
  /** The breakdown as it was at checkout; null for an order placed before orders kept one. */
  pricing: Breakdown | null;
}

const COLUMNS = `id, cart_id, customer_id, idempotency_key, request_hash, status, email, phone, shipping_address, currency,
  subtotal_amount, shipping_amount, total_amount, created_at, updated_at, access_secret, pricing`;

/** An order_lines row. */
export interface OrderLineRow { sku: string; title: string; quantity: number; unit_price_amount: string; line_total_amount: string }

export function requestHash(req: PlaceOrderRequest): string {
  const { idempotencyKey: _key, customerId: _customer, ...rest } = req;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

export async function placeOrder(em: EntityManager, req: PlaceOrderRequest): Promise<PlacedOrder> {
  try {
    return await insertOnce(em, req);
  } catch (err) {
    // Two different carts racing with one key: the database's unique key decides, the loser is told why.
    if (err instanceof UniqueConstraintViolationException && /idempotency_key/.test(err.message)) throw keyReused();
    throw err;
  }
}

const keyReused = () => new DomainError(ErrorCode.IdempotencyKeyReused,
  'This Idempotency-Key was already used for a different checkout request; use a new key for a new request.');

async function insertOnce(em: EntityManager, req: PlaceOrderRequest): Promise<PlacedOrder> {
  const hash = requestHash(req);
  return em.transactional(async (tx) => {
    const cart = await lockCart(tx, req.cartId);
    // Another customer's cart is answered as a missing one, before anything about its orders is told.
    if (cart && !mayReachCart(cart.customer_id, req.customerId ?? null)) throw notFound(ErrorCode.CartNotFound, 'Cart', req.cartId);
    const [existing] = await tx.execute<OrderRow[]>(`select ${COLUMNS} from orders where idempotency_key = ?`, [req.idempotencyKey]);
    if (existing) {
      if (existing.request_hash !== hash) throw keyReused();
      const lines = (await linesOfOrder(tx, existing.id)).map((l) => ({ sku: l.sku, quantity: l.quantity }));
      return { accessSecret: existing.access_secret, orderId: existing.id, status: existing.status, created: false,
        currency: existing.currency, totalAmount: Number(existing.total_amount), lines, customerId: existing.customer_id ?? undefined,
        paymentMethod: req.paymentMethod, notifyBySms: existing.phone !== null, promotions: await promotionsOfOrder(tx, existing.id) };
    }
    assertCheckoutable(req.cartId, cart);
    const buyer = await buyerOf(tx, req, cart);
    const { lines, breakdown } = await priceForCheckout(tx, req.cartId, cart, buyer);
    // Its access secret comes from the database's default: random, one per order (src/auth/order-tokens.ts).
    const [order] = await tx.execute<{ id: string; status: string; access_secret: Buffer }[]>(
      `insert into orders (cart_id, customer_id, idempotency_key, request_hash, status, email, phone, shipping_address, currency,
         subtotal_amount, discount_amount, shipping_amount, tax_amount, prices_include_tax, total_amount, pricing)
       values (?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning id, status, access_secret`,
      [req.cartId, buyer.customerId, req.idempotencyKey, hash, buyer.email, req.phone ?? null, JSON.stringify(buyer.shippingAddress), cart.currency,
        breakdown.subtotal, breakdown.discountTotal, breakdown.shipping?.amount ?? 0, breakdown.taxTotal, breakdown.pricesIncludeTax, breakdown.total,
        JSON.stringify(breakdown)]);
    await tx.execute(
      `insert into order_lines (order_id, sku, title, quantity, unit_price_amount, line_total_amount) values
       ${lines.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')}`,
      lines.flatMap((l) => [order.id, l.sku, l.title, l.quantity, l.unitPrice.amount, l.unitPrice.amount * l.quantity]));
    if (breakdown.discounts.length > 0) {
      await tx.execute(`insert into order_promotions (order_id, promotion_id, code, name, amount) values ${breakdown.discounts.map(() => '(?, ?, ?, ?, ?)').join(', ')}`,
        breakdown.discounts.flatMap((d) => [order.id, d.promotionId, d.code, d.name, d.amount]));
    }
    await markCartCheckedOut(tx, req.cartId);
    return { accessSecret: order.access_secret, orderId: order.id, status: order.status, created: true, currency: cart.currency,
      totalAmount: breakdown.total, lines: lines.map((l) => ({ sku: l.sku, quantity: l.quantity })), customerId: buyer.customerId ?? undefined,
      paymentMethod: req.paymentMethod, notifyBySms: req.phone !== undefined, promotions: breakdown.discounts.map((d) => d.code ?? d.name) };
  });
}

/**
 * Who the order is for and where it goes. A signed-in customer may leave out the e-mail (their own)
 * and name a saved address by id; an address given (typed in or saved) becomes the cart's, and with
 * neither the cart's own address is used. The order belongs to the cart's customer, else to the
 * signed-in one, else to the account whose confirmed address it was placed with (a guest order
 * joins the account of its verified e-mail address).
 */
async function buyerOf(tx: EntityManager, req: PlaceOrderRequest, cart: LockedCart)
  : Promise<{ email: string; shippingAddress: ShippingAddress; customerId: string | null; addressGiven: boolean }> {
  const signedIn = req.customerId ?? null;
  const [account] = signedIn ? await tx.execute<{ email: string }[]>('select email from customers where id = ?', [signedIn]) : [];
  const email = req.email ?? account?.email;
  if (!email) throw missing('email', 'an e-mail address is required to check out as a guest');
  let given = req.shippingAddress;
  if (req.shippingAddressId) {
    if (!signedIn) throw missing('shippingAddressId', 'a saved address can be used only when signed in: send shippingAddress instead');
    given = shippingAddressOf(await addressOf(tx, signedIn, req.shippingAddressId));
  }
  const shippingAddress = given ?? cart.shipping_address;
  if (!shippingAddress) throw addressRequired(req.cartId);
  const [verified] = cart.customer_id || signedIn ? [] : await tx.execute<{ id: string }[]>(
    'select id from customers where lower(email) = lower(?) and email_verified_at is not null', [email]);
  return { email, shippingAddress, customerId: cart.customer_id ?? signedIn ?? verified?.id ?? null, addressGiven: given !== undefined };
}

const missing = (field: string, message: string) => new DomainError(ErrorCode.ValidationFailed, `Invalid body: ${field}: ${message}.`,
  { in: 'body', issues: [{ path: field, message, code: 'invalid_type' }] });

/**
 * The order's price, as the cart shows it, re-checked: the address given becomes the cart's (a
 * method that does not serve it is dropped, as with PUT /carts/:id/shipping-address); a store that
 * ships at a charge needs a method that can ship the cart; a code the cart no longer gets, or whose
 * uses are taken (counted per customer by the order's customer, else its e-mail), refuses the
 * checkout rather than charge another price than the cart showed.
 */
async function priceForCheckout(tx: EntityManager, cartId: string, cart: LockedCart, buyer: Awaited<ReturnType<typeof buyerOf>>)
  : Promise<{ lines: PricedLine[]; breakdown: Breakdown }> {
  if (buyer.addressGiven) {
    const address = JSON.stringify(buyer.shippingAddress);
    await tx.execute(setAddressSql('?', '?'), [address, address, cartId]);
  }
  const { lines, unsellable } = await pricedLinesOfCart(tx, cartId);
  assertSellable(cartId, cart.currency, unsellable);
  if (lines.length === 0) throw new DomainError(ErrorCode.CartEmpty, `Cart ${cartId} is empty; add items before checking out.`, { cartId });
  const ctx = await pricingContextOfCart(tx, cartId);
  const breakdown = await priceWithContext(cart.currency, lines.map((l) => l.pricing), ctx, buyer.shippingAddress);
  if (ctx.ships && !ctx.method) {
    throw new DomainError(ErrorCode.ShippingMethodRequired, `Cart ${cartId} has no shipping method: choose one of GET /carts/${cartId}/shipping-options `
      + `(PUT /carts/${cartId}/shipping-method), then check out.`, { cartId });
  }
  if (ctx.method && !breakdown.shipping) throw methodUnavailable(cartId, ctx.method.id);
  for (const refused of breakdown.notApplied) {
    const code = ctx.promotions.find((p) => p.id === refused.promotionId && p.inCart)?.code;
    if (code) throw promotionRefusal(code, refused.reason, { cartId });
  }
  const applied = breakdown.discounts.map((d) => d.promotionId);
  if (applied.length > 0) {
    for (const facts of await limitFactsIn(tx, applied, customerKeysOf(buyer))) assertWithinLimits(facts);
  }
  return { lines, breakdown };
}

/** The promotions an order was priced with, as PlacedOrder names them. */
async function promotionsOfOrder(tx: EntityManager, orderId: string): Promise<string[]> {
  const rows = await tx.execute<{ label: string }[]>('select coalesce(code, name) as label from order_promotions where order_id = ? order by promotion_id', [orderId]);
  return rows.map((r) => r.label);
}

/** Only an active cart is checked out; a missing, expired, checked-out or in-checkout one says why not. */
function assertCheckoutable(cartId: string, cart: LockedCart | undefined): asserts cart is LockedCart {
  if (!cart) throw notFound(ErrorCode.CartNotFound, 'Cart', cartId);
  if (cart.status === 'checked_out') {
    throw new DomainError(ErrorCode.CartNotActive, `Cart ${cartId} has already been checked out.`, { cartId, status: cart.status });
  }
  // An expired cart says what every write to it says: it expired, start a new one.
  if (cart.status === 'expired') assertCartWritable(cartId, cart.status);
  if (cart.status !== 'active') {
    throw new DomainError(ErrorCode.CartNotActive,
      `Cart ${cartId} is ${cart.status.replace('_', ' ')} and cannot be checked out.`, { cartId, status: cart.status });
  }
}

/** Every line must be for sale at checkout: the shopper removes the others (the cart view marks them) rather than paying for less than they see. */
function assertSellable(cartId: string, currency: string, unsellable: UnsellableLine[]): void {
  const [first] = unsellable;
  if (!first) return;
  const skus = unsellable.map((l) => l.sku);
  if (first.reason === 'product_unavailable') {
    throw new DomainError(ErrorCode.ProductUnavailable, `${skus.join(', ')} can no longer be bought; remove ${skus.length > 1 ? 'them' : 'it'} from the cart.`,
      { cartId, lines: unsellable });
  }
  throw new DomainError(ErrorCode.NoPriceInCurrency, `${first.sku} has no price in ${currency}, the currency of this cart; remove it from the cart.`,
    { cartId, currency, lines: unsellable });
}

/** The secret the order's access token derives from; undefined when there is no such order or its access was revoked. */
export async function orderAccessSecret(em: EntityManager, orderId: string): Promise<Buffer | undefined> {
  const [row] = await em.execute<{ access_secret: Buffer | null }[]>('select access_secret from orders where id = ?', [orderId]);
  return row?.access_secret ?? undefined;
}

/**
 * Revokes every access token of the order, for good: its secret is deleted (inside the caller's
 * transaction). 'revoked', 'already_revoked', or undefined when there is no such order.
 */
export async function revokeOrderAccess(tx: EntityManager, orderId: string): Promise<'revoked' | 'already_revoked' | undefined> {
  const [row] = await tx.execute<{ revoked: boolean }[]>(
    `update orders set access_secret = null, access_revoked_at = coalesce(access_revoked_at, now()) where id = ?
     returning (access_revoked_at = now()) as revoked`, [orderId]);
  if (!row) return undefined;
  return row.revoked ? 'revoked' : 'already_revoked';
}

export async function orderById(em: EntityManager, orderId: string): Promise<OrderRow | undefined> {
  const [row] = await em.execute<OrderRow[]>(`select ${COLUMNS} from orders where id = ?`, [orderId]);
  return row;
}

/** The order's lines, by SKU. */
export async function linesOfOrder(em: EntityManager, orderId: string): Promise<OrderLineRow[]> {
  return em.execute<OrderLineRow[]>('select sku, title, quantity, unit_price_amount, line_total_amount from order_lines where order_id = ? order by sku', [orderId]);
}

/** The order's breakdown as it was at checkout; an order from before breakdowns were kept cost its lines. */
export function breakdownOfOrder(order: OrderRow, lines: OrderLineRow[]): Breakdown {
  return order.pricing ?? linesOnly(order.currency, lines.map((l) => ({ sku: l.sku, quantity: l.quantity, unitPrice: Number(l.unit_price_amount) })));
}

/** False when there is no such order. */
export async function setOrderStatus(em: EntityManager, orderId: string, status: OrderStatus): Promise<boolean> {
  const rows = await em.execute<{ id: string }[]>(`update orders set status = ?, updated_at = now() where id = ? returning id`, [status, orderId]);
  return rows.length > 0;
}

export async function setShippingAddress(em: EntityManager, orderId: string, address: ShippingAddress): Promise<void> {
  await em.execute(`update orders set shipping_address = ?, updated_at = now() where id = ?`, [JSON.stringify(address), orderId]);
}

/** The parcel left; an order cancelled or failed meanwhile keeps its status. */
export async function markOrderShipped(em: EntityManager, orderId: string): Promise<void> {
  await em.execute(`update orders set status = 'shipped', updated_at = now() where id = ? and status not in ('cancelled', 'failed')`, [orderId]);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Guest orders placed with this (now confirmed) address join the customer's account; answers how many did. */
export async function claimGuestOrders(tx: EntityManager, customerId: string, email: string): Promise<number> {
  const rows = await tx.execute(`update orders set customer_id = ? where customer_id is null and lower(email) = lower(?) returning id`, [customerId, email]);
  return rows.length;
}

/** One line of a customer's order list. `position` is the keyset position (created_at to the microsecond, and the id). */
export interface CustomerOrderRow {
  id: string; status: string; currency: string; total_amount: string; item_count: number; created_at: string; position: string;
}

/** The customer's orders, newest first, `limit` of them after the keyset position `after` (from an earlier page's last row). */
export async function ordersOfCustomer(em: EntityManager, customerId: string, limit: number, after?: { createdAt: string; id: string })
  : Promise<CustomerOrderRow[]> {
  return em.execute<CustomerOrderRow[]>(
    `select o.id, o.status, o.currency, o.total_amount, o.created_at,
            (select coalesce(sum(quantity), 0)::int from order_lines where order_id = o.id) as item_count,
            to_char(o.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as position
       from orders o
      where o.customer_id = ? ${after ? 'and (o.created_at, o.id) < (?::timestamptz, ?::uuid)' : ''}
      order by o.created_at desc, o.id desc limit ?`,
    [customerId, ...(after ? [after.createdAt, after.id] : []), limit]);
}

/** True when the order is the customer's. */
export async function isOrderOfCustomer(em: EntityManager, orderId: string, customerId: string): Promise<boolean> {
  const rows = await em.execute('select 1 from orders where id = ? and customer_id = ?', [orderId, customerId]);
  return rows.length > 0;
}

/**
 * Marks the order's declined payment as counted against the rate limits; its cart and customer
 * when this call marked it, undefined when it was counted before (or there is no such order).
 */
export async function markDeclineCounted(em: EntityManager, orderId: string): Promise<{ cart_id: string | null; customer_id: string | null } | undefined> {
  const [row] = await em.execute<{ cart_id: string | null; customer_id: string | null }[]>(
    'update orders set decline_counted_at = now() where id = ? and decline_counted_at is null returning cart_id, customer_id', [orderId]);
  return row;
}

/** What the checkout's rate limits need before placing: is this Idempotency-Key a replay, and whose cart is it. */
export async function checkoutFacts(em: EntityManager, cartId: string, idempotencyKey: string): Promise<{ replay: boolean; customerId?: string }> {
  const [row] = await em.execute<{ replay: boolean; customer_id: string | null }[]>(
    `select exists (select 1 from orders where idempotency_key = ?) as replay, (select customer_id from carts where id = ?) as customer_id`,
    [idempotencyKey, cartId]);
  return { replay: row.replay, customerId: row.customer_id ?? undefined };
}
