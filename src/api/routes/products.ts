import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ErrorCode, notFound } from '../../domain/errors';
import { formatMoney } from '../../domain/money';
import { findProduct, type StoredImage } from '../../store/catalog';
import { catalogVersion, searchCatalog, type Card, type CardShelf } from '../../store/search';
import { CardTexts, DEFAULT_CARDS_KEPT } from '../../domain/search-cards';
import { suggest } from '../../store/search-suggestions';
import type { ImageStorage } from '../../integrations/image-storage';
import { route } from '../http';
import { productDetailView } from '../schemas';
import { CACHED_RESPONSE_HEADERS, CONDITIONAL_HEADERS, LIST_CACHE, notModified, PRODUCT_CACHE, SUGGESTIONS_CACHE } from '../http-cache';
import { decodeCursor, encodeCursor, searchContext } from '../search-cursor';
import { MAX_OFFSET, priceCurrency, searchAnswerView, searchQuery, suggestionsQuery, suggestionsView } from '../search-schemas';
import { emOf } from '../context';

/** Where a storefront loads an image from: an external image's own URL, or the storage's URL of an uploaded one. */
export function imageUrls(storage: Pick<ImageStorage, 'urlOf'> | undefined) {
  return (images: StoredImage[]) => images.map((i) => ({ url: i.url ?? (storage ? storage.urlOf(i.key as string) : `/media/${i.key}`), alt: i.alt }));
}

/**
 * The ETag of lists and suggestions: the catalog version (it moves with every catalog write, and
 * when a variant sells out or comes back), weak because an answer may already show a later one.
 * The prefix names the representation, so a release that changes it changes every ETag.
 */
const versionTag = (what: string, version: number) => `W/"${what}1-${version}"`;

/** A 200 with the caching headers, or a 304. */
const cachedResponses = (description: string, schema: z.ZodType) => ({
  200: { description, schema, headers: CACHED_RESPONSE_HEADERS },
  304: { description: 'The copy named in If-None-Match is current' },
});

const money = (amount: number | undefined, currency: string) =>
  (amount === undefined ? null : { amount, currency, formatted: formatMoney({ amount, currency }) });

type ImageUrls = ReturnType<typeof imageUrls>;

/** The storefront's catalog: published products only. */
export function productRoutes(deps: { images?: Pick<ImageStorage, 'urlOf'>; searchCardsKept?: number }) {
  const withUrls = imageUrls(deps.images);
  // Suggestions before /products/:idOrSlug, which would take "suggestions" for a handle (no product can have it: a check constraint).
  return [searchRoute(withUrls, deps.searchCardsKept ?? DEFAULT_CARDS_KEPT), suggestionsRoute(withUrls), productPageRoute(withUrls)];
}

function cardViewer(withUrls: ImageUrls) {
  return (c: Card, currency: string) => {
    const prices = c.variants.map((v) => v.prices[currency]).filter((a): a is number => a !== undefined);
    return {
      id: c.id, handle: c.handle, slug: c.handle, title: c.title, description: c.description, images: withUrls(c.images),
      priceFrom: money(prices.length ? Math.min(...prices) : undefined, currency),
      variants: c.variants.map((v) => ({ sku: v.sku, title: v.title, options: v.options, price: money(v.prices[currency], currency), inStock: v.inStock })),
    };
  };
}

