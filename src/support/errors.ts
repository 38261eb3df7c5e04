import { DomainError, ErrorCode } from '../domain/errors';

/** What kind of "not done" a support action is; its code decides (outcomeOf). */
export type SupportOutcome = 'refused' | 'not_found' | 'bad_request' | 'unavailable';

/**
 * How a support action did not happen: a DomainError, so the staff routes let it through and its
 * code decides the HTTP status (src/api/errors.ts) as for any other. Its message is the sentence
 * the API answers ("Order … is already on hold."); `reason` is the same words as the CLI prints
 * them and the audit trail keeps them ("order … is already on hold").
 */
export class SupportError extends DomainError {
  constructor(code: ErrorCode, readonly reason: string) {
    super(code, reason.charAt(0).toUpperCase() + reason.slice(1) + (reason.endsWith('.') ? '' : '.'), { outcome: outcomeOf(code) });
    this.name = 'SupportError';
  }
}

/**
 * The one place a code becomes a kind of "not done", which picks the CLI's exit code and the audit
 * trail's outcome: bad_request (exit 2, 400), not_found (3, 404), unavailable (1, 503: Temporal
 * did not answer), refused (1, 409 or the refusal's own status): the workflow's validator (or the
 * payment row) said no, and the reason says why.
 */
export function outcomeOf(code: ErrorCode): SupportOutcome {
  if (code === ErrorCode.ValidationFailed) return 'bad_request';
  if (code === ErrorCode.ServiceUnavailable) return 'unavailable';
  if (code === ErrorCode.NotFound || code === ErrorCode.OrderNotFound || code === ErrorCode.ShipmentNotFound || code === ErrorCode.CustomerNotFound
    || code === ErrorCode.ErasureNotFound) return 'not_found';
  return 'refused';
}
