/**
 * Storefront search, the part that needs no database: an in-memory index of the published
 * catalog's facet keys, lowest prices, stock flags, dates and words (a copy of search_documents,
 * brought up to date by src/store/search-index.ts; the words in src/domain/search-text.ts), and the
 * evaluation of one search over it: filters, facet counts (each dimension counted under the other
 * active filters), sort and keyset pagination.
 *
 * Why in memory: counting facets over thousands of matches cost PostgreSQL about 5 µs per match,
 * and finding them (a bitmap heap scan over the matching rows) about 0.5 µs more (bench/catalog),
 * while a loop over typed arrays here costs a few nanoseconds per facet key.
 *
 * Facet keys are ints: the kind in the top bits (1 category, 2 collection, 3 attribute value), the
 * row's facet_no below (Migration20261207150000_search). A document's categories include their
 * ancestors, so filtering by a category finds its descendants' products too.
 */
import { TextIndex } from './search-text';

export const FACET_KIND = { category: 1, collection: 2, attributeValue: 3 } as const;
export const FACET_KIND_SHIFT = 28;
const KIND_SHIFT = FACET_KIND_SHIFT;
const NO_MASK = (1 << KIND_SHIFT) - 1;
export const facetKey = (kind: number, no: number): number => (kind << KIND_SHIFT) | no;
export const kindOf = (key: number): number => key >>> KIND_SHIFT;
export const noOf = (key: number): number => key & NO_MASK;

export const SEARCH_SORTS = ['relevance', 'price_asc', 'price_desc', 'newest'] as const;
export type SearchSort = (typeof SEARCH_SORTS)[number];

/**
 * A document as search_documents holds it; its words either as lexemes with their weights as bits
 * (src/domain/search-text.ts WEIGHT) or as its tsvector printed by PostgreSQL (`tsv`).
 */
export interface IndexedDoc {
  docNo: number; createdAt: number; inStock: boolean; facets: ArrayLike<number>; prices: Record<string, number>;
  lexemes?: Record<string, number>; tsv?: string;
}

/** The published catalog, by document number (dense enough: numbers are handed out once per publication). */
export class SearchIndex {
  version = 0;
  taxonomyVersion = 0;
  private alive = new Uint8Array(0);
  private created = new Float64Array(0);
  private stock = new Uint8Array(0);
  /**
   * Every document's facet keys in one array (document d's: keyCount[d] of them from keyStart[d]),
   * so the facet pass reads them in a row instead of chasing a small array per document; a
   * rewritten document's keys are appended, and the array is compacted when half of it is stale.
   */
  keyPool = new Int32Array(0);
  private keyEnd = 0;
  private keyStale = 0;
  keyStart = new Int32Array(0);
  keyCount = new Int32Array(0);
  private amounts = new Map<string, Float64Array>();
  private live = 0;
  /** The documents' words, kept with the rest: a search reads PostgreSQL only for its page of cards. */
  readonly text = new TextIndex();

  get size(): number { return this.live; }

  put(doc: IndexedDoc): void {
    this.grow(doc.docNo + 1);
    if (!this.alive[doc.docNo]) this.live++;
    this.alive[doc.docNo] = 1;
    this.created[doc.docNo] = doc.createdAt;
    this.stock[doc.docNo] = doc.inStock ? 1 : 0;
    this.putKeys(doc.docNo, doc.facets);
    for (const prices of this.amounts.values()) prices[doc.docNo] = NaN;
    for (const [currency, amount] of Object.entries(doc.prices)) this.pricesFor(currency)[doc.docNo] = amount;
    if (doc.tsv !== undefined) this.text.putTsvector(doc.docNo, doc.tsv);
    else this.text.put(doc.docNo, doc.lexemes ?? {});
  }

  remove(docNo: number): void {
    if (docNo >= this.alive.length || !this.alive[docNo]) return;
    this.alive[docNo] = 0;
    this.keyStale += this.keyCount[docNo];
    this.keyCount[docNo] = 0;
    this.text.remove(docNo);
    this.live--;
  }

  has(docNo: number): boolean { return docNo < this.alive.length && this.alive[docNo] === 1; }
  createdAt(docNo: number): number { return this.created[docNo]; }
  inStock(docNo: number): boolean { return this.stock[docNo] === 1; }
  facetsOf(docNo: number): Int32Array { return this.keyPool.slice(this.keyStart[docNo], this.keyStart[docNo] + this.keyCount[docNo]); }
  /** The lowest price of the document's variants in `currency` (minor units), NaN when none has one. */
  priceOf(docNo: number, currency: string): number { return this.amounts.get(currency)?.[docNo] ?? NaN; }
  /** Every document's lowest price in `currency` by document number (NaN: none), undefined when no document has one. */
  pricesIn(currency: string): Float64Array | undefined { return this.amounts.get(currency); }

