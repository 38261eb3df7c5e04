/**
 * HTTP caching of storefront reads: each answer carries its ETag and Cache-Control, and a request
 * whose If-None-Match names the current ETag gets a 304 without a body. The ETag is computed from
 * a version the database keeps (src/store/search-index.ts catalogVersion, a product's document
 * version), so checking it costs one index lookup instead of the query it saves.
 */
import type { Context } from 'koa';

/**
 * Lists may be a few seconds old: a listing shows prices and stock flags that a cart checks again
 * anyway, and a CDN or browser serving it from cache while it revalidates in the background
 * (stale-while-revalidate) answers instantly; the revalidation itself is a cheap 304.
 */
export const LIST_CACHE = 'public, max-age=5, stale-while-revalidate=30';
/** A product page shows exact stock and prices: always revalidated, which the ETag makes cheap. */
export const PRODUCT_CACHE = 'public, no-cache';
/** Suggestions only change when the catalog's words do. */
export const SUGGESTIONS_CACHE = 'public, max-age=60, stale-while-revalidate=600';

export const CONDITIONAL_HEADERS = {
  // Any value: one that names no current ETag (empty, malformed, stale) is a copy that is not current, answered in full (RFC 9110, 13.1.2).
  'If-None-Match': { required: false, pattern: /^.*$/,
    description: 'The ETag of a copy you hold: answered 304 Not Modified, without a body, while it is current; any other value gets the full answer.' },
};

export const CACHED_RESPONSE_HEADERS = {
  ETag: 'Changes whenever the answer would: send it back in If-None-Match.',
  'Cache-Control': 'How long caches may serve it without asking again.',
};

/** Sets the validators; answers 304 and true when the client's copy is current (weak comparison, as RFC 9110 asks of If-None-Match). */
export function notModified(ctx: Context, etag: string, cacheControl: string): boolean {
  ctx.set('ETag', etag);
  ctx.set('Cache-Control', cacheControl);
  const header = ctx.get('If-None-Match');
  if (!header) return false;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  const current = header.trim() === '*' || header.split(',').some((tag) => opaque(tag) === opaque(etag));
  if (current) ctx.status = 304;
  return current;
}