function searchRoute(withUrls: ImageUrls, cardsKept: number) {
  const view = cardViewer(withUrls);
  // Per app: the texts hold its image URLs.
  const shelf: CardShelf = { kept: new CardTexts(cardsKept), text: (card, currency) => JSON.stringify(view(card, currency)) };
  return route({
    method: 'get', path: '/products', tag: 'catalog', access: 'public',
    summary: 'Search and filter the published catalog, with facet counts, a sort, and keyset pages',
    query: searchQuery,
    headers: CONDITIONAL_HEADERS,
    responses: cachedResponses('A page of products', searchAnswerView),
    handler: async (ctx, { query }) => {
      const em = emOf(ctx);
      const { cursor, offset, limit, facets, sort, currency, q } = query;
      const filters = { categories: query.category, collections: query.collection, attributes: query.attribute,
        priceMin: query.priceMin, priceMax: query.priceMax, inStock: query.inStock };
      const context = searchContext([q?.toLowerCase() ?? '', filters, sort, currency]);
      const after = cursor ? decodeCursor(cursor, context) : undefined;
      if (ctx.get('If-None-Match') && notModified(ctx, versionTag('s', await catalogVersion(em)), LIST_CACHE)) return;
      const answer = await searchCatalog(em, { q, filters, sort, currency, limit, offset, after, facets }, shelf);
      notModified(ctx, versionTag('s', answer.version), LIST_CACHE);
      const nextOffset = offset + limit;
      // The cards come as JSON text (most of them kept from earlier answers); the rest of the answer is a few fields.
      const rest = {
        total: answer.total, limit, offset,
        nextCursor: answer.next ? encodeCursor(answer.next, context) : null,
        nextOffset: !cursor && answer.next && nextOffset <= MAX_OFFSET ? nextOffset : null,
        correctedQuery: answer.correctedQuery,
        ...(answer.facets ? { facets: answer.facets } : {}),
      };
      ctx.type = 'application/json';
      ctx.body = `{"items":[${answer.items.join(',')}],${JSON.stringify(rest).slice(1)}`;
    },
  });
}

function suggestionsRoute(withUrls: ImageUrls) {
  return route({
    method: 'get', path: '/products/suggestions', tag: 'catalog', access: 'public',
    summary: 'Completions and matching products for a search box, as the shopper types',
    query: suggestionsQuery,
    headers: CONDITIONAL_HEADERS,
    responses: cachedResponses('Suggestions', suggestionsView),
    handler: async (ctx, { query }) => {
      const em = emOf(ctx);
      if (ctx.get('If-None-Match') && notModified(ctx, versionTag('q', await catalogVersion(em)), SUGGESTIONS_CACHE)) return;
      const answer = await suggest(em, query.q, query.limit);
      notModified(ctx, versionTag('q', answer.version), SUGGESTIONS_CACHE);
      ctx.body = {
        completions: answer.completions,
        products: answer.products.map((p) => ({ handle: p.handle, title: p.title, image: p.image ? withUrls([p.image])[0] : null })),
      };
    },
  });
}

function productPageRoute(withUrls: ImageUrls) {
  return route({
    method: 'get', path: '/products/:idOrSlug', tag: 'catalog', access: 'public',
    summary: 'One published product, by id or handle, with its options, variants, prices, availability, images and taxonomy',
    params: z.strictObject({ idOrSlug: z.string().min(1).max(200).meta({ description: 'The product id or its handle.' }) }),
    query: z.strictObject({ currency: priceCurrency }),
    headers: CONDITIONAL_HEADERS,
    responses: { ...cachedResponses('The product', productDetailView),
      404: { description: 'No published product of that id or handle (product_not_found)' } },
    handler: async (ctx, { params, query }) => {
      const product = await findProduct(emOf(ctx), params.idOrSlug, query.currency, withUrls);
      if (!product) throw notFound(ErrorCode.ProductNotFound, 'Product', params.idOrSlug);
      // A page shows live stock, which moves with every order: the ETag is a digest of the answer itself, so any change
      // (a staff write, a sale, a price) changes it, and a 304 still saves the bytes. The answer is encoded once, for both.
      const json = Buffer.from(JSON.stringify(product));
      const etag = `"p1-${createHash('sha256').update(json).digest('base64url').slice(0, 27)}"`;
      if (notModified(ctx, etag, PRODUCT_CACHE)) return;
      ctx.type = 'application/json';
      ctx.body = json;
    },
  });
}
