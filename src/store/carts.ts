/**
 * Cart reads and writes. Every write locks the cart row first (an UPDATE that also marks it used), so
 * concurrent writes to one cart serialise and a checkout that flips the cart's status wins cleanly.
 * Prices are read from the catalog at the moment the cart is shown: the client never sends one.
 *
 * Who may reach a cart: a guest cart (no customer) anyone holding its id; a customer's cart only that
 * customer, signed in. Every read and write takes the caller's customer id (null for a guest) and
 * answers anyone else exactly as for a cart that does not exist, having written nothing.
 */
import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Cart, type CartStatus } from '../db/entities';
import { assertCartWritable, checkQuantity, lineTotal, MAX_LINES_PER_CART, MAX_QUANTITY_PER_LINE, subtotal } from '../domain/cart';
import { DomainError, ErrorCode, notFound } from '../domain/errors';
import type { ProductStatus } from '../domain/catalog';
import { formatMoney, type Money } from '../domain/money';
import type { ShippingAddress } from '../domain/order';
import type { NotAppliedReason } from '../domain/promotions';
import { breakdownView, PRICING_CONTEXT, priceWithContext, type PricedCartLine, type PricingContext } from './cart-pricing';
import { sqlRows, sqlTransaction, statement, type Sql, type Statement } from '../db/sql';

const priced = (m: Money) => ({ ...m, formatted: formatMoney(m) });

export interface CartLineView {
  sku: string;
  title: string;
  productTitle: string;
  productHandle: string;
  /** The same as productHandle, for clients written before handles. */
  productSlug: string;
  quantity: number;
  available: number;
  /** False when the line can no longer be bought: its product was withdrawn, or it lost its price in the cart's currency. */
  forSale: boolean;
  /** In the cart's currency; null when the variant has no price in it any more. */
  unitPrice: ReturnType<typeof priced> | null;
  lineTotal: ReturnType<typeof priced> | null;
}

export interface CartView {
  id: string;
  status: CartStatus;
  currency: string;
  lines: CartLineView[];
  itemCount: number;
  subtotal: ReturnType<typeof priced>;
  shippingAddress: ShippingAddress | null;
  shippingMethod: { id: string; name: string; carrier: string; minDays: number | null; maxDays: number | null; available: boolean } | null;
  /** The cart's codes: applied, or why not. */
  promotions: { code: string; name: string; applied: boolean; reason?: NotAppliedReason }[];
  /** The whole price of the lines for sale: discounts, shipping, taxes, total (src/domain/pricing.ts). */
  pricing: ReturnType<typeof breakdownView>;
  createdAt: string;
  updatedAt: string;
}

/** 128 random bits, base64url: unguessable, so the id itself is the capability to reach the cart. */
export function newCartId(): string {
  return randomBytes(16).toString('base64url');
}

/** A new cart: a guest's (customerId null) or a signed-in customer's, which then answers only them. */
export async function createCart(em: EntityManager, currency: string, customerId: string | null = null): Promise<CartView> {
  const cart = em.create(Cart, { id: newCartId(), currency, status: 'active', customerId });
  await em.flush();
  return loadCartView(em, cart.id, customerId);
}

/** Whether the caller (a customer's id, or null for a guest) may reach a cart owned by `owner`. */
export function mayReachCart(owner: string | null, caller: string | null): boolean {
  return owner === null || owner === caller;
}

/** The cart as far as this caller may know: one they may not reach does not exist. */
function reachable<C extends { customer_id: string | null }>(cartId: string, cart: C | undefined, caller: string | null): C {
  if (!cart || !mayReachCart(cart.customer_id, caller)) throw notFound(ErrorCode.CartNotFound, 'Cart', cartId);
  return cart;
}

interface CartRow {
  id: string; status: CartStatus; currency: string; created_at: Date; updated_at: Date; customer_id: string | null;
  /** Null for the one row of an empty cart. */
  sku: string | null;
  title: string; product_title: string; product_handle: string; product_status: ProductStatus; quantity: number;
  /** Null when the variant has no price in the cart's currency. */
  price_amount: string | null; available: number;
  product_id: string; tax_category: string; weight_grams: number | null; category_ids: string[];
  shipping_address: ShippingAddress | null; pricing: PricingContext;
}

