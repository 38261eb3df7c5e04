/**
 * The in-memory search (src/domain/search-run.ts) against a brute-force oracle written here: random
 * catalogs and random filters, every sort, pages walked by keyset cursor, facet counts under the
 * other filters. Seeded, so a failure repeats.
 */
import { FACET_KIND, facetKey, newestFirst, SearchIndex, SEARCH_SORTS, type SearchFilters, type SearchSort } from '../../src/domain/search';
import { runSearch } from '../../src/domain/search-run';

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Doc { docNo: number; createdAt: number; inStock: boolean; facets: number[]; prices: Record<string, number>; title: boolean }

const LIMIT = 16; // facet numbers 1..15 of each kind
const COLOUR_VALUES = [1, 2, 3, 4];
const BRAND_VALUES = [5, 6, 7];

function randomCatalog(rand: () => number, n: number): Doc[] {
  const pickSome = (xs: number[], p: number) => xs.filter(() => rand() < p);
  return Array.from({ length: n }, (_, i) => ({
    docNo: i * 2 + 1, // gaps, as removals leave
    // Few distinct dates, so ties exercise the tie-breakers.
    createdAt: 1_700_000_000_000 + Math.floor(rand() * 20) * 1000,
    inStock: rand() < 0.7,
    facets: [
      ...pickSome([1, 2, 3, 4, 5], 0.3).map((no) => facetKey(FACET_KIND.category, no)),
      ...pickSome([1, 2, 3], 0.3).map((no) => facetKey(FACET_KIND.collection, no)),
      ...pickSome(COLOUR_VALUES, 0.4).map((no) => facetKey(FACET_KIND.attributeValue, no)),
      ...pickSome(BRAND_VALUES, 0.4).map((no) => facetKey(FACET_KIND.attributeValue, no)),
    ],
    // Few distinct prices (ties); some documents have none in EUR.
    prices: { USD: 100 * (1 + Math.floor(rand() * 10)), ...(rand() < 0.8 ? { EUR: 90 * (1 + Math.floor(rand() * 10)) } : {}) },
    title: rand() < 0.3,
  }));
}

function randomFilters(rand: () => number): SearchFilters {
  const some = (xs: number[], kind: number) => xs.filter(() => rand() < 0.25).map((no) => facetKey(kind, no));
  const attributes = new Map<string, number[]>();
  const colours = some(COLOUR_VALUES, FACET_KIND.attributeValue);
  const brands = some(BRAND_VALUES, FACET_KIND.attributeValue);
  if (colours.length) attributes.set('colour', colours);
  if (brands.length) attributes.set('brand', brands);
  const low = rand() < 0.3 ? 100 * Math.floor(rand() * 5) : undefined;
  return {
    categories: some([1, 2, 3, 4, 5], FACET_KIND.category), collections: some([1, 2, 3], FACET_KIND.collection), attributes,
    priceMin: low, priceMax: low !== undefined && rand() < 0.7 ? low + 400 : undefined, inStock: rand() < 0.3,
  };
}

const valuesOf = (code: string) => (code === 'colour' ? COLOUR_VALUES : code === 'brand' ? BRAND_VALUES : []);

/** Which filters a document fails, by name; the oracle's own reading of the rules. */
function failures(d: Doc, f: SearchFilters, currency: string): Set<string> {
  const out = new Set<string>();
  const has = (keys: number[]) => keys.some((k) => d.facets.includes(k));
  if (f.categories.length && !has(f.categories)) out.add('category');
  if (f.collections.length && !has(f.collections)) out.add('collection');
  for (const [code, keys] of f.attributes) if (keys.length && !has(keys)) out.add(`attr:${code}`);
  const price = d.prices[currency];
  if ((f.priceMin !== undefined || f.priceMax !== undefined)
    && (price === undefined || price < (f.priceMin ?? -Infinity) || price > (f.priceMax ?? Infinity))) out.add('price');
  if (f.inStock && !d.inStock) out.add('stock');
  return out;
}

function oracleOrder(docs: Doc[], sort: SearchSort, currency: string, ranked: boolean): Doc[] {
  const price = (d: Doc) => d.prices[currency];
  const cmp: Record<SearchSort, (a: Doc, b: Doc) => number> = {
    relevance: (a, b) => (ranked ? Number(b.title) - Number(a.title) : 0) || b.createdAt - a.createdAt || b.docNo - a.docNo,
    newest: (a, b) => b.createdAt - a.createdAt || b.docNo - a.docNo,
    price_asc: (a, b) => (price(a) ?? Infinity) - (price(b) ?? Infinity) || a.docNo - b.docNo,
    price_desc: (a, b) => (price(a) === undefined ? 1 : 0) - (price(b) === undefined ? 1 : 0) || (price(b) ?? 0) - (price(a) ?? 0) || b.docNo - a.docNo,
  };
  return [...docs].sort(cmp[sort]);
}

