/**
 * The one boundary for text the database cannot keep. PostgreSQL refuses NUL (U+0000) in every text
 * and JSON value (SQLSTATE 22021, 22P05), and a UTF-16 surrogate without its partner is either
 * refused (jsonb, 22P02) or silently turned into U+FFFD on the way in (text). Neither is something a
 * person types. So a request carrying one anywhere, in a path parameter, the query, a header the API
 * reads as data, or the body at any depth (object keys included; webhooks' payloads too), is answered
 * 400 validation_failed with the one error shape before its route reads any of it. The router
 * (src/api/http.ts, mount) applies it to every declared route, so a new route cannot forget it.
 */
import type { Context } from 'koa';
import { DomainError, ErrorCode } from '../domain/errors';
import { unstorableReason } from '../domain/text';

export interface UnstorableText { path: string; problem: string }

/** The headers every route may read as data; a route's declared headers (its signature, say) are added to them. */
export const DATA_HEADERS = ['Idempotency-Key', 'X-Request-Id'] as const;

/**
 * The first string (or object key) in `value` that cannot be stored, with its path (`a.b.0`).
 * Iterative, so a body nested thousands of levels deep is walked without exhausting the stack.
 */
export function findUnstorableText(value: unknown): UnstorableText | undefined {
  // Each entry keeps its parent rather than a copy of its path, so a deep body costs linear time.
  interface Entry { value: unknown; key?: string; parent?: Entry }
  const pathOf = (entry: Entry | undefined, last?: string): string => {
    const keys = last === undefined ? [] : [last];
    for (let e = entry; e?.key !== undefined; e = e.parent) keys.unshift(e.key);
    return keys.join('.') || '(root)';
  };
  const pending: Entry[] = [{ value }];
  while (pending.length > 0) {
    const entry = pending.pop()!;
    const current = entry.value;
    if (typeof current === 'string') {
      const problem = unstorableReason(current);
      if (problem) return { path: pathOf(entry), problem };
    } else if (Array.isArray(current)) {
      current.forEach((item, i) => pending.push({ value: item, key: String(i), parent: entry }));
    } else if (current !== null && typeof current === 'object') {
      for (const [key, item] of Object.entries(current)) {
        const problem = unstorableReason(key);
        if (problem) return { path: pathOf(entry, printable(key)), problem: `is a field name that ${problem}` };
        pending.push({ value: item, key, parent: entry });
      }
    }
  }
  return undefined;
}

/** Throws the 400 the API answers for text it cannot store, in the shape of every other validation error. */
export function refuseUnstorable(where: string, value: unknown): void {
  const found = findUnstorableText(value);
  if (!found) return;
  const message = `${found.problem}; remove it and send the request again`;
  throw new DomainError(ErrorCode.ValidationFailed, `Invalid ${where}: ${found.path}: ${message}.`,
    { in: where, issues: [{ path: found.path, message, code: 'unstorable_text' }] });
}

/**
 * Everything of a request the route can read, but its body: the path's parameters (decoded), the
 * query, and the headers it reads as data. The body is checked as it is parsed (refuseUnstorable).
 */
export function refuseUnstorableRequest(ctx: Context, declaredHeaders: readonly string[] = []): void {
  refuseUnstorable('path parameters', ctx.params ?? {});
  refuseUnstorable('query', ctx.query);
  const headers: Record<string, string> = {};
  for (const name of [...DATA_HEADERS, ...declaredHeaders]) {
    const value = ctx.get(name);
    if (value) headers[name] = value;
  }
  refuseUnstorable('headers', headers);
}

/** A key shown in an error message: the offending characters as escapes, so the message itself can be stored and logged. */
function printable(key: string): string {
  return key.replace(/[\u0000\uD800-\uDFFF]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