/**
 * The cart and its lines in one statement: one row per line, or one row with no line for an empty
 * cart. `lines` is where the lines come from: the table, or for a write the table with the written
 * line swapped for the write's RETURNING row (a statement does not see its own changes);
 * `moreColumns`, columns a statement adds to every row (each followed by a comma).
 */
function cartViewOver(lines: string, moreColumns = ''): string {
  return `
  select c.id, c.status, c.currency, c.created_at, c.updated_at, c.customer_id, c.shipping_address, px.pricing,${moreColumns}
         l.sku, v.title, p.title as product_title, p.handle as product_handle, p.status as product_status, l.quantity,
         vp.amount as price_amount, coalesce(i.on_hand - i.reserved, 0) as available,
         p.id as product_id, p.tax_category, v.weight_grams,
         array(select pc.category_id from product_categories pc where pc.product_id = p.id) as category_ids
    from carts c
    left join lateral (${PRICING_CONTEXT}) px on true
    left join ${lines} l on l.cart_id = c.id
    left join variants v on v.sku = l.sku
    left join products p on p.id = v.product_id
    left join variant_prices vp on vp.variant_id = v.id and vp.currency = c.currency
    left join inventory i on i.sku = l.sku
   where c.id = $1
   order by l.added_at, l.sku`;
}

const CART_VIEW = statement('cart_view', cartViewOver('cart_lines'));

export async function loadCartView(em: EntityManager, cartId: string, customerId: string | null = null): Promise<CartView> {
  return cartView(cartId, await sqlRows<CartRow>(em, CART_VIEW, [cartId]), customerId);
}

/** The cart as the caller's transaction sees it (after its own writes). */
export async function cartViewIn(sql: Sql, cartId: string, customerId: string | null): Promise<CartView> {
  return cartView(cartId, await sql.rows<CartRow>(CART_VIEW, [cartId]), customerId);
}

async function cartView(cartId: string, rows: CartRow[], customerId: string | null): Promise<CartView> {
  const cart = reachable(cartId, rows[0], customerId);
  const lines = rows.filter((r) => r.sku !== null).map((r): CartLineView => {
    const sku = r.sku as string;
    const unitPrice = r.price_amount === null ? null : { amount: Number(r.price_amount), currency: cart.currency };
    return {
      sku, title: r.title, productTitle: r.product_title, productHandle: r.product_handle, productSlug: r.product_handle,
      quantity: r.quantity, available: Number(r.available), forSale: unitPrice !== null && r.product_status === 'published',
      unitPrice: unitPrice && priced(unitPrice), lineTotal: unitPrice && priced(lineTotal({ sku, quantity: r.quantity, unitPrice })),
    };
  });
  // The subtotal is what checkout would charge: lines that can no longer be bought are shown, not counted.
  const sellable = lines.filter((l) => l.forSale && l.unitPrice !== null)
    .map((l) => ({ sku: l.sku, quantity: l.quantity, unitPrice: l.unitPrice as Money }));
  const ctx = cart.pricing;
  const breakdown = await priceWithContext(cart.currency, pricingLines(rows.filter((r) => sellable.some((l) => l.sku === r.sku))), ctx, cart.shipping_address);
  const method = ctx.method;
  return {
    id: cart.id,
    status: cart.status,
    currency: cart.currency,
    lines,
    itemCount: lines.reduce((n, l) => n + l.quantity, 0),
    subtotal: priced(subtotal(sellable, cart.currency)),
    shippingAddress: cart.shipping_address,
    shippingMethod: method && { id: method.id, name: method.name, carrier: method.carrier, minDays: method.minDays, maxDays: method.maxDays,
      available: breakdown.shipping !== null },
    promotions: ctx.promotions.filter((p) => p.inCart && p.code !== null).map((p) => {
      const refused = breakdown.notApplied.find((n) => n.promotionId === p.id);
      return { code: p.code as string, name: p.name, applied: !refused, ...(refused ? { reason: refused.reason } : {}) };
    }),
    pricing: breakdownView(breakdown),
    createdAt: cart.created_at.toISOString(),
    updatedAt: cart.updated_at.toISOString(),
  };
}

