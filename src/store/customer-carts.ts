/**
 * A signed-in customer's carts: the open one (the active cart they used last), and the guest cart a
 * sign-in brings along, adopted or merged into it in the sign-in's own transaction. Who may reach
 * which cart is src/store/carts.ts's rule (mayReachCart).
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { planCartMerge, type MergedLine } from '../domain/cart';
import { lockCart, mayReachCart } from './carts';

/**
 * The customer's open cart: the active one they used last (`updated_at`; ordering by its minute
 * first, the column carts_customer_idx holds, changes nothing and lets the index answer); undefined
 * when they have none.
 */
export async function openCartOf(em: EntityManager, customerId: string): Promise<string | undefined> {
  const [row] = await em.execute<{ id: string }[]>(
    `select id from carts where customer_id = ? and status = 'active' order by updated_minute desc, updated_at desc, id desc limit 1`, [customerId]);
  return row?.id;
}

/**
 * What became of the guest cart sent with a sign-in: adopted (the customer had no open cart, so it
 * became theirs as it is), merged into their open cart (line by line, see planCartMerge), already
 * theirs, or neither: not_found (no such cart, or another customer's) or not_active (expired,
 * checked out, merged before). `cartId` is the customer's open cart afterwards.
 */
export type GuestCartOutcome =
  | { outcome: 'adopted' | 'merged'; cartId: string; lines: MergedLine[] }
  | { outcome: 'already_yours' | 'not_found' | 'not_active'; cartId: string | null; lines: [] };

/**
 * Brings a guest cart into the customer's account, inside the caller's transaction (the sign-in's).
 * Both carts are locked (the guest's first: only a sign-in locks two carts, and it always takes a
 * guest cart before a customer's, so two sign-ins never wait on each other in a circle); the guest
 * cart is then closed ('merged', pointing at the cart it went into, and the customer's: its bare id
 * no longer reaches it); its address, method and codes go along (carryPricingChoices).
 */
export async function adoptGuestCart(tx: EntityManager, customerId: string, guestCartId: string): Promise<GuestCartOutcome> {
  const guest = await lockCart(tx, guestCartId);
  const openCart = async () => (await openCartOf(tx, customerId)) ?? null;
  if (!guest || !mayReachCart(guest.customer_id, customerId)) return { outcome: 'not_found', cartId: await openCart(), lines: [] };
  if (guest.customer_id === customerId) return { outcome: 'already_yours', cartId: await openCart(), lines: [] };
  if (guest.status !== 'active') return { outcome: 'not_active', cartId: await openCart(), lines: [] };
  const [target] = await tx.execute<{ id: string; currency: string }[]>(
    `select id, currency from carts where customer_id = ? and status = 'active' order by updated_minute desc, updated_at desc, id desc limit 1 for update`, [customerId]);
  const guestLines = await tx.execute<{ sku: string; quantity: number; available: number }[]>(
    `select l.sku, l.quantity, coalesce(i.on_hand - i.reserved, 0)::int as available
       from cart_lines l left join inventory i on i.sku = l.sku where l.cart_id = ? order by l.added_at, l.sku`, [guestCartId]);
  if (!target) {
    await tx.execute(`update carts set customer_id = ?, updated_at = now() where id = ?`, [customerId, guestCartId]);
    return { outcome: 'adopted', cartId: guestCartId, lines: guestLines.map((l) => ({ sku: l.sku, requested: l.quantity, added: l.quantity, quantity: l.quantity })) };
  }
  const targetLines = await tx.execute<{ sku: string; quantity: number }[]>('select sku, quantity from cart_lines where cart_id = ?', [target.id]);
  const lines = planCartMerge({ target: { currency: target.currency, lines: new Map(targetLines.map((l) => [l.sku, l.quantity])) },
    guest: { currency: guest.currency, lines: guestLines } });
  for (const line of lines.filter((l) => l.added > 0)) {
    await tx.execute(`insert into cart_lines (cart_id, sku, quantity) values (?, ?, ?)
                      on conflict (cart_id, sku) do update set quantity = excluded.quantity`, [target.id, line.sku, line.quantity]);
  }
  await carryPricingChoices(tx, guestCartId, target.id);
  await tx.execute(`update carts set status = 'merged', merged_into = ?, customer_id = ?, updated_at = now() where id = ?`,
    [target.id, customerId, guestCartId]);
  return { outcome: 'merged', cartId: target.id, lines };
}

/**
 * What the shopper chose on the guest cart for its price goes along into the customer's cart: its
 * address and method when the customer's cart has no address yet, and its promotion codes (the cart
 * then shows whether each still applies, and checkout refuses one that does not).
 */
async function carryPricingChoices(tx: EntityManager, fromCartId: string, intoCartId: string): Promise<void> {
  await tx.execute(`update carts t set updated_at = now(),
                      shipping_address = coalesce(t.shipping_address, g.shipping_address),
                      shipping_method_id = case when t.shipping_address is null then g.shipping_method_id else t.shipping_method_id end
                      from carts g where t.id = ? and g.id = ?`, [intoCartId, fromCartId]);
  await tx.execute(`insert into cart_promotions (cart_id, promotion_id) select ?, promotion_id from cart_promotions where cart_id = ?
                    on conflict do nothing`, [intoCartId, fromCartId]);
}