  /** Every live document number, in ascending order. */
  all(): Int32Array {
    const out = new Int32Array(this.live);
    let n = 0;
    for (let d = 0; d < this.alive.length; d++) if (this.alive[d]) out[n++] = d;
    return out;
  }

  private putKeys(docNo: number, keys: ArrayLike<number>): void {
    this.keyStale += this.keyCount[docNo];
    this.keyCount[docNo] = 0;
    if (this.keyStale > 1024 && this.keyStale * 2 > this.keyEnd) this.compactKeys();
    if (this.keyEnd + keys.length > this.keyPool.length) {
      const pool = new Int32Array(Math.max(this.keyEnd + keys.length, this.keyPool.length * 2, 1024));
      pool.set(this.keyPool.subarray(0, this.keyEnd));
      this.keyPool = pool;
    }
    this.keyPool.set(keys, this.keyEnd);
    this.keyStart[docNo] = this.keyEnd;
    this.keyCount[docNo] = keys.length;
    this.keyEnd += keys.length;
  }

  private compactKeys(): void {
    const pool = new Int32Array(Math.max(this.keyEnd - this.keyStale, 1024) * 2);
    let end = 0;
    for (let d = 0; d < this.alive.length; d++) {
      if (!this.alive[d]) continue;
      pool.set(this.keyPool.subarray(this.keyStart[d], this.keyStart[d] + this.keyCount[d]), end);
      this.keyStart[d] = end;
      end += this.keyCount[d];
    }
    this.keyPool = pool;
    this.keyEnd = end;
    this.keyStale = 0;
  }

  private pricesFor(currency: string): Float64Array {
    let prices = this.amounts.get(currency);
    if (!prices) {
      prices = new Float64Array(this.alive.length).fill(NaN);
      this.amounts.set(currency, prices);
    }
    return prices;
  }

  private grow(size: number): void {
    if (size <= this.alive.length) return;
    const capacity = Math.max(size, Math.ceil(this.alive.length * 1.5), 1024);
    const copy = <T extends Uint8Array | Int32Array | Float64Array>(a: T, make: (n: number) => T, fill?: number): T => {
      const b = make(capacity);
      if (fill !== undefined) b.fill(fill);
      b.set(a);
      return b;
    };
    this.alive = copy(this.alive, (n) => new Uint8Array(n));
    this.created = copy(this.created, (n) => new Float64Array(n));
    this.stock = copy(this.stock, (n) => new Uint8Array(n));
    this.keyStart = copy(this.keyStart, (n) => new Int32Array(n));
    this.keyCount = copy(this.keyCount, (n) => new Int32Array(n));
    for (const [currency, prices] of this.amounts) this.amounts.set(currency, copy(prices, (n) => new Float64Array(n), NaN));
  }
}

/** What a search keeps: facet keys of each filtered dimension (OR within one, AND across them), a price range, stock. */
export interface SearchFilters {
  categories: number[];
  collections: number[];
  /** Attribute value keys, by attribute code. */
  attributes: Map<string, number[]>;
  priceMin?: number;
  priceMax?: number;
  inStock: boolean;
}

/** A position in a sort order: the three numbers every order is compared by, ascending. */
export type SortKey = [number, number, number];

/** Which page of a search, in which order and currency, with or without facet counts. */
export interface PageRequest {
  sort: SearchSort;
  currency: string;
  limit: number;
  offset: number;
  /** Keyset pagination: only documents after this key. */
  after?: SortKey;
  facets: boolean;
}

export interface SearchPlan extends PageRequest {
  /** The documents the text matched (null: no text, every document), and for each whether its title matched. */
  matches: Int32Array | null;
  titleHits?: Uint8Array;
  filters: SearchFilters;
  /** The facet_no of every value of an attribute, to know which filter a value's key is counted under. */
  valuesOf: (code: string) => number[];
}

export interface FacetCounts {
  /** Count by facet key, of the documents passing every filter but the key's own dimension's. */
  byKey: Map<number, number>;
  price: { min: number; max: number; count: number } | null;
  inStock: number;
}

export interface SearchResult {
  total: number;
  page: number[];
  /** The key of the page's last document when more follow. */
  next?: SortKey;
  facets?: FacetCounts;
}

/** The `limit` documents created last (ties: the higher document number first), newest first. */
export function newestFirst(docs: Int32Array, createdAt: (doc: number) => number, limit: number): number[] {
  const top: number[] = [];
  if (limit <= 0) return top;
  const after = (a: number, b: number) => createdAt(a) > createdAt(b) || (createdAt(a) === createdAt(b) && a > b);
  for (const d of docs) {
    if (top.length === limit && !after(d, top[limit - 1])) continue;
    let at = Math.min(top.length, limit - 1);
    if (top.length < limit) top.push(d);
    while (at > 0 && after(d, top[at - 1])) { top[at] = top[at - 1]; at--; }
    top[at] = d;
  }
  return top;
}