/** The rows' lines as the pricing module takes them. */
export function pricingLines(rows: readonly Pick<CartRow, 'sku' | 'quantity' | 'price_amount' | 'product_id' | 'tax_category' | 'weight_grams' | 'category_ids'>[])
  : PricedCartLine[] {
  return rows.map((r) => ({ sku: r.sku as string, quantity: r.quantity, unitPrice: Number(r.price_amount), productId: r.product_id,
    categoryIds: r.category_ids, taxCategory: r.tax_category, weightGrams: r.weight_grams ?? 0 }));
}

/**
 * The three line writes (add, set a quantity, remove) answer the cart as the write left it. They
 * are the write path of every storefront, where bench/api showed that each round trip to
 * PostgreSQL costs the API more CPU than anything it does itself, and stretches each write when the
 * machine is busy. So a write that passes every rule goes in one statement (`*_AT_ONCE`, outside
 * any transaction: a statement is atomic on its own), one round trip where a transaction takes
 * four. When that statement writes nothing (a rule refuses the write, or another write to the cart
 * got in the way) the write runs again as a transaction (`stepByStep`), which says which rule
 * refused it or sees what the other write did.
 */
async function writeAtOnce(em: EntityManager, cartId: string, atOnce: Statement, values: unknown[], customerId: string | null,
  stepByStep: (sql: Sql) => Promise<CartView>): Promise<CartView> {
  const rows = await sqlRows<CartRow & { touched_at: Date | null }>(em, atOnce, values);
  const touchedAt = rows[0]?.touched_at;
  if (!touchedAt) return sqlTransaction(em, stepByStep);
  // The statement reads the cart row as it was before its own touch: the time is the touch's.
  for (const row of rows) row.updated_at = touchedAt;
  return cartView(cartId, rows, customerId);
}

/** Adds `quantity` of a SKU, on top of what the cart already holds. */
export async function addItem(em: EntityManager, cartId: string, sku: string, quantity: number, customerId: string | null = null): Promise<CartView> {
  return writeAtOnce(em, cartId, ADD_ITEM_AT_ONCE, [cartId, sku, quantity, customerId], customerId, async (sql) => {
    const cart = await touchWritableCart(sql, cartId, customerId);
    const [facts] = await sql.rows<AddItemFacts>(ADD_ITEM_FACTS, [cartId, sku, cart.currency]);
    assertForSale(sku, cart.currency, facts);
    if (facts.current === null && facts.lines >= MAX_LINES_PER_CART) {
      throw new DomainError(ErrorCode.CartTooLarge, `A cart holds at most ${MAX_LINES_PER_CART} different items.`, { max: MAX_LINES_PER_CART });
    }
    const requested = (facts.current ?? 0) + quantity;
    checkQuantity(sku, requested, Number(facts.available));
    return cartView(cartId, await sql.rows<CartRow>(UPSERT_LINE, [cartId, sku, requested]), customerId);
  });
}

/** Sets the quantity of a line already in the cart. */
export async function setItemQuantity(em: EntityManager, cartId: string, sku: string, quantity: number, customerId: string | null = null): Promise<CartView> {
  return writeAtOnce(em, cartId, SET_QUANTITY_AT_ONCE, [cartId, sku, quantity, customerId], customerId, async (sql) => {
    await touchWritableCart(sql, cartId, customerId);
    const [line] = await sql.rows<{ available: number }>(LINE_AVAILABILITY, [cartId, sku]);
    if (!line) throw new DomainError(ErrorCode.LineNotFound, `Cart ${cartId} holds no ${sku}.`, { cartId, sku });
    checkQuantity(sku, quantity, Number(line.available));
    return cartView(cartId, await sql.rows<CartRow>(SET_LINE_QUANTITY, [cartId, sku, quantity]), customerId);
  });
}