describe('the in-memory search', () => {
  for (let seed = 1; seed <= 40; seed++) {
    it(`matches the oracle on random catalog ${seed}: results, order, keyset pages, disjunctive facet counts`, () => {
      const rand = prng(seed);
      const catalog = randomCatalog(rand, 60 + Math.floor(rand() * 200));
      const index = new SearchIndex();
      for (const d of catalog) index.put(d);
      // Some documents removed, as unpublished products are.
      const removed = new Set(catalog.filter(() => rand() < 0.1).map((d) => d.docNo));
      for (const no of removed) index.remove(no);
      const live = catalog.filter((d) => !removed.has(d.docNo));

      const filters = randomFilters(rand);
      const sort = SEARCH_SORTS[Math.floor(rand() * SEARCH_SORTS.length)];
      const currency = rand() < 0.5 ? 'USD' : 'EUR';
      // Half the runs with a text match: a subset of documents (some removed ones included, as a stale match list would).
      const text = rand() < 0.5 ? catalog.filter(() => rand() < 0.6) : null;
      const matches = text ? Int32Array.from(text.map((d) => d.docNo)) : null;
      const titleHits = text ? Uint8Array.from(text.map((d) => (d.title ? 1 : 0))) : undefined;
      const pool = text ? live.filter((d) => text.includes(d)) : live;

      const expected = oracleOrder(pool.filter((d) => failures(d, filters, currency).size === 0), sort, currency, text !== null);
      const plan = { matches, titleHits, filters, sort, currency, limit: 7, offset: 0, facets: true, valuesOf };
      const first = runSearch(index, plan, LIMIT);
      expect(first.total).toBe(expected.length);

      // Every page by keyset: all results once, in the oracle's order.
      const walked: number[] = [...first.page];
      let next = first.next;
      while (next) {
        const page = runSearch(index, { ...plan, after: next, facets: false }, LIMIT);
        walked.push(...page.page);
        next = page.next;
      }
      expect(walked).toEqual(expected.map((d) => d.docNo));
      // Offset paging agrees with keyset paging.
      expect(runSearch(index, { ...plan, offset: 7, facets: false }, LIMIT).page).toEqual(expected.slice(7, 14).map((d) => d.docNo));

      // A value counts the documents failing no filter but its own dimension's.
      const dimensionOf = (key: number): string => {
        const kind = key >>> 28;
        if (kind === FACET_KIND.category) return 'category';
        if (kind === FACET_KIND.collection) return 'collection';
        return COLOUR_VALUES.includes(key & 0xfffffff) ? 'attr:colour' : 'attr:brand';
      };
      const counts = new Map<number, number>();
      for (const d of pool) {
        const failed = failures(d, filters, currency);
        for (const key of d.facets) {
          const dim = dimensionOf(key);
          if ([...failed].every((f) => f === dim)) counts.set(key, (counts.get(key) ?? 0) + 1);
        }
      }
      expect(first.facets?.byKey).toEqual(counts);
      const priced = pool.filter((d) => d.prices[currency] !== undefined && [...failures(d, filters, currency)].every((f) => f === 'price'));
      expect(first.facets?.price).toEqual(priced.length ? { min: Math.min(...priced.map((d) => d.prices[currency])),
        max: Math.max(...priced.map((d) => d.prices[currency])), count: priced.length } : null);
      expect(first.facets?.inStock).toBe(pool.filter((d) => d.inStock && [...failures(d, filters, currency)].every((f) => f === 'stock')).length);
    });
  }
});

describe('the index through rewrites', () => {
  it('keeps each document\'s latest facet keys and prices when documents are rewritten and removed many times over', () => {
    const rand = prng(99);
    const index = new SearchIndex();
    const latest = new Map<number, Doc>();
    for (let round = 0; round < 40; round++) {
      for (const doc of randomCatalog(rand, 100)) {
        const docNo = doc.docNo % 60; // the same 30 documents rewritten again and again, keys appended each time
        if (rand() < 0.1) { index.remove(docNo); latest.delete(docNo); continue; }
        const written = { ...doc, docNo };
        index.put(written);
        latest.set(docNo, written);
      }
    }
    expect(index.size).toBe(latest.size);
    for (const [docNo, doc] of latest) {
      expect([...index.facetsOf(docNo)]).toEqual(doc.facets);
      expect(index.priceOf(docNo, 'EUR')).toBe(doc.prices.EUR ?? NaN);
    }
    const all = runSearch(index, { matches: null, filters: { categories: [], collections: [], attributes: new Map(), inStock: false },
      sort: 'newest', currency: 'USD', limit: 100, offset: 0, facets: true, valuesOf: () => [] }, LIMIT);
    const counts = new Map<number, number>();
    for (const doc of latest.values()) for (const key of doc.facets) counts.set(key, (counts.get(key) ?? 0) + 1);
    expect(all.total).toBe(latest.size);
    expect(all.facets?.byKey).toEqual(counts);
  });
});

describe('the newest matches (suggestions)', () => {
  it('picks the same documents, in the same order, as sorting them all: newest first, ties by the higher number', () => {
    const rand = prng(29);
    for (let round = 0; round < 200; round++) {
      const created = Array.from({ length: 300 }, () => Math.floor(rand() * 40));
      const docs = Int32Array.from(Array.from({ length: Math.floor(rand() * 120) }, () => Math.floor(rand() * 300))
        .filter((d, i, all) => all.indexOf(d) === i).sort((a, b) => a - b));
      const limit = Math.floor(rand() * 12);
      const expected = [...docs].sort((a, b) => created[b] - created[a] || b - a).slice(0, limit);
      expect(newestFirst(docs, (d) => created[d], limit)).toEqual(expected);
    }
  });
});
