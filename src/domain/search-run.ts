/**
 * One search over the in-memory index (src/domain/search.ts): a single pass over the matching
 * documents decides, for each, which active filters it fails (a bit mask); a document counts
 * towards a facet dimension when it fails no filter but that dimension's own (the usual
 * "disjunctive" facets: ticking a second brand shows what it would add), and is a result when
 * it fails none. Results are ordered by three numbers, ascending, so every sort and its keyset
 * cursor work alike; only the page (offset + limit + 1) is ever sorted.
 */
import { FACET_KIND, FACET_KIND_SHIFT, facetKey, kindOf, noOf, type SearchIndex, type SearchPlan, type SearchResult, type SortKey } from './search';

// Module constants, not calls into ./search, in the loops: under tsx an imported function is read through a getter on every call.
const KIND_SHIFT = FACET_KIND_SHIFT;
const NO_MASK = (1 << KIND_SHIFT) - 1;
const CATEGORY = 1;
const COLLECTION = 2;
const PRICE = 4;
const STOCK = 8;
/** Each filtered attribute gets a bit of its own from here on. */
const FIRST_ATTRIBUTE = 4;
export const MAX_ATTRIBUTE_FILTERS = 20;
/** Where a price is missing in the currency asked for, it sorts after every price (and fails any price filter). */
export const NO_PRICE = 1e15;

/** What a plan's filters become: per facet key, the filter bit it satisfies and the dimension bit it is counted under. */
interface Compiled {
  active: number;
  /** By facet_no of each kind: the bit a document holding it satisfies (0: none). */
  satisfies: [Int32Array, Int32Array, Int32Array];
  /** By facet_no of each kind: the bit of the dimension it is counted under (0: an unfiltered dimension). */
  dimension: [Int32Array, Int32Array, Int32Array];
}

export function runSearch(index: SearchIndex, plan: SearchPlan, facetNoLimit: number): SearchResult {
  const c = compile(plan, facetNoLimit);
  const docs = plan.matches ?? index.all();
  const counts = plan.facets ? [new Int32Array(facetNoLimit), new Int32Array(facetNoLimit), new Int32Array(facetNoLimit)] : undefined;
  // Hoisted out of the loop, which runs once per match (a sixth of the catalog for a common word).
  const prices = index.pricesIn(plan.currency);
  const low = plan.filters.priceMin ?? -Infinity;
  const high = plan.filters.priceMax ?? Infinity;
  const stockFilter = plan.filters.inStock;
  const titleHits = plan.titleHits;
  const [satisfied0, satisfied1, satisfied2] = c.satisfies;
  let priceMin = Infinity;
  let priceMax = -Infinity;
  let priced = 0;
  let inStock = 0;
  const passing: number[] = [];
  const tiers: number[] = [];
  for (let i = 0; i < docs.length; i++) {
    const d = docs[i];
    if (!index.has(d)) continue;
    const keys = index.keyPool;
    const first = index.keyStart[d];
    const end = first + index.keyCount[d];
    let hit = 0;
    for (let k = first; k < end; k++) {
      const kind = keys[k] >>> KIND_SHIFT;
      const no = keys[k] & NO_MASK;
      if (no >= facetNoLimit) continue;
      if (kind === 1) hit |= satisfied0[no];
      else if (kind === 2) hit |= satisfied1[no];
      else if (kind === 3) hit |= satisfied2[no];
    }
    const price = prices?.[d] ?? NaN;
    const stocked = index.inStock(d);
    if (!Number.isNaN(price) && price >= low && price <= high) hit |= PRICE;
    if (stockFilter && stocked) hit |= STOCK;
    const mask = c.active & ~hit;
    if (counts) {
      countFacets(keys, first, end, mask, c, counts, facetNoLimit);
      if ((mask & ~PRICE) === 0 && !Number.isNaN(price)) {
        priced++;
        if (price < priceMin) priceMin = price;
        if (price > priceMax) priceMax = price;
      }
      if ((mask & ~STOCK) === 0 && stocked) inStock++;
    }
    if (mask === 0) {
      passing.push(d);
      tiers.push(titleHits?.[i] ?? 0);
    }
  }
  const { page, next } = pageOf(index, plan, passing, tiers);
  return {
    total: passing.length, page, next,
    facets: counts && {
      byKey: countsByKey(counts),
      price: priced ? { min: priceMin, max: priceMax, count: priced } : null,
      inStock,
    },
  };
}

/** A document counts towards a facet value when it fails no active filter but the value's own dimension. */
function countFacets(keys: Int32Array, first: number, end: number, mask: number, c: Compiled, counts: Int32Array[], limit: number): void {
  const [dimension0, dimension1, dimension2] = c.dimension;
  const [counts0, counts1, counts2] = counts;
  for (let k = first; k < end; k++) {
    const kind = keys[k] >>> KIND_SHIFT;
    const no = keys[k] & NO_MASK;
    if (no >= limit) continue;
    if (kind === 1) { if ((mask & ~dimension0[no]) === 0) counts0[no]++; }
    else if (kind === 2) { if ((mask & ~dimension1[no]) === 0) counts1[no]++; }
    else if (kind === 3) { if ((mask & ~dimension2[no]) === 0) counts2[no]++; }
  }
}