/** Removes a line. */
export async function removeItem(em: EntityManager, cartId: string, sku: string, customerId: string | null = null): Promise<CartView> {
  return writeAtOnce(em, cartId, REMOVE_AT_ONCE, [cartId, sku, customerId], customerId, async (sql) => {
    await touchWritableCart(sql, cartId, customerId);
    const removed = await sql.rows<{ sku: string }>(DELETE_LINE, [cartId, sku]);
    if (removed.length === 0) throw new DomainError(ErrorCode.LineNotFound, `Cart ${cartId} holds no ${sku}.`, { cartId, sku });
    return cartView(cartId, await sql.rows<CartRow>(CART_VIEW, [cartId]), customerId);
  });
}

/** A cart row locked for the rest of the caller's transaction (checkout), or undefined when there is none. */
export interface LockedCart { id: string; status: CartStatus; currency: string; customer_id: string | null; shipping_address: ShippingAddress | null }

export async function lockCart(tx: EntityManager, cartId: string): Promise<LockedCart | undefined> {
  const [cart] = await tx.execute<LockedCart[]>('select id, status, currency, customer_id, shipping_address from carts where id = ? for update', [cartId]);
  return cart;
}

export async function markCartCheckedOut(tx: EntityManager, cartId: string): Promise<void> {
  await tx.execute(`update carts set status = 'checked_out', updated_at = now() where id = ?`, [cartId]);
}

/** After a failed or cancelled order its cart opens again, so the shopper can try another card; false when it was not checked out. */
export async function reopenCartOfOrder(em: EntityManager, orderId: string): Promise<boolean> {
  const rows = await em.execute<{ id: string }[]>(
    `update carts set status = 'active', updated_at = now()
      where id = (select cart_id from orders where id = ?) and status = 'checked_out' returning id`, [orderId]);
  return rows.length > 0;
}

/** A cart line at today's price, titled "Product (Variant)" as an order line and a reminder show it, with what pricing needs of it. */
export interface PricedLine { sku: string; title: string; quantity: number; unitPrice: Money; pricing: PricedCartLine }

/** A line that cannot be bought as it is: its product was withdrawn, or its variant has no price in the cart's currency. */
export interface UnsellableLine { sku: string; reason: 'product_unavailable' | 'no_price_in_currency' }

/** The cart's lines at today's prices in the cart's currency, by SKU (checkout's order lines, the abandoned-cart reminder), and those that cannot be bought. */
export async function pricedLinesOfCart(em: EntityManager, cartId: string): Promise<{ lines: PricedLine[]; unsellable: UnsellableLine[] }> {
  const rows = await em.execute<(Pick<CartRow, 'quantity' | 'price_amount' | 'product_id' | 'tax_category' | 'weight_grams' | 'category_ids'>
    & { sku: string; title: string; status: ProductStatus; currency: string })[]>(
    `select l.sku, p.title || ' (' || v.title || ')' as title, l.quantity, vp.amount as price_amount, p.status, c.currency,
            p.id as product_id, p.tax_category, v.weight_grams, array(select pc.category_id from product_categories pc where pc.product_id = p.id) as category_ids
       from cart_lines l join carts c on c.id = l.cart_id join variants v on v.sku = l.sku join products p on p.id = v.product_id
       left join variant_prices vp on vp.variant_id = v.id and vp.currency = c.currency
      where l.cart_id = ? order by l.sku`, [cartId]);
  const lines: PricedLine[] = [];
  const unsellable: UnsellableLine[] = [];
  for (const l of rows) {
    if (l.status !== 'published') unsellable.push({ sku: l.sku, reason: 'product_unavailable' });
    else if (l.price_amount === null) unsellable.push({ sku: l.sku, reason: 'no_price_in_currency' });
    else {
      lines.push({ sku: l.sku, title: l.title, quantity: l.quantity, unitPrice: { amount: Number(l.price_amount), currency: l.currency }, pricing: pricingLines([l])[0] });
    }
  }
  return { lines, unsellable };
}

/** The pricing context of a cart (src/store/cart-pricing.ts), as the caller's transaction sees it. */
export async function pricingContextOfCart(em: EntityManager, cartId: string): Promise<PricingContext> {
  const [row] = await em.execute<{ pricing: PricingContext }[]>(`select px.pricing from carts c left join lateral (${PRICING_CONTEXT}) px on true where c.id = ?`, [cartId]);
  return row.pricing;
}

