/**
 * Optimistic concurrency over HTTP: GET answers with the version as a strong ETag; a write must
 * send it back in If-Match. Without one the answer is 428 (a write that does not say what it read
 * could undo someone else's), with a stale one 412 (src/store/catalog-writes.ts bumpVersion).
 */
import type { Context } from 'koa';
import { DomainError, ErrorCode } from '../domain/errors';
import { etagOf } from '../store/catalog-writes';

export const IF_MATCH_HEADER = {
  'If-Match': { required: true, pattern: /^"\d{1,9}"$/,
    description: 'The ETag of the version this change was made against, as GET answered it (e.g. "3"). Missing: 428; stale: 412.' },
};

/** The version named by If-Match. */
export function expectedVersion(ctx: Context): number {
  const header = ctx.get('If-Match').trim();
  if (!header || header === '*') {
    throw new DomainError(ErrorCode.IfMatchRequired,
      'Send the ETag you read (GET answers it) in an If-Match header, so that a change made meanwhile by someone else is not overwritten.');
  }
  const match = /^"(\d{1,9})"$/.exec(header.split(',')[0].trim());
  if (!match) {
    throw new DomainError(ErrorCode.VersionMismatch, `If-Match ${header} names no version of this resource; send the ETag GET answered, e.g. "3".`,
      { ifMatch: header });
  }
  return Number(match[1]);
}

/** Answers a versioned resource with its ETag. */
export function sendVersioned(ctx: Context, body: { version: number }, status = 200): void {
  ctx.status = status;
  ctx.set('ETag', etagOf(body.version));
  ctx.body = body;
}
