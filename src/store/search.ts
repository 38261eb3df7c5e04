/**
 * Storefront search: PostgreSQL's full-text index finds the published products a query matches
 * (one statement, the document numbers packed as bytes), this process's copy of the search
 * documents filters, counts facets, sorts and pages them (src/domain/search-run.ts), and one more
 * statement reads the page's cards. When the text matches nothing, each unknown word is replaced
 * by its closest catalog word by trigram distance (pg_trgm, over search_terms) and the search runs
 * again: "meirno" finds merino.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { PageRequest, SortKey } from '../domain/search';
import { runSearch } from '../domain/search-run';
import { docsOf, hasBit, inTitles, parseTsquery, UnsupportedQuery, type TsQuery } from '../domain/search-text';
import type { FacetsView, FilterRequest } from '../domain/search-taxonomy';
import type { CardTexts, DocumentChanges } from '../domain/search-cards';
import { sqlRows, statement } from '../db/sql';
import type { StoredImage } from './catalog';
import { catalogVersion, searchCopy } from './search-index';

export { catalogVersion, warmSearchCopy } from './search-index';

export interface SearchRequest extends PageRequest {
  q?: string;
  filters: FilterRequest;
}

/** What a listing shows of a product, as search_cards keeps it: prices in every currency, a stock flag per variant. */
export interface Card {
  id: string;
  handle: string;
  title: string;
  description: string;
  images: StoredImage[];
  variants: { sku: string; title: string; options: Record<string, string>; prices: Record<string, number>; inStock: boolean }[];
}

export interface SearchAnswer {
  /** The catalog version the answer reflects (at least): the list's ETag. */
  version: number;
  total: number;
  /** The page's cards, each as its JSON text in the request's currency (CardShelf). */
  items: string[];
  next?: SortKey;
  facets?: FacetsView;
  /** The query actually searched when the one asked found nothing and a spelling correction did. */
  correctedQuery: string | null;
}

/**
 * How the caller shows a card: `text` makes its JSON in a currency, and `kept` keeps those texts while
 * their documents do not change, so a page of kept cards reads no card from PostgreSQL and makes no JSON.
 */
export interface CardShelf { kept: CardTexts; text(card: Card, currency: string): string }

export async function searchCatalog(em: EntityManager, req: SearchRequest, shelf: CardShelf): Promise<SearchAnswer> {
  const q = req.q?.trim() || undefined;
  let version: number;
  let found: Matches | undefined;
  let correctedQuery: string | null = null;
  if (q) {
    found = await matchDocuments(em, q, req.sort === 'relevance');
    if (found.docs.length === 0) {
      const corrected = await correctSpelling(em, q);
      const retried = corrected === null ? undefined : await matchDocuments(em, corrected, req.sort === 'relevance');
      if (retried && retried.docs.length > 0) [found, correctedQuery] = [retried, corrected];
    }
    version = found.version;
  } else {
    version = await catalogVersion(em);
  }
  const { index, taxonomy, changes } = await searchCopy(em, version);
  const filters = taxonomy.filtersOf(req.filters);
  const result = runSearch(index, {
    matches: found?.docs ?? null, titleHits: found?.titleHits, filters, sort: req.sort, currency: req.currency,
    limit: req.limit, offset: req.offset, after: req.after, facets: req.facets, valuesOf: (code) => taxonomy.valuesOf(code),
  }, taxonomy.facetNoLimit);
  const cards = await cardTextsOf(em, result.page, version, req.currency, shelf, changes);
  return {
    version, total: result.total, next: result.next, correctedQuery,
    // A document removed between the two statements has no card any more: the page is one shorter, never wrong.
    items: result.page.map((d) => cards.get(d)).filter((c): c is string => c !== undefined),
    facets: result.facets && taxonomy.facetsView(result.facets, filters),
  };
}

interface Matches { version: number; docs: Int32Array; titleHits?: Uint8Array }

/**
 * PostgreSQL reads the query (websearch_to_tsquery takes any text a shopper types, quotes for
 * phrases, -exclusions, or, without syntax errors, and stems it) with the catalog version, in one
 * statement that reads no table but catalog_state; this process's copy, brought up to that
 * version, finds the documents (src/domain/search-text.ts).
 */
const PARSE = statement('search_parse', `
  select version, websearch_to_tsquery('english', $1::text)::text as query from catalog_state`);

async function matchDocuments(em: EntityManager, q: string, ranked: boolean): Promise<Matches> {
  const [row] = await sqlRows<{ version: string; query: string }>(em, PARSE, [q]);
  const version = Number(row.version);
  let query: TsQuery | null;
  try {
    query = parseTsquery(row.query);
  } catch (err) {
    if (err instanceof UnsupportedQuery) return matchInDatabase(em, q, ranked);
    throw err;
  }
  if (query === null) return { version, docs: new Int32Array(0) };
  const { index } = await searchCopy(em, version);
  const docs = docsOf(index.text.match(query));
  if (!ranked) return { version, docs };
  const titles = index.text.match(inTitles(query));
  const titleHits = new Uint8Array(docs.length);
  for (let i = 0; i < docs.length; i++) titleHits[i] = hasBit(titles, docs[i]) ? 1 : 0;
  return { version, docs, titleHits };
}

