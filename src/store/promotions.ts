/**
 * Promotion codes on carts, and the uses counted against promotions' limits.
 *
 * A code goes on a cart only if the cart gets its discount as it is (else the refusal says why:
 * unknown, not started, expired, minimum not met, nothing it applies to, limit reached, not
 * combinable). Checkout prices the order with it; the uses are then counted by the checkout's
 * redemption step (redeemOrderPromotions) and given back by its compensation
 * (giveBackOrderPromotions), both single transactions keyed by the order:
 *
 * - a use is a promotion_redemptions row, unique per promotion and order, so a retried step counts
 *   nothing twice; the count is a conditional increment (`used < usage_limit`) under the
 *   promotion's row lock, re-checked by PostgreSQL after waiting for a concurrent one, so uses never
 *   pass the limit however many checkouts race (the database's check refuses it too);
 * - per customer the same on promotion_customer_uses, under every key the order has: a signed-in
 *   customer's account and the order's e-mail, a guest's e-mail (customerKeysOf). A use counted
 *   under either is seen by both ways in, so checking out as a guest with the account's e-mail, or
 *   signed in after a guest order, finds the limit taken;
 * - a give-back deletes the order's rows and decrements by what it deleted: a second run deletes
 *   nothing and gives nothing back, and a decrement never overwrites a concurrent use.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { DomainError, ErrorCode } from '../domain/errors';
import type { NotAppliedReason } from '../domain/promotions';
import { sqlTransaction } from '../db/sql';
import { cartViewIn, touchWritableCart, type CartView } from './carts';

const REFUSAL: Record<NotAppliedReason, [ErrorCode, (code: string) => string]> = {
  not_started: [ErrorCode.PromotionNotStarted, (code) => `The code ${code} is not valid yet.`],
  expired: [ErrorCode.PromotionExpired, (code) => `The code ${code} has expired.`],
  minimum_not_met: [ErrorCode.PromotionMinimumNotMet, (code) => `The cart does not reach the minimum subtotal the code ${code} needs.`],
  no_matching_items: [ErrorCode.PromotionNotApplicable, (code) => `The code ${code} applies to nothing in this cart.`],
  no_amount_in_currency: [ErrorCode.PromotionNotApplicable, (code) => `The code ${code} does not apply in this cart's currency.`],
  not_combinable: [ErrorCode.PromotionNotCombinable, (code) => `The code ${code} cannot be combined with the promotions already on this cart.`],
};

/** The refusal of a code the cart holds but does not get (checkout refuses the same way, rather than charge another price). */
export function promotionRefusal(code: string, reason: NotAppliedReason, details: Record<string, unknown>): DomainError {
  const [errorCode, message] = REFUSAL[reason];
  return new DomainError(errorCode, `${message(code)} Remove it from the cart (DELETE /carts/:id/promotions/${code}) to go on without it.`,
    { code, reason, ...details });
}

export const normalizeCode = (code: string) => code.trim().toUpperCase();

interface CodeRow { id: string; code: string; active: boolean; usage_limit: number | null; used: number; per_customer_limit: number | null; customer_used: number | null }

export async function applyPromotionCode(em: EntityManager, cartId: string, rawCode: string, customerId: string | null): Promise<CartView> {
  const code = normalizeCode(rawCode);
  return sqlTransaction(em, async (sql) => {
    await touchWritableCart(sql, cartId, customerId);
    const [promotion] = await sql.rows<CodeRow>(`
      select p.id, p.code, p.active, p.usage_limit, p.used, p.per_customer_limit,
             (select max(u.used) from promotion_customer_uses u, customers a
               where a.id = coalesce(c.customer_id, $3::uuid) and u.promotion_id = p.id
                 and u.customer_key in ('customer:' || a.id, 'email:' || lower(trim(a.email)))) as customer_used
        from promotions p, carts c where p.code = $1 and c.id = $2`, [code, cartId, customerId]);
    if (!promotion) throw new DomainError(ErrorCode.PromotionCodeUnknown, `There is no promotion code ${code}.`, { code });
    assertWithinLimits(promotion);
    await sql.rows('insert into cart_promotions (cart_id, promotion_id) values ($1, $2) on conflict do nothing', [cartId, promotion.id]);
    const cart = await cartViewIn(sql, cartId, customerId);
    // The new code must apply, and must not push out a code already on the cart.
    const refused = cart.promotions.find((p) => p.code === code && !p.applied) ?? cart.promotions.find((p) => p.reason === 'not_combinable');
    if (refused?.reason) throw promotionRefusal(code, refused.reason, { cartId, ...(refused.code !== code ? { conflictsWith: refused.code } : {}) });
    return cart;
  });
}

/** A use left: refused once the total or this customer's uses are all taken (checked again, for good, when the order redeems it). */
export function assertWithinLimits(p: Pick<CodeRow, 'code' | 'active' | 'usage_limit' | 'used' | 'per_customer_limit' | 'customer_used'>): void {
  if (!p.active) throw promotionRefusal(p.code, 'expired', {});
  if (p.usage_limit !== null && p.used >= p.usage_limit) {
    throw new DomainError(ErrorCode.PromotionLimitReached, `The code ${p.code} has been used as many times as it can be.`, { code: p.code, limit: 'total' });
  }
  if (p.per_customer_limit !== null && (p.customer_used ?? 0) >= p.per_customer_limit) {
    throw new DomainError(ErrorCode.PromotionLimitReached, `The code ${p.code} can be used ${p.per_customer_limit} time(s) per customer, and this customer has.`,
      { code: p.code, limit: 'per_customer' });
  }
}