function compile(plan: SearchPlan, limit: number): Compiled {
  const satisfies: Compiled['satisfies'] = [new Int32Array(limit), new Int32Array(limit), new Int32Array(limit)];
  const dimension: Compiled['dimension'] = [new Int32Array(limit), new Int32Array(limit), new Int32Array(limit)];
  const f = plan.filters;
  let active = 0;
  const mark = (kind: number, keys: number[], bit: number) => {
    for (const key of keys) if (kindOf(key) === kind + 1 && noOf(key) < limit) satisfies[kind][noOf(key)] = bit;
  };
  if (f.categories.length) { active |= CATEGORY; mark(FACET_KIND.category - 1, f.categories, CATEGORY); dimension[0].fill(CATEGORY); }
  if (f.collections.length) { active |= COLLECTION; mark(FACET_KIND.collection - 1, f.collections, COLLECTION); dimension[1].fill(COLLECTION); }
  if (f.priceMin !== undefined || f.priceMax !== undefined) active |= PRICE;
  if (f.inStock) active |= STOCK;
  let bit = 1 << FIRST_ATTRIBUTE;
  const bitOf = new Map<string, number>();
  for (const [code, keys] of f.attributes) {
    if (keys.length === 0) continue;
    bitOf.set(code, bit);
    active |= bit;
    mark(FACET_KIND.attributeValue - 1, keys, bit);
    bit <<= 1;
  }
  for (const [code, bitOfCode] of bitOf) {
    for (const no of plan.valuesOf(code)) if (no < limit) dimension[2][no] = bitOfCode;
  }
  return { active, satisfies, dimension };
}

/** Each order as ascending numbers: relevance (title matches first, then newest), price (missing last), newest; written into `out`. */
function keyInto(index: SearchIndex, plan: SearchPlan, d: number, tier: number, out: SortKey): SortKey {
  switch (plan.sort) {
    case 'relevance': out[0] = -tier; out[1] = -index.createdAt(d); out[2] = -d; break;
    case 'newest': out[0] = -index.createdAt(d); out[1] = -d; out[2] = 0; break;
    case 'price_asc': case 'price_desc': {
      const price = index.priceOf(d, plan.currency);
      out[0] = Number.isNaN(price) ? NO_PRICE : plan.sort === 'price_asc' ? price : -price;
      out[1] = plan.sort === 'price_asc' ? d : -d;
      out[2] = 0;
    }
  }
  return out;
}

export function compareKeys(a: SortKey, b: SortKey): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** The page: the first offset + limit documents after the cursor, keeping only as many as that in a bounded heap. */
function pageOf(index: SearchIndex, plan: SearchPlan, passing: number[], tiers: number[]): { page: number[]; next?: SortKey } {
  const want = plan.offset + plan.limit + 1;
  const heap: { key: SortKey; d: number }[] = [];
  // One key is written per match; only one that enters the heap is copied (a common word passes thousands).
  const key: SortKey = [0, 0, 0];
  for (let i = 0; i < passing.length; i++) {
    keyInto(index, plan, passing[i], tiers[i], key);
    if (plan.after && compareKeys(key, plan.after) <= 0) continue;
    if (heap.length < want) {
      heap.push({ key: [key[0], key[1], key[2]], d: passing[i] });
      siftUp(heap, heap.length - 1);
    } else if (compareKeys(key, heap[0].key) < 0) {
      heap[0] = { key: [key[0], key[1], key[2]], d: passing[i] };
      siftDown(heap, 0);
    }
  }
  heap.sort((a, b) => compareKeys(a.key, b.key));
  const window = heap.slice(plan.offset, plan.offset + plan.limit);
  const more = heap.length > plan.offset + plan.limit;
  return { page: window.map((e) => e.d), next: more && window.length ? window[window.length - 1].key : undefined };
}

// A max-heap on the sort key: its root is the last of the documents kept so far.
function siftUp(h: { key: SortKey }[], i: number): void {
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (compareKeys(h[i].key, h[parent].key) <= 0) return;
    [h[i], h[parent]] = [h[parent], h[i]];
    i = parent;
  }
}

function siftDown(h: { key: SortKey }[], i: number): void {
  for (;;) {
    const l = 2 * i + 1;
    const r = l + 1;
    let top = i;
    if (l < h.length && compareKeys(h[l].key, h[top].key) > 0) top = l;
    if (r < h.length && compareKeys(h[r].key, h[top].key) > 0) top = r;
    if (top === i) return;
    [h[i], h[top]] = [h[top], h[i]];
    i = top;
  }
}

function countsByKey(counts: Int32Array[]): Map<number, number> {
  const out = new Map<number, number>();
  counts.forEach((byNo, kind) => byNo.forEach((n, no) => { if (n > 0) out.set(facetKey(kind + 1, no), n); }));
  return out;
}
