/**
 * Cart reads and writes. Every write locks the cart row first (an UPDATE that also marks it used), so
 * concurrent writes to one cart serialise and a checkout that flips the cart's status wins cleanly.
 * Prices are read from the catalog at the moment the cart is shown: the client never sends one.
 */
import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Cart, type CartStatus } from '../db/entities';
import { assertCartWritable, checkQuantity, lineTotal, MAX_LINES_PER_CART, subtotal } from '../domain/cart';
import { DomainError, ErrorCode, notFound } from '../domain/errors';
import { formatMoney, type Money } from '../domain/money';

const priced = (m: Money) => ({ ...m, formatted: formatMoney(m) });

export interface CartLineView {
  sku: string;
  title: string;
  productTitle: string;
  productSlug: string;
  quantity: number;
  available: number;
  unitPrice: ReturnType<typeof priced>;
  lineTotal: ReturnType<typeof priced>;
}

export interface CartView {
  id: string;
  status: CartStatus;
  currency: string;
  lines: CartLineView[];
  itemCount: number;
  subtotal: ReturnType<typeof priced>;
  createdAt: string;
  updatedAt: string;
}

/** 128 random bits, base64url: unguessable, so the id itself is the capability to reach the cart. */
export function newCartId(): string {
  return randomBytes(16).toString('base64url');
}

export async function createCart(em: EntityManager, currency: string): Promise<CartView> {
  const cart = em.create(Cart, { id: newCartId(), currency, status: 'active', customerId: null });
  await em.flush();
  return loadCartView(em, cart.id);
}

interface LineRow {
  sku: string; title: string; product_title: string; product_slug: string; quantity: number;
  price_amount: string; currency: string; available: number;
}

export async function loadCartView(em: EntityManager, cartId: string): Promise<CartView> {
  const cart = await em.findOne(Cart, { id: cartId }, { refresh: true });
  if (!cart) throw notFound(ErrorCode.CartNotFound, 'Cart', cartId);
  const rows = await em.getConnection().execute<LineRow[]>(
    `select l.sku, v.title, p.title as product_title, p.slug as product_slug, l.quantity,
            v.price_amount, v.currency, coalesce(i.on_hand - i.reserved, 0) as available
       from cart_lines l
       join variants v on v.sku = l.sku
       join products p on p.id = v.product_id
       left join inventory i on i.sku = l.sku
      where l.cart_id = ?
      order by l.added_at, l.sku`,
    [cartId],
  );
  const lines = rows.map((r) => {
    const unitPrice = { amount: Number(r.price_amount), currency: r.currency };
    return {
      sku: r.sku, title: r.title, productTitle: r.product_title, productSlug: r.product_slug,
      quantity: r.quantity, available: Number(r.available),
      unitPrice: priced(unitPrice), lineTotal: priced(lineTotal({ sku: r.sku, quantity: r.quantity, unitPrice })),
    };
  });
  return {
    id: cart.id,
    status: cart.status,
    currency: cart.currency,
    lines,
    itemCount: lines.reduce((n, l) => n + l.quantity, 0),
    subtotal: priced(subtotal(lines.map((l) => ({ sku: l.sku, quantity: l.quantity, unitPrice: l.unitPrice })), cart.currency)),
    createdAt: cart.createdAt.toISOString(),
    updatedAt: cart.updatedAt.toISOString(),
  };
}

/**
 * Adds `quantity` of a SKU (on top of what the cart already holds). Plain SQL, three statements in
 * one transaction: the write path of every storefront, and bench/api showed the ORM's bookkeeping
 * costing more CPU than PostgreSQL's work.
 */
export async function addItem(em: EntityManager, cartId: string, sku: string, quantity: number): Promise<void> {
  await em.transactional(async (tx) => {
    const conn = tx.getConnection();
    const ctx = tx.getTransactionContext();
    const cart = await touchWritableCart(tx, cartId);
    const [facts] = await conn.execute<{ currency: string; available: number; current: number | null; lines: number }[]>(
      `select v.currency, coalesce(i.on_hand - i.reserved, 0) as available,
              (select quantity from cart_lines where cart_id = ? and sku = v.sku) as current,
              (select count(*)::int from cart_lines where cart_id = ?) as lines
         from variants v left join inventory i on i.sku = v.sku where v.sku = ?`, [cartId, cartId, sku], 'all', ctx);
    if (!facts) throw new DomainError(ErrorCode.UnknownSku, `There is no product variant with SKU ${sku}.`, { sku });
    if (facts.currency !== cart.currency) {
      throw new DomainError(ErrorCode.CurrencyMismatch, `${sku} is priced in ${facts.currency}, but this cart is in ${cart.currency}.`,
        { sku, variantCurrency: facts.currency, cartCurrency: cart.currency });
    }
    if (facts.current === null && facts.lines >= MAX_LINES_PER_CART) {
      throw new DomainError(ErrorCode.CartTooLarge, `A cart holds at most ${MAX_LINES_PER_CART} different items.`, { max: MAX_LINES_PER_CART });
    }
    const requested = (facts.current ?? 0) + quantity;
    checkQuantity(sku, requested, Number(facts.available));
    await conn.execute(
      `insert into cart_lines (cart_id, sku, quantity) values (?, ?, ?) on conflict (cart_id, sku) do update set quantity = excluded.quantity`,
      [cartId, sku, requested], 'run', ctx);
  });
}

/** Sets the quantity of a line already in the cart. */
export async function setItemQuantity(em: EntityManager, cartId: string, sku: string, quantity: number): Promise<void> {
  await em.transactional(async (tx) => {
    const conn = tx.getConnection();
    const ctx = tx.getTransactionContext();
    await touchWritableCart(tx, cartId);
    const [line] = await conn.execute<{ available: number }[]>(
      `select coalesce(i.on_hand - i.reserved, 0) as available from cart_lines l left join inventory i on i.sku = l.sku
        where l.cart_id = ? and l.sku = ?`, [cartId, sku], 'all', ctx);
    if (!line) throw new DomainError(ErrorCode.LineNotFound, `Cart ${cartId} holds no ${sku}.`, { cartId, sku });
    checkQuantity(sku, quantity, Number(line.available));
    await conn.execute('update cart_lines set quantity = ? where cart_id = ? and sku = ?', [quantity, cartId, sku], 'run', ctx);
  });
}

export async function removeItem(em: EntityManager, cartId: string, sku: string): Promise<void> {
  await em.transactional(async (tx) => {
    await touchWritableCart(tx, cartId);
    const removed = await tx.getConnection().execute<{ sku: string }[]>(
      'delete from cart_lines where cart_id = ? and sku = ? returning sku', [cartId, sku], 'all', tx.getTransactionContext());
    if (removed.length === 0) throw new DomainError(ErrorCode.LineNotFound, `Cart ${cartId} holds no ${sku}.`, { cartId, sku });
  });
}

/** Locks the cart row for the rest of the transaction (concurrent writes queue here) and marks it as just used. */
async function touchWritableCart(tx: EntityManager, cartId: string): Promise<{ currency: string }> {
  const [cart] = await tx.getConnection().execute<{ status: CartStatus; currency: string }[]>(
    `update carts set updated_at = now() where id = ? returning status, currency`, [cartId], 'all', tx.getTransactionContext());
  if (!cart) throw notFound(ErrorCode.CartNotFound, 'Cart', cartId);
  assertCartWritable(cartId, cart.status); // a refusal rolls the touch back
  return cart;
}
