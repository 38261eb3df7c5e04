/** Timeouts and retry policies, named once, each with the reason for its value. */
import type { ActivityOptions, RetryPolicy } from '@temporalio/common';

/** Provider and database calls: retry transient failures quickly at first, then back off to a minute. */
export const TRANSIENT_RETRY: RetryPolicy = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '1 minute',
  maximumAttempts: 10,
  // Domain errors are thrown as non-retryable ApplicationFailures (activities/errors.ts).
};

/** Database steps finish in milliseconds; 30 s means a stuck connection, and the retry gets a fresh one. */
export const DB_STEP: ActivityOptions = { startToCloseTimeout: '30 seconds', retry: TRANSIENT_RETRY };

/** Payment providers answer within seconds; 1 minute covers a slow bank without hiding an outage. */
export const PROVIDER_CALL: ActivityOptions = { startToCloseTimeout: '1 minute', retry: TRANSIENT_RETRY };

/**
 * Compensations must eventually succeed: money or stock is held until they do. They retry without
 * a limit (maximumAttempts 0), backing off to 10 minutes, and stay visible in the UI while they do.
 */
export const COMPENSATION: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 minutes', maximumAttempts: 0 },
};

/** How long the API's early-return update waits for a payment outcome before answering 202 with the state so far. */
export const EARLY_RETURN_CAP_MS = 5_000;
