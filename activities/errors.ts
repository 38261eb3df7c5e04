/**
 * The one place errors become Temporal failures. A domain error or a provider's final "no" becomes
 * a non-retryable ApplicationFailure whose type is the error code (tests assert on it); anything
 * else is left to the retry policy.
 */
import { ApplicationFailure } from '@temporalio/common';
import { DomainError } from '../src/domain/errors';
import { PaymentProviderError } from '../src/integrations/payments';
import { NotifierError } from '../src/integrations/notifier';

export function toFailure(err: unknown): unknown {
  if (err instanceof DomainError) {
    return ApplicationFailure.create({ type: err.code, message: err.message, nonRetryable: true, details: [err.details] });
  }
  if (err instanceof PaymentProviderError) {
    return ApplicationFailure.create({ type: err.code, message: err.message, nonRetryable: !err.retryable });
  }
  if (err instanceof NotifierError) {
    return ApplicationFailure.create({ type: 'notifier_error', message: err.message, nonRetryable: !err.retryable });
  }
  return err;
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
