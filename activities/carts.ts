/**
 * The cart-expiry sweep's passes: remind, expire, delete. Each works in bounded batches, and each
 * batch claims its carts with `FOR UPDATE SKIP LOCKED` inside one transaction, so two sweeps
 * running at once never touch the same cart, and a cart a customer is writing to right now (the
 * cart routes lock the row too) is simply left for the next run. Only `active` and `expired`
 * carts are ever selected: a cart in checkout (`checking_out`, `checked_out`) is never touched.
 *
 * The expiry and deletion passes heartbeat their running totals after every batch; a retried attempt
 * resumes from them. The reminder pass is the workflow's: one claim per batch, one send per reminder.
 * Every step is idempotent by the cart's own state (a reminded cart has `reminder_sent_at`, an
 * expired cart is no longer `active`), so a pass that runs twice does nothing the second time.
 */
import { activityInfo, cancellationSignal, heartbeat } from '@temporalio/activity';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { ActivityDeps } from './deps';
import { sendClaimed } from './outbox';
import { durationMs } from '../src/config';
import { subtotal } from '../src/domain/cart';
import { render, type Rendered } from '../src/domain/templates';

export interface SweepPass {
  /** The sweep's "now" (the workflow's clock when the run started): every cutoff is measured from it. */
  asOf: string;
  /** How long a cart has been idle (no change) before this pass acts on it, e.g. '24h'. */
  idleFor: string;
  batchSize: number;
  /** Bounds one run; whatever is left is the next run's. */
  maxBatches: number;
}

export interface ReminderPass extends SweepPass {
  /** Carts idle this long are expired instead of reminded (CART_TTL). */
  expiresAfter: string;
}

export interface ExpiryProgress { expired: number; batches: number }
export interface DeletionProgress { deleted: number; batches: number }

export interface CartSweepRecord {
  workflowId: string;
  runId: string;
  asOf: string;
  reminded: number;
  reminderFailures: number;
  expired: number;
  deleted: number;
}

const TEMPLATE = 'abandoned_cart';

interface Candidate { id: string; currency: string; email: string; name: string }

/** A reminder claimed for sending: the cart is marked reminded and its outbox row holds the rendered e-mail. */
export interface ClaimedReminder { cartId: string; outboxId: string }
export interface ReminderClaim extends ReminderPass {
  /** Carts whose reminder failed earlier in this run: left for the next run. */
  skip: string[];
}
/** sent; already_sent (a retry after it went); in_doubt (an attempt stopped mid-send: never sent twice); failed (the next run retries). */
export type ReminderOutcome = 'sent' | 'already_sent' | 'in_doubt' | 'failed';