interface AddItemFacts {
  /** The variant's product status: what decides whether it is for sale. */
  status: ProductStatus;
  /** Its price in the cart's currency, null when it has none. */
  amount: string | null;
  available: number; current: number | null; lines: number;
}

/** Only a published product's variant, priced in the cart's currency, goes into a cart. A draft is no more visible here than on the storefront. */
function assertForSale(sku: string, currency: string, facts: AddItemFacts | undefined): asserts facts is AddItemFacts {
  if (!facts || facts.status === 'draft') throw new DomainError(ErrorCode.UnknownSku, `There is no product variant with SKU ${sku}.`, { sku });
  if (facts.status !== 'published') {
    throw new DomainError(ErrorCode.ProductUnavailable, `${sku} is no longer sold.`, { sku });
  }
  if (facts.amount === null) {
    throw new DomainError(ErrorCode.NoPriceInCurrency, `${sku} has no price in ${currency}, the currency of this cart; `
      + `it can be bought in a cart of a currency it is priced in.`, { sku, currency });
  }
}

/** Locks the cart row for the rest of the transaction (concurrent writes queue here) and marks it as just used. */
export async function touchWritableCart(sql: Sql, cartId: string, customerId: string | null): Promise<{ currency: string; customer_id: string | null }> {
  const [row] = await sql.rows<{ status: CartStatus; currency: string; customer_id: string | null }>(TOUCH_CART, [cartId]);
  const cart = reachable(cartId, row, customerId); // a refusal rolls the touch back
  assertCartWritable(cartId, cart.status);
  return cart;
}

// The write path's statements, prepared once per connection (see src/db/sql.ts).
const TOUCH_CART = statement('cart_touch', 'update carts set updated_at = now() where id = $1 returning status, currency, customer_id');
/** Everything addItem's rules need: the variant's product status, its price in the cart's currency (`currency`), its stock, the cart's line for it and its number of lines. */
const addItemFactsSql = (currency: string) => `
  select p.status, vp.amount, coalesce(i.on_hand - i.reserved, 0) as available,
         (select quantity from cart_lines where cart_id = $1 and sku = v.sku) as current,
         (select count(*)::int from cart_lines where cart_id = $1) as lines
    from variants v
    join products p on p.id = v.product_id
    left join variant_prices vp on vp.variant_id = v.id and vp.currency = ${currency}
    left join inventory i on i.sku = v.sku
   where v.sku = $2`;
const ADD_ITEM_FACTS = statement('cart_add_item_facts', addItemFactsSql('$3'));
/**
 * A written line's cart, as cartViewOver reads it: the cart's other lines (its lock, taken first in
 * the transaction, keeps them as they are) and the row the write returned.
 */
const LINES_AFTER_WRITE = `(select cart_id, sku, quantity, added_at from cart_lines where cart_id = $1 and sku <> $2
                union all select cart_id, sku, quantity, added_at from written)`;
const UPSERT_LINE = statement('cart_upsert_line', `
  with written as (insert into cart_lines (cart_id, sku, quantity) values ($1, $2, $3)
                   on conflict (cart_id, sku) do update set quantity = excluded.quantity
                   returning cart_id, sku, quantity, added_at)
  ${cartViewOver(LINES_AFTER_WRITE)}`);
/**
 * A line write in one statement, for a write every rule allows (see writeAtOnce). `facts` reads
 * the cart and what the rules need (`factsJoin`; `carried`, columns the write takes on) with
 * `allowed`: the caller may reach the cart (`$callerParam`, null for a guest; reachable), the cart
 * takes writes (assertCartWritable), and `rules`, the write's own. Those facts come from the
 * statement's snapshot, taken before the cart's lock is granted, so they are current only if no
 * other write to the cart committed or was under way by then. Every write to a cart's lines touches
 * the cart row first, so the row's version tells: the touch only goes ahead on the version the
 * snapshot saw (its xmin; after waiting for another writer PostgreSQL re-checks the WHERE against
 * the newest version) and when allowed, and `write` (the CTE that writes the line; named `written`
 * when `lines` reads its row back) only when the touch did. Every row back is the cart as the write
 * left it (`lines`: where cartViewOver takes them from), with `touched_at` set; null there means
 * nothing was written. The SQL may refuse more than the transaction's rules do, never less:
 * whatever it refuses goes to the transaction.
 */
