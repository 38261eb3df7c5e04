/**
 * A search page's whole state, read from and written to its URL: the words, the filters, the sort,
 * and which page (the API's keyset cursor), so a results page can be shared and the back button
 * steps back through pages and filters. The query parameters are the API's own (GET /products),
 * plus `page` (the page's number, for "page 3 of 6") and `currency` when the URL holds something
 * only valid in one currency (a cursor or a price range).
 */
import type { paths } from './api/schema';

export type SearchQuery = NonNullable<paths['/products']['get']['parameters']['query']>;
export type Sort = NonNullable<SearchQuery['sort']>;

export const SORTS: readonly (readonly [Sort, string])[] = [
  ['relevance', 'Best match'], ['newest', 'Newest'], ['price_asc', 'Price: low to high'], ['price_desc', 'Price: high to low'],
];

/** The filters a shopper can tick, each a repeatable query parameter of GET /products. */
export type ListFilter = 'category' | 'collection' | 'attribute';

export interface SearchState {
  q: string;
  category: string[];
  collection: string[];
  /** "code:value", as the API takes them. */
  attribute: string[];
  /** Minor units of `currency`. */
  priceMin?: number;
  priceMax?: number;
  inStock: boolean;
  sort: Sort;
  cursor?: string;
  page: number;
  /** The currency a cursor or a price range was made in. */
  currency?: string;
}

const sortOf = (value: string | null): Sort => SORTS.find(([s]) => s === value)?.[0] ?? 'relevance';
const amountOf = (value: string | null): number | undefined => {
  const n = value === null || value === '' ? NaN : Number(value);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
};

export function readSearch(search: string): SearchState {
  const p = new URLSearchParams(search);
  const cursor = p.get('cursor') || undefined;
  return {
    q: p.get('q') ?? '',
    category: p.getAll('category'),
    collection: p.getAll('collection'),
    attribute: p.getAll('attribute'),
    priceMin: amountOf(p.get('priceMin')),
    priceMax: amountOf(p.get('priceMax')),
    inStock: p.get('inStock') === 'true',
    sort: sortOf(p.get('sort')),
    cursor,
    page: cursor ? Math.max(2, Math.floor(Number(p.get('page'))) || 2) : 1,
    currency: p.get('currency') || undefined,
  };
}

export function searchHref(s: SearchState): string {
  const p = new URLSearchParams();
  if (s.q) p.set('q', s.q);
  for (const key of ['category', 'collection', 'attribute'] as const) for (const v of s[key]) p.append(key, v);
  if (s.priceMin !== undefined) p.set('priceMin', String(s.priceMin));
  if (s.priceMax !== undefined) p.set('priceMax', String(s.priceMax));
  if (s.inStock) p.set('inStock', 'true');
  if (s.sort !== 'relevance') p.set('sort', s.sort);
  if (s.currency && (s.cursor || s.priceMin !== undefined || s.priceMax !== undefined)) p.set('currency', s.currency);
  if (s.cursor) { p.set('cursor', s.cursor); p.set('page', String(s.page)); }
  const query = p.toString();
  return `/shop/search${query ? `?${query}` : ''}`;
}

/** The same search, on its first page: what every change of words, filters or sort leads to. */
export function firstPage(s: SearchState, change: Partial<SearchState>): SearchState {
  return { ...s, ...change, cursor: undefined, page: 1 };
}

export function toggled(s: SearchState, key: ListFilter, value: string): SearchState {
  const values = s[key].includes(value) ? s[key].filter((v) => v !== value) : [...s[key], value];
  return firstPage(s, { [key]: values });
}

export const filterCount = (s: SearchState): number => s.category.length + s.collection.length + s.attribute.length
  + (s.priceMin !== undefined || s.priceMax !== undefined ? 1 : 0) + (s.inStock ? 1 : 0);

export const withoutFilters = (s: SearchState): SearchState =>
  firstPage(s, { category: [], collection: [], attribute: [], priceMin: undefined, priceMax: undefined, inStock: false });

/**
 * What a URL made in another currency can keep: its words, filters and sort, from the first page.
 * A cursor is bound to its currency by the API, and a price range means other amounts in another one.
 */
export function inCurrency(s: SearchState, shown: string): { state: SearchState; dropped: boolean } {
  const bound = s.cursor !== undefined || s.priceMin !== undefined || s.priceMax !== undefined;
  if (!bound || !s.currency || s.currency === shown) return { state: { ...s, currency: shown }, dropped: false };
  return { state: { ...firstPage(s, { priceMin: undefined, priceMax: undefined }), currency: shown }, dropped: true };
}

/** The API's query for a search state: every page with its facet counts. */
export function apiQuery(s: SearchState, currency: string, limit: number): SearchQuery {
  return {
    q: s.q || undefined, category: s.category, collection: s.collection, attribute: s.attribute,
    priceMin: s.priceMin, priceMax: s.priceMax, inStock: s.inStock ? 'true' : undefined,
    sort: s.sort, cursor: s.cursor, limit, facets: 'true', currency,
  };
}

/**
 * Where "Previous" leads. The API's cursors only go forward, so each Next remembers (for this tab)
 * which cursor it came from; a shared link to page 3 has no such memory, and offers the first page.
 */
const TRAIL = 'shop.searchTrail';
const TRAIL_SIZE = 200;

function trail(): [string, string][] {
  try {
    return JSON.parse(sessionStorage.getItem(TRAIL) ?? '[]') as [string, string][];
  } catch {
    return [];
  }
}

export function rememberPrevious(next: string, previous: string | undefined): void {
  const kept = trail().filter(([c]) => c !== next).slice(-(TRAIL_SIZE - 1));
  kept.push([next, previous ?? '']);
  try {
    sessionStorage.setItem(TRAIL, JSON.stringify(kept));
  } catch {
    // Storage full or refused: "Previous" then offers the first page, which is still right.
  }
}

/** The cursor of the page before this one ('' for the first page), or undefined when this tab never came that way. */
export function previousOf(cursor: string): string | undefined {
  return trail().find(([c]) => c === cursor)?.[1];
}