export async function removePromotionCode(em: EntityManager, cartId: string, rawCode: string, customerId: string | null): Promise<CartView> {
  const code = normalizeCode(rawCode);
  return sqlTransaction(em, async (sql) => {
    await touchWritableCart(sql, cartId, customerId);
    const removed = await sql.rows(`delete from cart_promotions cp using promotions p
      where cp.cart_id = $1 and cp.promotion_id = p.id and p.code = $2 returning p.id`, [cartId, code]);
    if (removed.length === 0) throw new DomainError(ErrorCode.PromotionNotInCart, `Cart ${cartId} holds no code ${code}.`, { cartId, code });
    return cartViewIn(sql, cartId, customerId);
  });
}

/** Whom a per-customer limit counts an order against: a signed-in customer's account and the order's e-mail, a guest's e-mail. */
export const customerKeysOf = (o: { customerId?: string | null; email: string }): string[] =>
  [...(o.customerId ? [`customer:${o.customerId}`] : []), `email:${o.email.trim().toLowerCase()}`];

/** What checkout checks, in its transaction, before placing an order with these promotions (the redemption decides for good). */
export async function limitFactsIn(tx: EntityManager, promotionIds: string[], customerKeys: string[]): Promise<CodeRow[]> {
  return tx.execute<CodeRow[]>(`
    select p.id, coalesce(p.code, p.name) as code, p.active, p.usage_limit, p.used, p.per_customer_limit,
           (select max(u.used) from promotion_customer_uses u where u.promotion_id = p.id
               and u.customer_key in (${customerKeys.map(() => '?').join(', ')})) as customer_used
      from promotions p where p.id in (${promotionIds.map(() => '?').join(', ')})`, [...customerKeys, ...promotionIds]);
}

/**
 * Counts one use of each promotion the order was priced with, all or none; a promotion whose uses
 * (in all, or this customer's) are taken refuses the order with promotion_limit_reached. Keyed by
 * the order: a retry finds its uses counted and counts nothing.
 */
export async function redeemOrderPromotions(em: EntityManager, orderId: string): Promise<{ redeemed: string[] }> {
  return sqlTransaction(em, async (sql) => {
    const rows = await sql.rows<{ promotion_id: string; label: string; customer_id: string | null; email: string; per_customer_limit: number | null }>(`
      select op.promotion_id, coalesce(op.code, op.name) as label, p.per_customer_limit, o.customer_id, o.email
        from order_promotions op join orders o on o.id = op.order_id join promotions p on p.id = op.promotion_id
       where op.order_id = $1 order by op.promotion_id`, [orderId]);
    const redeemed: string[] = [];
    // In promotion id order, so two orders with the same promotions lock their rows in the same order.
    for (const r of rows) {
      const keys = customerKeysOf({ customerId: r.customer_id, email: r.email });
      const [mine] = await sql.rows(`insert into promotion_redemptions (promotion_id, order_id, customer_keys) values ($1, $2, $3)
        on conflict (promotion_id, order_id) do nothing returning promotion_id`, [r.promotion_id, orderId, keys]);
      if (!mine) continue;
      const [counted] = await sql.rows(`update promotions set used = used + 1, updated_at = now()
        where id = $1 and (usage_limit is null or used < usage_limit) returning used`, [r.promotion_id]);
      if (!counted) throw limitReached(orderId, r.label, 'total');
      for (const key of keys) {
        const [customer] = await sql.rows(`insert into promotion_customer_uses (promotion_id, customer_key, used) values ($1, $2, 1)
          on conflict (promotion_id, customer_key) do update set used = promotion_customer_uses.used + 1
          where $3::int is null or promotion_customer_uses.used < $3::int returning used`, [r.promotion_id, key, r.per_customer_limit]);
        if (!customer) throw limitReached(orderId, r.label, 'per_customer');
      }
      redeemed.push(r.label);
    }
    return { redeemed };
  });
}

const limitReached = (orderId: string, label: string, limit: 'total' | 'per_customer') => new DomainError(ErrorCode.PromotionLimitReached,
  limit === 'total' ? `The promotion ${label} of order ${orderId} has been used as many times as it can be; the order is not placed at that price.`
    : `The promotion ${label} of order ${orderId} has been used by this customer as many times as it can be; the order is not placed at that price.`,
  { orderId, promotion: label, limit });

/** Gives back the uses this order counted (the redemption's compensation); a second run finds none and gives nothing back. */
export async function giveBackOrderPromotions(em: EntityManager, orderId: string): Promise<{ givenBack: number }> {
  return sqlTransaction(em, async (sql) => {
    const deleted = await sql.rows<{ promotion_id: string; customer_keys: string[] }>(
      'delete from promotion_redemptions where order_id = $1 returning promotion_id, customer_keys', [orderId]);
    for (const d of deleted.sort((a, b) => a.promotion_id.localeCompare(b.promotion_id))) {
      await sql.rows('update promotions set used = used - 1, updated_at = now() where id = $1', [d.promotion_id]);
      await sql.rows('update promotion_customer_uses set used = used - 1 where promotion_id = $1 and customer_key = any($2)', [d.promotion_id, d.customer_keys]);
    }
    return { givenBack: deleted.length };
  });
}
