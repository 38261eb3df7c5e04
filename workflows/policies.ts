/** Timeouts and retry policies, named once, each with the reason for its value. */
import { ActivityCancellationType, type ActivityOptions, type LocalActivityOptions, type RetryPolicy } from '@temporalio/common';
import { workflowInfo } from '@temporalio/workflow';
import { notificationTaskQueue } from '../src/contracts/temporal';

/**
 * When an order is cancelled mid-step, wait for the step's activity to finish before rolling back:
 * otherwise the undo (release, void) could run before the step it undoes lands, and leave stock
 * reserved or a payment authorized for a cancelled order.
 */
const FINISH_BEFORE_UNDO = ActivityCancellationType.WAIT_CANCELLATION_COMPLETED;

/** Provider and database calls: retry transient failures quickly at first, then back off to a minute. */
export const TRANSIENT_RETRY: RetryPolicy = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '1 minute',
  maximumAttempts: 10,
  // Domain errors are thrown as non-retryable ApplicationFailures (activities/errors.ts).
};

/** Database steps finish in milliseconds; 30 s means a stuck connection, and the retry gets a fresh one. */
export const DB_STEP: ActivityOptions = { startToCloseTimeout: '30 seconds', retry: TRANSIENT_RETRY, cancellationType: FINISH_BEFORE_UNDO };

/**
 * A database step run as a local activity: inside the workflow task that reaches it, with no
 * round trip through the server (a workflow task and a billable action less for each, measured by
 * bench/checkout). Only for short, idempotent writes where a cancel has nothing to interrupt (the
 * status writes after the payment, the warehouse's allocation and packing): a local activity holds
 * its workflow task, so a cancel or a hold is seen only once it is done.
 */
export const LOCAL_DB_STEP: LocalActivityOptions = { startToCloseTimeout: '30 seconds', retry: TRANSIENT_RETRY, cancellationType: FINISH_BEFORE_UNDO };

/** Payment providers answer within seconds; 1 minute covers a slow bank without hiding an outage. */
export const PROVIDER_CALL: ActivityOptions = { startToCloseTimeout: '1 minute', retry: TRANSIENT_RETRY, cancellationType: FINISH_BEFORE_UNDO };

/** For steps that must eventually succeed: no maximumAttempts, backing off to 10 minutes, visible in the UI meanwhile. */
const UNTIL_DONE_RETRY: RetryPolicy = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 minutes' };

/** Compensations must eventually succeed: money or stock is held until they do. */
export const COMPENSATION: ActivityOptions = { startToCloseTimeout: '1 minute', retry: UNTIL_DONE_RETRY };

/**
 * Database steps after the payment is captured at dispatch (commit the stock, mark the order
 * shipped, record the parcel's scans and support's notices): past the point of no return nothing is
 * rolled back, so a database outage is waited out, never turned into a failed (and refunded) order.
 */
export const AFTER_DISPATCH: ActivityOptions = { startToCloseTimeout: '30 seconds', retry: UNTIL_DONE_RETRY };

/**
 * The same, as local activities, for the writes right after the capture (commit the stock, mark the
 * order shipped): nothing can cancel them, and they run in the workflow task that sees the capture.
 * A retry past a minute's backoff waits on a timer, so an outage still never fails the order.
 */
export const LOCAL_AFTER_DISPATCH: LocalActivityOptions = { startToCloseTimeout: '30 seconds', retry: UNTIL_DONE_RETRY };

/**
 * The capture at dispatch: the parcel waits, packed, until the money is taken. A provider outage
 * (5xx, rate limit, network) is waited out for up to a day, backing off to 10 minutes, instead of
 * cancelling every order dispatched during it; a refusal (an expired or declined authorization) is
 * non-retryable and rolls the order back at once.
 */
export const CAPTURE_AT_DISPATCH: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '1 day',
  retry: UNTIL_DONE_RETRY,
  cancellationType: FINISH_BEFORE_UNDO,
};

/**
 * Options with the notification queue of the calling workflow's own queue. The queue is read when
 * each activity is scheduled (a getter, evaluated by proxyActivities inside the workflow), so a
 * deployment with another TEMPORAL_TASK_QUEUE, and every test on a queue of its own, keeps its pair.
 */
function onNotificationQueue(options: ActivityOptions): ActivityOptions {
  return Object.defineProperty({ ...options }, 'taskQueue', {
    enumerable: true,
    get: () => notificationTaskQueue(workflowInfo().taskQueue),
  });
}

/** A customer message: like a provider call, but it may wait in the rate-limited queue first (which no timeout here counts). */
export const NOTIFICATION_CALL: ActivityOptions = onNotificationQueue(PROVIDER_CALL);

/** A customer message sent while rolling back: retried without limit, like every compensation. */
export const NOTIFICATION_COMPENSATION: ActivityOptions = onNotificationQueue(COMPENSATION);
