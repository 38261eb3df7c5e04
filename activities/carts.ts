/**
 * The cart-expiry sweep's passes: remind, expire, delete. Each works in bounded batches, and each
 * batch claims its carts with `FOR UPDATE SKIP LOCKED` inside one transaction (src/store/cart-sweeps.ts),
 * so two sweeps running at once never touch the same cart, and a cart a customer is writing to right
 * now is simply left for the next run. A cart in checkout is never touched.
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
import { render } from '../src/domain/templates';
import type { Logger } from '../src/logger';
import type { PricedLine } from '../src/store/carts';
import { claimCartReminders, deleteExpiredCarts, expireIdleCarts, recordCartSweepRun, releaseCartReminder, type ReminderCandidate } from '../src/store/cart-sweeps';
import { claimMessageById, messageById, type MessagePayload } from '../src/store/notifications';

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

/** A reminder claimed for sending: the cart is marked reminded and its outbox row holds the rendered e-mail. */
export interface ClaimedReminder { cartId: string; outboxId: string }
export interface ReminderClaim extends ReminderPass {
  /** Carts whose reminder failed earlier in this run: left for the next run. */
  skip: string[];
}
/** sent; already_sent (a retry after it went); in_doubt (an attempt stopped mid-send: never sent twice); failed (the next run retries). */
export type ReminderOutcome = 'sent' | 'already_sent' | 'in_doubt' | 'failed';

export function cartActivities(deps: ActivityDeps) {
  const { orm, logger } = deps;
  const cutoff = (pass: SweepPass, idleFor = pass.idleFor) => new Date(Date.parse(pass.asOf) - durationMs(idleFor));
  const inBatches = runInBatches;
  const claimReminders = (pass: ReminderPass, skip: string[]) => claimReminderBatch(deps, pass, skip);
  const sendReminder = (reminder: ClaimedReminder) => sendClaimedReminder(deps, reminder);

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
        const expired = await expireIdleCarts(orm.em.fork(), pass.asOf, cutoff(pass), pass.batchSize);
        progress.expired += expired.length;
        return expired.length;
      });
    },

    /** Deletes expired carts idle past the retention period; their lines and reminder rows go with them. */
    async deleteExpiredCarts(pass: SweepPass): Promise<DeletionProgress> {
      return inBatches<DeletionProgress>(pass, { deleted: 0, batches: 0 }, async (progress) => {
        const deleted = await deleteExpiredCarts(orm.em.fork(), cutoff(pass), pass.batchSize);
        progress.deleted += deleted.length;
        return deleted.length;
      });
    },

    /** One row per sweep run with its counts; a retry finds the row and adds nothing. */
    async recordCartSweep(run: CartSweepRecord): Promise<void> {
      await recordCartSweepRun(orm.em.fork(), run);
      logger.info({ ...run }, 'cart sweep finished');
    },
  };
}

/** Runs `batch` until it does less than a full batch or the run's bound is reached, heartbeating the totals. */
async function runInBatches<P extends { batches: number }>(pass: SweepPass, zero: P, batch: (progress: P) => Promise<number>): Promise<P> {
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

/**
 * Claims a batch (src/store/cart-sweeps.ts claimCartReminders): once it commits, no other run selects
 * these carts, and the sends happen outside any transaction.
 */
async function claimReminderBatch({ orm }: ActivityDeps, pass: ReminderPass, skip: string[]): Promise<ClaimedReminder[]> {
  const idleSince = (idleFor: string) => new Date(Date.parse(pass.asOf) - durationMs(idleFor));
  return claimCartReminders(orm.em.fork(), { idleSince: idleSince(pass.idleFor), expiresSince: idleSince(pass.expiresAfter), skip, limit: pass.batchSize },
    reminderOf);
}

/** The reminder e-mail of a cart as it is now. The template takes no order reference, and the cart id (the key to the cart) is never shown. */
function reminderOf(cart: ReminderCandidate, lines: PricedLine[]): MessagePayload {
  const total = subtotal(lines, cart.currency);
  const message = render(TEMPLATE, { orderId: '', customerName: cart.name || 'there', total, lines });
  return { subject: message.subject, text: message.text, html: message.html };
}

/**
 * Sends one claimed reminder: claims its row (pending or failed → sending), sends, marks it sent.
 * A crash mid-send leaves the row 'sending' and the cart reminded: it may have gone, so it is never
 * sent again. A provider's refusal marks the row failed and un-marks the cart, so the next run
 * tries again.
 */
async function sendClaimedReminder({ orm, notifier, logger }: ActivityDeps, r: ClaimedReminder): Promise<ReminderOutcome> {
  const row = await claimMessageById(orm.em.fork(), r.outboxId);
  if (!row) return reminderNotOurs(orm.em.fork(), r, logger);
  const { subject, text, html } = row.payload;
  const outcome = subject && text && html
    ? await sendClaimed(orm, notifier, r.outboxId, { channel: 'email', to: row.recipient, subject, text, html })
    : { status: 'refused' as const, error: undefined, detail: `outbox row ${r.outboxId} has no rendered message; the next sweep renders it again` };
  if (outcome.status === 'sent') return 'sent';
  if (outcome.status === 'in_doubt') {
    logger.warn({ cartId: r.cartId, note: outcome.note }, 'abandoned-cart reminder in doubt (the provider did not answer); not sent again');
    return 'in_doubt';
  }
  logger.warn({ err: outcome.error, cartId: r.cartId, detail: outcome.detail }, 'abandoned-cart reminder not sent; the next sweep tries again');
  await releaseCartReminder(orm.em.fork(), { cartId: r.cartId, outboxId: r.outboxId, error: outcome.detail });
  return 'failed';
}

/** The reminder's row could not be claimed: it went already, or is in doubt, or is gone. */
async function reminderNotOurs(em: EntityManager, r: ClaimedReminder, logger: Logger): Promise<ReminderOutcome> {
  const now = await messageById(em, r.outboxId);
  if (now?.status === 'sent' || now?.status === 'delivered') return 'already_sent';
  if (now?.status === 'sending') {
    logger.warn({ cartId: r.cartId, outboxId: r.outboxId }, 'abandoned-cart reminder in doubt (an attempt stopped mid-send); not sent again');
    return 'in_doubt';
  }
  return 'failed'; // the cart was deleted meanwhile, or the row is in a state nobody sends from
}
