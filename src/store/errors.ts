/**
 * What a database error means for whoever retries: PostgreSQL's SQLSTATE class 22 (data exception:
 * a NUL in text, a value out of range, malformed JSON) and class 23 (integrity constraint violation:
 * a check, a foreign key, a unique key) refuse the data itself, so the same statement with the same
 * data fails the same way for ever. Everything else (a lost connection, a deadlock, a serialization
 * failure, a statement timeout) may pass on a retry, with one exception: 08P01 (protocol violation),
 * which is how a NUL in a statement reaches the server (a statement's text ends at its first NUL, and
 * MikroORM writes the values into the text), so it too is the data's fault and permanent. The driver
 * never sends a malformed message otherwise. activities/errors.ts turns the first kind into a
 * non-retryable failure; the outbox records a message it cannot keep as failed.
 */
import { DriverException } from '@mikro-orm/postgresql';
import { DatabaseError } from 'pg';

export interface DataRejection {
  /** The SQLSTATE, e.g. 22P05 (untranslatable character), 23514 (check violation), 08P01 (a NUL in the statement). */
  sqlState: string;
  kind: 'data_exception' | 'integrity_violation';
  /** PostgreSQL's own words, with its detail and the constraint when it names one. */
  message: string;
  constraint?: string;
}

/** The database refused the data for good (class 22 or 23), or undefined for any other error. */
export function dataRejection(err: unknown): DataRejection | undefined {
  if (!(err instanceof DriverException) && !(err instanceof DatabaseError)) return undefined;
  const e = err as Error & { code?: unknown; detail?: string; constraint?: string };
  const sqlState = typeof e.code === 'string' ? e.code : '';
  if (!/^2[23][0-9A-Z]{3}$/.test(sqlState) && sqlState !== '08P01') return undefined;
  // MikroORM prefixes the statement (with its values) to the message; PostgreSQL's own words come after the last " - ".
  const cut = e.message.lastIndexOf(' - ');
  const words = cut >= 0 ? e.message.slice(cut + 3) : e.message;
  return { sqlState, kind: sqlState.startsWith('23') ? 'integrity_violation' : 'data_exception',
    message: `${words}${e.detail ? ` (${e.detail})` : ''}`, ...(e.constraint ? { constraint: e.constraint } : {}) };
}