/**
 * A phrase or a prefix needs word positions, which the copy does not keep: PostgreSQL's full-text
 * index finds those documents, as 4 bytes each (doc_no * 2 + 1 when the title alone matches).
 */
const MATCH_RANKED = statement('search_match_ranked', `
  select (select version from catalog_state) as version,
         coalesce(string_agg(int4send(d.doc_no * 2 + (d.tsv @@ w.title)::int), ''), '\\x'::bytea) as docs
    from websearch_to_tsquery('english', $1::text) q
   cross join lateral (select regexp_replace(q::text, '(''(?:[^'']|'''')*'')', '\\1:A', 'g')::tsquery as title) w
    join search_documents d on d.tsv @@ q`);
// Sorted by price or date, the title matches need not be told apart: one check less per match.
const MATCH = statement('search_match', `
  select (select version from catalog_state) as version, coalesce(string_agg(int4send(d.doc_no * 2), ''), '\\x'::bytea) as docs
    from websearch_to_tsquery('english', $1::text) q join search_documents d on d.tsv @@ q`);

async function matchInDatabase(em: EntityManager, q: string, ranked: boolean): Promise<Matches> {
  const [row] = await sqlRows<{ version: string; docs: Buffer }>(em, ranked ? MATCH_RANKED : MATCH, [q]);
  const n = row.docs.length / 4;
  const docs = new Int32Array(n);
  const titleHits = ranked ? new Uint8Array(n) : undefined;
  for (let i = 0; i < n; i++) {
    const packed = row.docs.readInt32BE(i * 4);
    docs[i] = packed >> 1;
    if (titleHits) titleHits[i] = packed & 1;
  }
  return { version: Number(row.version), docs, titleHits };
}

const CARDS = statement('search_cards', `
  select d.doc_no, c.card from search_documents d join search_cards c on c.product_id = d.product_id where d.doc_no = any($1::int[])`);

/** The texts of `docNos`' cards in `currency`: those kept since their documents last changed, the others read (at catalog version `version` or later), made and kept. */
async function cardTextsOf(em: EntityManager, docNos: number[], version: number, currency: string, shelf: CardShelf,
  changes: DocumentChanges): Promise<Map<number, string>> {
  const found = new Map<number, string>();
  const missing: number[] = [];
  for (const d of docNos) {
    const text = shelf.kept.get(d, currency, changes);
    if (text === undefined) missing.push(d);
    else found.set(d, text);
  }
  if (missing.length === 0) return found;
  const rows = await sqlRows<{ doc_no: number; card: Card }>(em, CARDS, [missing]);
  for (const r of rows) {
    const text = shelf.text(r.card, currency);
    shelf.kept.put(r.doc_no, version, currency, text);
    found.set(r.doc_no, text);
  }
  return found;
}

/** The words of a query as search_terms holds them: lower case, letters and digits (hyphens and apostrophes inside). */
export function wordsOf(q: string): string[] {
  return q.toLowerCase().match(/[\p{L}\p{N}]+(?:['-][\p{L}\p{N}]+)*/gu) ?? [];
}

/** A trigram similarity under this is a different word, not a misspelling ("lenin" is not "leather"). */
const MIN_SIMILARITY = 0.25;

// The nearest-word lookup (a trigram index walk) runs only for a word the catalog does not know: a query of known
// words that matches nothing (filters that exclude each other's words) costs one index probe per word.
const CLOSEST = statement('search_closest_terms', `
  select w.word, k.known, t.term, similarity(t.term, w.word) as score
    from unnest($1::text[]) as w(word)
   cross join lateral (select exists (select 1 from search_terms s where s.term = w.word) as known) k
    left join lateral (select term from search_terms where not k.known order by term <-> w.word limit 1) t on true`);

/** The query with each word the catalog does not know replaced by its closest catalog word; null when nothing changed. */
export async function correctSpelling(em: EntityManager, q: string): Promise<string | null> {
  const words = wordsOf(q);
  if (words.length === 0) return null;
  const rows = await sqlRows<{ word: string; known: boolean; term: string | null; score: number | null }>(em, CLOSEST, [words]);
  let changed = false;
  const corrected = rows.map((r) => {
    if (r.known || r.word.length < 3 || r.term === null || (r.score ?? 0) < MIN_SIMILARITY) return r.word;
    changed = true;
    return r.term;
  });
  return changed ? corrected.join(' ') : null;
}

/** The statements a search runs, for bench/catalog to EXPLAIN. */
export const SEARCH_STATEMENTS = { parse: PARSE, matchRanked: MATCH_RANKED, match: MATCH, closest: CLOSEST, cards: CARDS };
