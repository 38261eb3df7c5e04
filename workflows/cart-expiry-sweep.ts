/**
 * cart-expiry-sweep: started by the Temporal Schedule of the same id (src/temporal/schedules.ts),
 * every 5 minutes by default. One run works through idle carts in three passes, as a store
 * manager would put it: remind the customers who asked for it, expire what was left too long,
 * delete what nobody needs any more. Carts hold no stock (stock is reserved at checkout), so
 * expiry never has to give anything back. Every pass is bounded: reminders are claimed a batch at
 * a time and each is sent on the rate-limited notification queue; expiry and deletion are one
 * activity each that heartbeats. The run returns and records its counts.
 */
import { proxyActivities, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ReminderPass } from '../activities/carts';
import { DB_STEP, NOTIFICATION_CALL, TRANSIENT_RETRY } from './policies';
import type { CartSweepInput, CartSweepResult } from '../src/contracts/cart-sweep';

/**
 * A pass is a loop of short transactions that heartbeats after each. A minute without a heartbeat
 * means the worker died: retry elsewhere, resuming the totals. 15 minutes bounds a whole pass of
 * maxBatches batches, three times the schedule's default interval, so a stuck pass never lasts long.
 */
const SWEEP_PASS = {
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '1 minute',
  retry: TRANSIENT_RETRY,
} as const;

/** Expiring and deleting idle carts, a pass each. */
const carts = proxyActivities<Activities>(SWEEP_PASS);
/** Claiming a batch of reminders (the carts marked reminded, the e-mails written to the outbox). */
const reminders = proxyActivities<Activities>(DB_STEP);
/** Each reminder goes out on the notification queue, under the same rate limit as order messages (NOTIFICATIONS_PER_SECOND). */
const messages = proxyActivities<Activities>(NOTIFICATION_CALL);
const sweepRecord = proxyActivities<Activities>(DB_STEP);
/**
 * Reminder batches per run: bounds the run's history (~3 events per reminder) and its length (at
 * 10 messages/s, 10 batches of 100 take about 100 s); what is left is the next run's.
 */
const MAX_REMINDER_BATCHES = 10;

export async function cartExpirySweep(input: CartSweepInput): Promise<CartSweepResult> {
  // Workflow time: the same cutoffs for every pass and every retry of this run.
  const asOf = new Date().toISOString();
  const limits = { asOf, batchSize: input.batchSize, maxBatches: input.maxBatches };

  setCurrentDetails(`Reminding customers of carts idle over ${input.remindAfter} (as of ${asOf})`);
  const reminderPass = { ...limits, idleFor: input.remindAfter, expiresAfter: input.expireAfter };
  const reminderTotals = await remindThroughNotificationQueue(reminderPass);

  setCurrentDetails(`Expiring carts idle over ${input.expireAfter} (as of ${asOf})`);
  const expiry = await carts.expireIdleCarts.executeWithOptions(
    { summary: `Expire carts idle over ${input.expireAfter}` }, [{ ...limits, idleFor: input.expireAfter }]);

  setCurrentDetails(`Deleting expired carts idle over ${input.deleteAfter} (as of ${asOf})`);
  const deletion = await carts.deleteExpiredCarts.executeWithOptions(
    { summary: `Delete expired carts idle over ${input.deleteAfter}` }, [{ ...limits, idleFor: input.deleteAfter }]);

  const result: CartSweepResult = {
    asOf, reminded: reminderTotals.reminded, reminderFailures: reminderTotals.failed, expired: expiry.expired, deleted: deletion.deleted,
  };
  const { workflowId, runId } = workflowInfo();
  await sweepRecord.recordCartSweep.executeWithOptions(
    { summary: `Record this sweep's counts: ${result.reminded} reminded, ${result.expired} expired, ${result.deleted} deleted` },
    [{ workflowId, runId, ...result }]);
  setCurrentDetails(`Done (as of ${asOf}): ${result.reminded} reminded, ${result.reminderFailures} reminders failed, `
    + `${result.expired} expired, ${result.deleted} deleted`);
  return result;
}

/** Claims reminders a batch at a time, and sends each batch's on the rate-limited notification queue. */
async function remindThroughNotificationQueue(reminderPass: ReminderPass): Promise<{ reminded: number; failed: number }> {
  const totals = { reminded: 0, failed: 0 };
  const skip: string[] = []; // failed in this run: the next run tries them again
  const batches = Math.min(reminderPass.maxBatches, MAX_REMINDER_BATCHES);
  for (let batch = 0; batch < batches; batch += 1) {
    const claimed = await reminders.claimCartReminders.executeWithOptions(
      { summary: `Claim up to ${reminderPass.batchSize} carts idle over ${reminderPass.idleFor} for a reminder` }, [{ ...reminderPass, skip }]);
    const outcomes = await Promise.allSettled(claimed.map((reminder) => messages.sendCartReminder.executeWithOptions(
      { summary: `E-mail an abandoned-cart reminder (outbox ${reminder.outboxId})` }, [reminder])));
    outcomes.forEach((outcome, i) => {
      if (outcome.status === 'fulfilled' && outcome.value !== 'failed') {
        totals.reminded += 1;
      } else {
        totals.failed += 1;
        skip.push(claimed[i].cartId);
      }
    });
    setCurrentDetails(`Reminding customers of idle carts: ${totals.reminded} reminded, ${totals.failed} failed so far`);
    if (claimed.length < reminderPass.batchSize) break;
  }
  return totals;
}
