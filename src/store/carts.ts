/**
 * Cart reads and writes. Every write locks the cart row first (SELECT ... FOR UPDATE), so
 * concurrent writes to one cart serialise and a checkout that flips the cart's status wins cleanly.
 * Prices are read from the catalog at the moment the cart is shown: the client never sends one.
 */
import { randomBytes } from 'node:crypto';
import { LockMode, type EntityManager } from '@mikro-orm/postgresql';
import { Cart, CartLine, Variant, Inventory, type CartStatus } from '../db/entities';
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

/** Adds `quantity` of a SKU (on top of what the cart already holds). */
export async function addItem(em: EntityManager, cartId: string, sku: string, quantity: number): Promise<void> {
  await em.transactional(async (tx) => {
    const cart = await lockWritableCart(tx, cartId);
    const variant = await tx.findOne(Variant, { sku });
    if (!variant) {
      throw new DomainError(ErrorCode.UnknownSku, `There is no product variant with SKU ${sku}.`, { sku });
    }
    if (variant.currency !== cart.currency) {
      throw new DomainError(ErrorCode.CurrencyMismatch, `${sku} is priced in ${variant.currency}, but this cart is in ${cart.currency}.`,
        { sku, variantCurrency: variant.currency, cartCurrency: cart.currency });
    }
    const line = await tx.findOne(CartLine, { cartId, sku });
    if (!line && (await tx.count(CartLine, { cartId })) >= MAX_LINES_PER_CART) {
      throw new DomainError(ErrorCode.CartTooLarge, `A cart holds at most ${MAX_LINES_PER_CART} different items.`, { max: MAX_LINES_PER_CART });
    }
    const requested = (line?.quantity ?? 0) + quantity;
    checkQuantity(sku, requested, await available(tx, sku));
    if (line) line.quantity = requested;
    else tx.create(CartLine, { cartId, sku, quantity: requested });
    cart.updatedAt = new Date();
  });
}

/** Sets the quantity of a line already in the cart. */
export async function setItemQuantity(em: EntityManager, cartId: string, sku: string, quantity: number): Promise<void> {
  await em.transactional(async (tx) => {
    const cart = await lockWritableCart(tx, cartId);
    const line = await tx.findOne(CartLine, { cartId, sku });
    if (!line) throw new DomainError(ErrorCode.LineNotFound, `Cart ${cartId} holds no ${sku}.`, { cartId, sku });
    checkQuantity(sku, quantity, await available(tx, sku));
    line.quantity = quantity;
    cart.updatedAt = new Date();
  });
}

export async function removeItem(em: EntityManager, cartId: string, sku: string): Promise<void> {
  await em.transactional(async (tx) => {
    const cart = await lockWritableCart(tx, cartId);
    const line = await tx.findOne(CartLine, { cartId, sku });
    if (!line) throw new DomainError(ErrorCode.LineNotFound, `Cart ${cartId} holds no ${sku}.`, { cartId, sku });
    tx.remove(line);
    cart.updatedAt = new Date();
  });
}

async function lockWritableCart(em: EntityManager, cartId: string) {
  const cart = await em.findOne(Cart, { id: cartId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  if (!cart) throw notFound(ErrorCode.CartNotFound, 'Cart', cartId);
  assertCartWritable(cartId, cart.status);
  return cart;
}

async function available(em: EntityManager, sku: string): Promise<number> {
  const inv = await em.findOne(Inventory, { sku });
  return inv ? inv.onHand - inv.reserved : 0;
}