function writeAtOnceSql(o: { callerParam: string; factsJoin: string; carried?: string; rules: string; write: string; lines: string }): string {
  return `
  with facts as (
    select c.xmin as version,${o.carried ? ` ${o.carried},` : ''}
           (c.customer_id is null or c.customer_id = ${o.callerParam}::uuid) and c.status = 'active' and ${o.rules} as allowed
      from carts c ${o.factsJoin}
     where c.id = $1),
  touched as (
    update carts set updated_at = now() from facts
     where carts.id = $1 and carts.xmin = facts.version and facts.allowed
    returning carts.updated_at),
  ${o.write}
  ${cartViewOver(o.lines, ' (select updated_at from touched) as touched_at,')}`;
}

/** addItem's ($1 cart, $2 SKU, $3 quantity, $4 caller): the rules of assertForSale, MAX_LINES_PER_CART and checkQuantity on the new total. */
const ADD_ITEM_AT_ONCE = statement('cart_add_item_at_once', writeAtOnceSql({
  callerParam: '$4',
  factsJoin: `join lateral (${addItemFactsSql('c.currency')}) f on true`,
  carried: 'f.current',
  rules: `f.status = 'published' and f.amount is not null and (f.current is not null or f.lines < ${MAX_LINES_PER_CART})
          and coalesce(f.current, 0) + $3::int <= least(f.available, ${MAX_QUANTITY_PER_LINE})`,
  write: `written as (
    insert into cart_lines (cart_id, sku, quantity) select $1, $2, coalesce(facts.current, 0) + $3::int from facts, touched
    on conflict (cart_id, sku) do update set quantity = excluded.quantity
    returning cart_id, sku, quantity, added_at)`,
  lines: LINES_AFTER_WRITE,
}));
/** setItemQuantity's ($1 cart, $2 SKU, $3 quantity, $4 caller): the line is in the cart, and checkQuantity on the quantity. */
const SET_QUANTITY_AT_ONCE = statement('cart_set_quantity_at_once', writeAtOnceSql({
  callerParam: '$4',
  factsJoin: `join lateral (select coalesce(i.on_hand - i.reserved, 0) as available from cart_lines l left join inventory i on i.sku = l.sku
                             where l.cart_id = $1 and l.sku = $2) f on true`,
  rules: `$3::int <= least(f.available, ${MAX_QUANTITY_PER_LINE})`,
  write: `written as (
    update cart_lines set quantity = $3::int from touched where cart_id = $1 and sku = $2
    returning cart_id, sku, quantity, added_at)`,
  lines: LINES_AFTER_WRITE,
}));
/** removeItem's ($1 cart, $2 SKU, $3 caller): the line is in the cart. */
const REMOVE_AT_ONCE = statement('cart_remove_at_once', writeAtOnceSql({
  callerParam: '$3',
  factsJoin: 'join cart_lines l on l.cart_id = c.id and l.sku = $2',
  rules: 'true',
  write: 'removed as (delete from cart_lines using touched where cart_id = $1 and sku = $2)',
  lines: '(select cart_id, sku, quantity, added_at from cart_lines where cart_id = $1 and sku <> $2)',
}));
const LINE_AVAILABILITY = statement('cart_line_availability', `
  select coalesce(i.on_hand - i.reserved, 0) as available from cart_lines l left join inventory i on i.sku = l.sku
   where l.cart_id = $1 and l.sku = $2`);
const SET_LINE_QUANTITY = statement('cart_set_line_quantity', `
  with written as (update cart_lines set quantity = $3 where cart_id = $1 and sku = $2 returning cart_id, sku, quantity, added_at)
  ${cartViewOver(LINES_AFTER_WRITE)}`);
const DELETE_LINE = statement('cart_delete_line', 'delete from cart_lines where cart_id = $1 and sku = $2 returning sku');
