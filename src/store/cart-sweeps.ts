/**
 * The cart-expiry sweep's data: idle carts reminded, expired and deleted in bounded batches, and one
 * cart_sweep_runs row per run. Every batch claims its carts with `FOR UPDATE SKIP LOCKED`, so two
 * sweeps running at once never touch the same cart, and a cart a customer is writing to right now
 * (src/store/carts.ts locks the row too) is left for the next run. Only `active` and `expired` carts
 * are ever selected: a cart in checkout (`checking_out`, `checked_out`) is never touched.
 *
 * Idle is measured by `updated_at`; the indexes hold `updated_minute`, the minute it falls in
 * (migration 20261209110000, so that a cart's touch is a HOT update): each query finds its carts by
 * the minute and checks `updated_at` on them, and orders by the minute, then `updated_at`.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { pricedLinesOfCart, type PricedLine } from './carts';
import { markMessageFailed, type MessagePayload } from './notifications';

/** A cart whose customer may be reminded of it. */
export interface ReminderCandidate { id: string; currency: string; email: string; name: string }

const REMINDER = 'abandoned_cart';

/** Marks up to `limit` carts idle since `idleSince` expired (at `asOf`); answers their ids. */
export async function expireIdleCarts(em: EntityManager, asOf: string, idleSince: Date, limit: number): Promise<string[]> {
  // updated_at is left alone: retention counts from the cart's last change, not from its expiry.
  const rows = await em.execute<{ id: string }[]>(
    `update carts set status = 'expired', expired_at = ?
      where id in (select id from carts where status = 'active' and updated_minute <= ? and updated_at <= ?
                    order by updated_minute, updated_at, id limit ? for update skip locked)
      returning id`, [asOf, idleSince, idleSince, limit]);
  return rows.map((r) => r.id);
}

/** Deletes up to `limit` expired carts (and guest carts merged into a customer's) idle since `idleSince`, their lines and reminder rows with them; answers their ids. */
export async function deleteExpiredCarts(em: EntityManager, idleSince: Date, limit: number): Promise<string[]> {
  const rows = await em.execute<{ id: string }[]>(
    `delete from carts
      where id in (select id from carts where status in ('expired', 'merged') and updated_minute <= ? and updated_at <= ?
                    order by updated_minute, updated_at, id limit ? for update skip locked)
      returning id`, [idleSince, idleSince, limit]);
  return rows.map((r) => r.id);
}

/** One row per sweep run with its counts; a retry finds the row and adds nothing. */
export async function recordCartSweepRun(em: EntityManager, run: {
  workflowId: string; runId: string; asOf: string; reminded: number; reminderFailures: number; expired: number; deleted: number;
}): Promise<void> {
  await em.execute(
    `insert into cart_sweep_runs (workflow_run_id, workflow_id, as_of, reminded, reminder_failures, expired, deleted)
     values (?, ?, ?, ?, ?, ?, ?) on conflict (workflow_run_id) do nothing`,
    [run.runId, run.workflowId, run.asOf, run.reminded, run.reminderFailures, run.expired, run.deleted]);
}

/**
 * Claims a batch of reminders, in one transaction: locks up to `limit` active carts of customers who
 * opted in to marketing, with lines, idle between `idleSince` and `expiresSince` (no other sweep holds
 * them; none in `skip`), writes each one's outbox row with the e-mail `compose` renders (unique per
 * cart + template + channel; a row that failed before is sendable again, with the cart as it is
 * now), and marks the cart reminded. Answers the carts whose row is sendable, with its id.
 */
export async function claimCartReminders(em: EntityManager, c: { idleSince: Date; expiresSince: Date; skip: string[]; limit: number },
  compose: (cart: ReminderCandidate, lines: PricedLine[]) => MessagePayload): Promise<{ cartId: string; outboxId: string }[]> {
  return em.transactional(async (tx) => {
    const carts = await tx.execute<ReminderCandidate[]>(
      `select c.id, c.currency, cu.email, cu.name
         from carts c join customers cu on cu.id = c.customer_id
        where c.status = 'active' and c.reminder_sent_at is null and cu.marketing_opt_in
          and c.updated_minute <= ? and c.updated_minute >= cart_minute(?) and c.updated_at <= ? and c.updated_at > ?
          and exists (select 1 from cart_lines l where l.cart_id = c.id)
          and not (c.id = any(?::text[]))
        order by c.updated_minute, c.updated_at, c.id
        limit ?
        for update of c skip locked`,
      [c.idleSince, c.expiresSince, c.idleSince, c.expiresSince, `{${c.skip.join(',')}}`, c.limit]);
    const claimed: { cartId: string; outboxId: string }[] = [];
    for (const cart of carts) {
      const payload = compose(cart, (await pricedLinesOfCart(tx, cart.id)).lines);
      const [row] = await tx.execute<{ id: string }[]>(
        `insert into notifications (cart_id, template, channel, recipient, payload) values (?, ?, 'email', ?, ?)
         on conflict (cart_id, template, channel) where cart_id is not null
         do update set recipient = excluded.recipient, payload = excluded.payload where notifications.status in ('pending', 'failed')
         returning id`,
        [cart.id, REMINDER, cart.email, JSON.stringify(payload)]);
      // Marked even when the row was not sendable (already sent, or in doubt): never a second reminder.
      await tx.execute(`update carts set reminder_sent_at = now() where id = ?`, [cart.id]);
      if (row) claimed.push({ cartId: cart.id, outboxId: row.id });
    }
    return claimed;
  });
}

/** A reminder the provider refused: its row failed with the reason and its cart un-marked, together, so the next run tries again. */
export async function releaseCartReminder(em: EntityManager, r: { cartId: string; outboxId: string; error: string }): Promise<void> {
  await em.transactional(async (tx) => {
    await markMessageFailed(tx, r.outboxId, r.error);
    await tx.execute(`update carts set reminder_sent_at = null where id = ?`, [r.cartId]);
  });
}

/**
 * For demonstrations (src/cli/ops-screenshots.ts): makes a cart look idle for `idleFor` (an
 * interval such as '2 days'), optionally expired or belonging to a customer, so the next sweep acts on it.
 */
export async function backdateCart(em: EntityManager, cartId: string, idleFor: string, o: { expired?: boolean; customerId?: string } = {}): Promise<void> {
  await em.execute(
    `update carts set updated_at = now() - ?::interval, status = case when ? then 'expired' else status end,
            customer_id = coalesce(?, customer_id) where id = ?`,
    [idleFor, o.expired ?? false, o.customerId ?? null, cartId]);
}
