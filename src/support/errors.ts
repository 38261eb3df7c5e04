import type { ErrorCode } from '../domain/errors';

/**
 * How a support action did not happen. `kind` picks the CLI's exit code and the HTTP status:
 * refused (1, 409): the workflow's validator (or the payment row) said no, and `message` says why;
 * not_found (3, 404); bad_request (2, 400); unavailable (1, 503): Temporal did not answer.
 */
export class SupportError extends Error {
  constructor(readonly kind: 'refused' | 'not_found' | 'bad_request' | 'unavailable', readonly code: ErrorCode, message: string) {
    super(message);
    this.name = 'SupportError';
  }
}
