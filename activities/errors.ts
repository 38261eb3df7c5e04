/**
 * The one place errors become Temporal failures, whose type is always an ErrorCode (tests, the
 * order's `failure.code` and the support actions read it). A domain error is non-retryable: a
 * retry cannot change the rule that refused it. A provider's error becomes the matching code
 * (payment_provider_error, notifier_error, carrier_error), retryable as the provider said, with the
 * provider's own code, when it has one, in the details and the message. Anything else is left to
 * the retry policy.
 */
import { ApplicationFailure } from '@temporalio/common';
import { DomainError, ErrorCode } from '../src/domain/errors';
import { PaymentProviderError } from '../src/integrations/payments';
import { NotifierError } from '../src/integrations/notifier';
import { CarrierError } from '../src/integrations/carrier';

export function toFailure(err: unknown): unknown {
  if (err instanceof DomainError) {
    return ApplicationFailure.create({ type: err.code, message: err.message, nonRetryable: true, details: [err.details] });
  }
  if (err instanceof PaymentProviderError) {
    return providerFailure(ErrorCode.PaymentProviderError, `${err.message} (${err.code})`, err.retryable, { providerCode: err.code });
  }
  if (err instanceof NotifierError) return providerFailure(ErrorCode.NotifierError, err.message, err.retryable, { maybeSent: err.maybeSent });
  if (err instanceof CarrierError) return providerFailure(ErrorCode.CarrierError, err.message, err.retryable, {});
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