export function cartActivities({ orm, notifier, logger }: ActivityDeps) {
  const cutoff = (pass: SweepPass, idleFor = pass.idleFor) => new Date(Date.parse(pass.asOf) - durationMs(idleFor));

  /** Runs `batch` until it does less than a full batch or the run's bound is reached, heartbeating the totals. */
  async function inBatches<P extends { batches: number }>(pass: SweepPass, zero: P, batch: (progress: P) => Promise<number>): Promise<P> {
    const progress: P = { ...zero, ...(activityInfo().heartbeatDetails as Partial<P> | undefined) };
    while (progress.batches < pass.maxBatches) {
      const signal = cancellationSignal();
      if (signal.aborted) throw signal.reason ?? new Error('the sweep was cancelled');
      const handled = await batch(progress);
      progress.batches += 1;
      heartbeat({ ...progress });
      if (handled < pass.batchSize) break;
    }
    return progress;
  }

  return {
    /**
     * One batch of abandoned-cart reminders claimed: at most one e-mail per cart, to a known customer
     * who opted in to marketing, for a cart idle past `idleFor` but not yet past `expiresAfter`. In one
     * transaction: the carts are locked (SKIP LOCKED), each one's outbox row written with the rendered
     * e-mail (unique per cart + template + channel) and the cart marked reminded. The sweep then
     * sends each on the rate-limited notification queue (sendCartReminder).
     */
    async claimCartReminders(claim: ReminderClaim): Promise<ClaimedReminder[]> {
      return claimReminders(claim, claim.skip);
    },

    /**
     * Sends one claimed reminder, on the notification queue (its rate limit covers these too). The
     * row is claimed first (pending or failed → sending), so a retry after a crash mid-send finds it
     * 'sending' and does not send again. A provider's refusal marks the row failed and un-marks the
     * cart, so the next sweep run tries again.
     */
    async sendCartReminder(reminder: ClaimedReminder): Promise<ReminderOutcome> {
      return sendReminder(reminder);
    },

    /** Marks carts idle past the TTL expired; an expired cart refuses every write (409, src/domain/cart.ts). */
    async expireIdleCarts(pass: SweepPass): Promise<ExpiryProgress> {
      return inBatches<ExpiryProgress>(pass, { expired: 0, batches: 0 }, async (progress) => {
        // updated_at is left alone: retention counts from the cart's last change, not from its expiry.
        const rows = await orm.em.fork().getConnection().execute<{ id: string }[]>(
          `update carts set status = 'expired', expired_at = ?
            where id in (select id from carts where status = 'active' and updated_at <= ?
                          order by updated_at, id limit ? for update skip locked)
            returning id`, [pass.asOf, cutoff(pass), pass.batchSize]);
        progress.expired += rows.length;
        return rows.length;
      });
    },

    /** Deletes expired carts idle past the retention period; their lines and reminder rows go with them. */
    async deleteExpiredCarts(pass: SweepPass): Promise<DeletionProgress> {
      return inBatches<DeletionProgress>(pass, { deleted: 0, batches: 0 }, async (progress) => {
        const rows = await orm.em.fork().getConnection().execute<{ id: string }[]>(
          `delete from carts
            where id in (select id from carts where status = 'expired' and updated_at <= ?
                          order by updated_at, id limit ? for update skip locked)
            returning id`, [cutoff(pass), pass.batchSize]);
        progress.deleted += rows.length;
        return rows.length;
      });
    },

    /** One row per sweep run with its counts; a retry finds the row and adds nothing. */
    async recordCartSweep(run: CartSweepRecord): Promise<void> {
      await orm.em.fork().getConnection().execute(
        `insert into cart_sweep_runs (workflow_run_id, workflow_id, as_of, reminded, reminder_failures, expired, deleted)
         values (?, ?, ?, ?, ?, ?, ?) on conflict (workflow_run_id) do nothing`,
        [run.runId, run.workflowId, run.asOf, run.reminded, run.reminderFailures, run.expired, run.deleted]);
      logger.info({ ...run }, 'cart sweep finished');
    },
  };

  /**
   * Claims a batch: in one transaction, locks idle carts no other sweep holds, writes each one's
   * outbox row with the rendered e-mail, and marks the cart reminded. Once this commits, no other
   * run selects these carts, and the sends happen outside any transaction.
   */
  async function claimReminders(pass: ReminderPass, skip: string[]): Promise<ClaimedReminder[]> {
    return orm.em.fork().transactional(async (tx) => {
      const conn = tx.getConnection();
      const ctx = tx.getTransactionContext();
      const carts = await conn.execute<Candidate[]>(
        `select c.id, c.currency, cu.email, cu.name
           from carts c join customers cu on cu.id = c.customer_id
          where c.status = 'active' and c.reminder_sent_at is null and cu.marketing_opt_in
            and c.updated_at <= ? and c.updated_at > ?
            and exists (select 1 from cart_lines l where l.cart_id = c.id)
            and not (c.id = any(?::text[]))
          order by c.updated_at, c.id
          limit ?
          for update of c skip locked`,
        [cutoff(pass), cutoff(pass, pass.expiresAfter), `{${skip.join(',')}}`, pass.batchSize], 'all', ctx);
      const claimed: ClaimedReminder[] = [];
      for (const cart of carts) {
        const message = await reminderOf(tx, cart);
        const payload = JSON.stringify({ subject: message.subject, text: message.text, html: message.html });
        // A row that failed before is sendable again, with the cart as it is now.
        const [row] = await conn.execute<{ id: string }[]>(
          `insert into notifications (cart_id, template, channel, recipient, payload) values (?, ?, 'email', ?, ?)
           on conflict (cart_id, template, channel) where cart_id is not null
           do update set recipient = excluded.recipient, payload = excluded.payload where notifications.status in ('pending', 'failed')
           returning id`,
          [cart.id, TEMPLATE, cart.email, payload], 'all', ctx);
        // Marked even when the row was not sendable (already sent, or in doubt): never a second reminder.
        await conn.execute(`update carts set reminder_sent_at = now() where id = ?`, [cart.id], 'run', ctx);
        if (row) claimed.push({ cartId: cart.id, outboxId: row.id });
      }
      return claimed;
    });
  }

  /**
   * Sends one claimed reminder: claims its row (pending or failed → sending), sends, marks it sent.
   * A crash mid-send leaves the row 'sending' and the cart reminded: it may have gone, so it is never
   * sent again. A provider's refusal marks the row failed and un-marks the cart, so the next run
   * tries again.
   */
  async function sendReminder(r: ClaimedReminder): Promise<ReminderOutcome> {
    const conn = orm.em.fork().getConnection();
    const [row] = await conn.execute<{ recipient: string; payload: { subject: string; text?: string; html?: string } }[]>(
      `update notifications set status = 'sending', claimed_at = now(), attempts = attempts + 1
        where id = ? and status in ('pending', 'failed') returning recipient, payload`, [r.outboxId]);
    if (!row) {
      const [now] = await conn.execute<{ status: string }[]>('select status from notifications where id = ?', [r.outboxId]);
      if (now?.status === 'sent' || now?.status === 'delivered') return 'already_sent';
      if (now?.status === 'sending') {
        logger.warn({ cartId: r.cartId, outboxId: r.outboxId }, 'abandoned-cart reminder in doubt (an attempt stopped mid-send); not sent again');
        return 'in_doubt';
      }
      return 'failed'; // the cart was deleted meanwhile, or the row is in a state nobody sends from
    }
    const { subject, text, html } = row.payload;
    const outcome = text && html
      ? await sendClaimed(orm, notifier, r.outboxId, { channel: 'email', to: row.recipient, subject, text, html })
      : { status: 'refused' as const, error: undefined, detail: `outbox row ${r.outboxId} has no rendered message; the next sweep renders it again` };
    if (outcome.status === 'sent') return 'sent';
    if (outcome.status === 'in_doubt') {
      logger.warn({ cartId: r.cartId, note: outcome.note }, 'abandoned-cart reminder in doubt (the provider did not answer); not sent again');
      return 'in_doubt';
    }
    logger.warn({ err: outcome.error, cartId: r.cartId, detail: outcome.detail }, 'abandoned-cart reminder not sent; the next sweep tries again');
    await orm.em.fork().transactional(async (tx) => {
      const ctx = tx.getTransactionContext();
      await tx.getConnection().execute(`update notifications set status = 'failed', last_error = ? where id = ?`, [outcome.detail, r.outboxId], 'run', ctx);
      await tx.getConnection().execute(`update carts set reminder_sent_at = null where id = ?`, [r.cartId], 'run', ctx);
    });
    return 'failed';
  }

  async function reminderOf(tx: EntityManager, cart: Candidate): Promise<Rendered> {
    const lines = await tx.getConnection().execute<{ title: string; quantity: number; price_amount: string; currency: string; sku: string }[]>(
      `select l.sku, p.title || ' (' || v.title || ')' as title, l.quantity, v.price_amount, v.currency
         from cart_lines l join variants v on v.sku = l.sku join products p on p.id = v.product_id
        where l.cart_id = ? order by l.sku`, [cart.id], 'all', tx.getTransactionContext());
    const total = subtotal(lines.map((l) => ({ sku: l.sku, quantity: l.quantity, unitPrice: { amount: Number(l.price_amount), currency: l.currency } })), cart.currency);
    // The template takes no order reference, and the cart id (the key to the cart) is never shown.
    return render(TEMPLATE, { orderId: '', customerName: cart.name || 'there', total, lines });
  }
}
