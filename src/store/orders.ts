/**
 * Placing an order from a cart, exactly once per Idempotency-Key: the cart row is locked first,
 * so concurrent requests with the same key queue up and the later ones find the order the first
 * one made; the same key with a different body is refused; a cart holds one live order at most.
 */
import { createHash } from 'node:crypto';
import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/postgresql';
import { newToken, sha256Hex } from '../auth/tokens';
import { assertCartWritable, subtotal } from '../domain/cart';
import { DomainError, ErrorCode, notFound } from '../domain/errors';
import type { ShippingAddress } from '../domain/order';

export interface PlaceOrderRequest {
  cartId: string;
  idempotencyKey: string;
  email: string;
  phone?: string;
  shippingAddress: ShippingAddress;
  paymentMethod: string;
}

export interface PlacedOrder {
  orderId: string;
  status: string;
  created: boolean;
  /** Shown once to the caller; only its hash is stored. */
  accessToken: string;
  currency: string;
  totalAmount: number;
  lines: { sku: string; quantity: number }[];
  customerId?: string;
  paymentMethod: string;
  notifyBySms: boolean;
}

interface CartRow { id: string; status: string; currency: string; customer_id: string | null }
interface OrderRow { id: string; status: string; request_hash: string; currency: string; total_amount: string; customer_id: string | null; phone: string | null }
interface LineRow { sku: string; title: string; quantity: number; price_amount: string; currency: string }

export function requestHash(req: PlaceOrderRequest): string {
  const { idempotencyKey: _key, ...rest } = req;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

export async function placeOrder(em: EntityManager, req: PlaceOrderRequest): Promise<PlacedOrder> {
  try {
    return await insertOnce(em, req);
  } catch (err) {
    // Two different carts racing with one key: the database's unique key decides, the loser is told why.
    if (err instanceof UniqueConstraintViolationException && /idempotency_key/.test(err.message)) {
      throw new DomainError(ErrorCode.IdempotencyKeyReused, 'This Idempotency-Key was already used for a different checkout request; use a new key for a new request.');
    }
    throw err;
  }
}

async function insertOnce(em: EntityManager, req: PlaceOrderRequest): Promise<PlacedOrder> {
  const hash = requestHash(req);
  return em.transactional(async (tx) => {
    const conn = tx.getConnection();
    const ctx = tx.getTransactionContext();
    const [cart] = await conn.execute<CartRow[]>('select id, status, currency, customer_id from carts where id = ? for update', [req.cartId], 'all', ctx);
    const [existing] = await conn.execute<OrderRow[]>('select * from orders where idempotency_key = ?', [req.idempotencyKey], 'all', ctx);
    if (existing) {
      if (existing.request_hash !== hash) {
        throw new DomainError(ErrorCode.IdempotencyKeyReused,
          'This Idempotency-Key was already used for a different checkout request; use a new key for a new request.');
      }
      const lines = await conn.execute<{ sku: string; quantity: number }[]>('select sku, quantity from order_lines where order_id = ? order by sku', [existing.id], 'all', ctx);
      return { ...(await issueToken(tx, existing.id)), orderId: existing.id, status: existing.status, created: false,
        currency: existing.currency, totalAmount: Number(existing.total_amount), lines, customerId: existing.customer_id ?? undefined,
        paymentMethod: req.paymentMethod, notifyBySms: existing.phone !== null };
    }
    if (!cart) throw notFound(ErrorCode.CartNotFound, 'Cart', req.cartId);
    if (cart.status === 'checked_out') {
      throw new DomainError(ErrorCode.CartNotActive, `Cart ${req.cartId} has already been checked out.`, { cartId: req.cartId, status: cart.status });
    }
    // An expired cart says what every write to it says: it expired, start a new one.
    if (cart.status === 'expired') assertCartWritable(req.cartId, cart.status);
    if (cart.status !== 'active') {
      throw new DomainError(ErrorCode.CartNotActive,
        `Cart ${req.cartId} is ${cart.status.replace('_', ' ')} and cannot be checked out.`, { cartId: req.cartId, status: cart.status });
    }
    const lines = await conn.execute<LineRow[]>(
      `select l.sku, p.title || ' (' || v.title || ')' as title, l.quantity, v.price_amount, v.currency
         from cart_lines l join variants v on v.sku = l.sku join products p on p.id = v.product_id
        where l.cart_id = ? order by l.sku`, [req.cartId], 'all', ctx);
    if (lines.length === 0) throw new DomainError(ErrorCode.CartEmpty, `Cart ${req.cartId} is empty; add items before checking out.`, { cartId: req.cartId });
    const priced = lines.map((l) => ({ ...l, unitPrice: { amount: Number(l.price_amount), currency: l.currency } }));
    const total = subtotal(priced, cart.currency);
    const [order] = await conn.execute<{ id: string; status: string }[]>(
      `insert into orders (cart_id, customer_id, idempotency_key, request_hash, status, email, phone, shipping_address, currency, subtotal_amount, total_amount)
       values (?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?) returning id, status`,
      [req.cartId, cart.customer_id, req.idempotencyKey, hash, req.email, req.phone ?? null, JSON.stringify(req.shippingAddress),
        cart.currency, total.amount, total.amount], 'all', ctx);
    await conn.execute(
      `insert into order_lines (order_id, sku, title, quantity, unit_price_amount, line_total_amount) values
       ${priced.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')}`,
      priced.flatMap((l) => [order.id, l.sku, l.title, l.quantity, l.unitPrice.amount, l.unitPrice.amount * l.quantity]), 'run', ctx);
    await conn.execute(`update carts set status = 'checked_out', updated_at = now() where id = ?`, [req.cartId], 'run', ctx);
    return { ...(await issueToken(tx, order.id)), orderId: order.id, status: order.status, created: true, currency: cart.currency,
      totalAmount: total.amount, lines: priced.map((l) => ({ sku: l.sku, quantity: l.quantity })), customerId: cart.customer_id ?? undefined,
      paymentMethod: req.paymentMethod, notifyBySms: req.phone !== undefined };
  });
}

async function issueToken(tx: EntityManager, orderId: string): Promise<{ accessToken: string }> {
  const accessToken = newToken();
  await tx.getConnection().execute('insert into order_access_tokens (token_hash, order_id) values (?, ?)',
    [sha256Hex(accessToken), orderId], 'run', tx.getTransactionContext());
  return { accessToken };
}

/** True when the token was issued for this order. */
export async function orderTokenMatches(em: EntityManager, orderId: string, token: string): Promise<boolean> {
  const rows = await em.getConnection().execute('select 1 from order_access_tokens where token_hash = ? and order_id = ?', [sha256Hex(token), orderId]);
  return rows.length > 0;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
