/**
 * Keyset cursors for GET /products: the sort key of the page's last product, bound to the search
 * it came from (query, filters, sort, currency) and checked with a keyed hash, so a cursor that was
 * altered, truncated or made for another search is a 400 invalid_cursor, never a wrong page or a
 * 500. It holds nothing secret (sort keys are prices and dates a client sees anyway): the check is
 * against mistakes and tampering, not a secret. It stays valid while the catalog changes: the next
 * page starts after that key, whatever was added or removed meanwhile.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { DomainError, ErrorCode } from '../domain/errors';
import type { SortKey } from '../domain/search';

const CHECK_KEY = 'temporal-commerce search cursor v1';

/** A short digest of everything that decides a search's order and membership. */
export function searchContext(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 16);
}

export function encodeCursor(key: SortKey, context: string): string {
  const payload = Buffer.from(JSON.stringify({ k: key, c: context })).toString('base64url');
  return `${payload}.${check(payload)}`;
}

export function decodeCursor(cursor: string, context: string): SortKey {
  const [payload, mac, extra] = cursor.split('.');
  const expected = payload ? check(payload) : '';
  if (extra !== undefined || !mac || mac.length !== expected.length || !timingSafeEqual(Buffer.from(mac), Buffer.from(expected))) {
    throw invalid('it was not made by this API, or was changed');
  }
  let parsed: { k?: unknown; c?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { k?: unknown; c?: unknown };
  } catch {
    throw invalid('it was not made by this API, or was changed');
  }
  const k = parsed.k;
  if (!Array.isArray(k) || k.length !== 3 || !k.every((n) => typeof n === 'number' && Number.isFinite(n))) throw invalid('it holds no position');
  if (parsed.c !== context) throw invalid('it belongs to another search (its query, filters, sort or currency differ)');
  return k as SortKey;
}

function check(payload: string): string {
  return createHmac('sha256', CHECK_KEY).update(payload).digest('base64url').slice(0, 22);
}

function invalid(why: string): DomainError {
  return new DomainError(ErrorCode.InvalidCursor, `This cursor cannot be used: ${why}. Start again from the first page (no cursor) and follow nextCursor.`);
}
