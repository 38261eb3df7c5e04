/**
 * The one place errors become Temporal failures, whose type is always an ErrorCode (tests, the
 * order's `failure.code` and the support actions read it). A domain error is non-retryable: a
 * retry cannot change the rule that refused it. A provider's error becomes the matching code
 * (payment_provider_error, notifier_error, carrier_error), retryable as the provider said, with the
 * provider's own code, when it has one, in the details and the message. A database error that
 * refuses the data itself (SQLSTATE class 22 or 23, src/store/errors.ts) is data_rejected and
 * non-retryable: the same data fails the same way on every attempt, so retrying it would only loop.
 * Anything else (a lost connection, a deadlock, a timeout) is left to the retry policy.
 */
import { ApplicationFailure } from '@temporalio/common';
import { DomainError, ErrorCode } from '../src/domain/errors';
import { PaymentProviderError } from '../src/integrations/payments';
import { NotifierError } from '../src/integrations/notifier';
import { CarrierError } from '../src/integrations/carrier';
import { dataRejection } from '../src/store/errors';

export function toFailure(err: unknown): unknown {
  if (err instanceof DomainError) {
    return ApplicationFailure.create({ type: err.code, message: err.message, nonRetryable: true, details: [err.details] });
  }
  if (err instanceof PaymentProviderError) {
    return providerFailure(ErrorCode.PaymentProviderError, `${err.message} (${err.code})`, err.retryable, { providerCode: err.code });
  }
  if (err instanceof NotifierError) return providerFailure(ErrorCode.NotifierError, err.message, err.retryable, { maybeSent: err.maybeSent });
  if (err instanceof CarrierError) return providerFailure(ErrorCode.CarrierError, err.message, err.retryable, {});
  const rejected = dataRejection(err);
  if (rejected) {
    return ApplicationFailure.create({ type: ErrorCode.DataRejected, nonRetryable: true, details: [rejected],
      message: `The database refused the data for good (SQLSTATE ${rejected.sqlState}: ${rejected.message}); retrying the same data cannot help` });
  }
  return err;
}

function providerFailure(type: ErrorCode, message: string, retryable: boolean, details: Record<string, unknown>): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: !retryable, details: [{ ...details, retryable }] });
}

/** Wraps every activity so errors are classified the same way everywhere. */
export function classified<T extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: T): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = async (...args: never[]) => {
      try {
        return await fn(...args);
      } catch (err) {
        throw toFailure(err);
      }
    };
    Object.defineProperty(wrapped[name], 'name', { value: name });
  }
  return wrapped as T;
}
