/**
 * Suggestions as a shopper types: completions of the last word from the catalog's own words
 * (search_terms, by prefix; by trigram distance when nothing starts so, which catches a typo),
 * and the newest published products whose text matches the words so far, the last as a prefix.
 * PostgreSQL stems the words (to_tsquery, no table read); this process's search copy finds the
 * products (src/domain/search-text.ts), so a short, common prefix costs no scan of the catalog.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { newestFirst } from '../domain/search';
import { docsOf, parseTsquery, UnsupportedQuery, type TsQuery } from '../domain/search-text';
import { sqlRows, statement } from '../db/sql';
import type { StoredImage } from './catalog';
import { wordsOf } from './search';
import { searchCopy } from './search-index';

export interface Suggestions {
  version: number;
  completions: string[];
  products: { handle: string; title: string; image: StoredImage | null }[];
}

// The trigram lookup runs only when no catalog word starts with what was typed: PostgreSQL evaluates an
// uncorrelated subquery in a CASE branch only when the branch is taken.
const WORDS = statement('search_suggest_words', `
  with p as (select array(select term from search_terms where term ~>=~ $1 and term ~<~ $2 order by length(term), term limit $3) as prefixed)
  select (select version from catalog_state) as version, p.prefixed,
         case when cardinality(p.prefixed) = 0
              then array(select term from search_terms where similarity(term, $1) >= 0.25 order by term <-> $1 limit $3)
              else '{}'::text[] end as close
    from p`);

/** `limit` completions and as many products for what a shopper has typed so far. */
export async function suggest(em: EntityManager, q: string, limit: number): Promise<Suggestions> {
  const words = wordsOf(q);
  const last = words.pop();
  if (last === undefined) {
    const [row] = await sqlRows<{ version: string }>(em, 'select version from catalog_state');
    return { version: Number(row.version), completions: [], products: [] };
  }
  // The first string after every string starting with `last`, in the byte order text_pattern_ops sorts by.
  const upper = last.slice(0, -1) + String.fromCodePoint((last.codePointAt(last.length - 1) ?? 0) + 1);
  const [row] = await sqlRows<{ version: string; prefixed: string[]; close: string[] }>(em, WORDS, [last, upper, limit]);
  const endings = row.prefixed.length ? row.prefixed : row.close;
  const stem = endings.length && !row.prefixed.length ? endings[0] : last;
  return {
    version: Number(row.version),
    completions: endings.map((w) => [...words, w].join(' ')),
    products: await productsMatching(em, [...words, stem], limit),
  };
}

const STEM = statement('search_suggest_stem', `select version, to_tsquery('english', $1)::text as q from catalog_state`);
const NEWEST = statement('search_suggest_products', `
  select c.card->>'handle' as handle, c.card->>'title' as title, c.card->'images'->0 as image, d.doc_no
    from search_documents d join search_cards c on c.product_id = d.product_id
   where d.doc_no = any($1::int[])`);

/** The newest `limit` products matching every word, the last one as a prefix. */
async function productsMatching(em: EntityManager, words: string[], limit: number): Promise<Suggestions['products']> {
  const quoted = words.map((w, i) => `'${w.replace(/'/g, "''")}'${i === words.length - 1 ? ':*' : ''}`).join(' & ');
  const [stemmed] = await sqlRows<{ version: string; q: string }>(em, STEM, [quoted]);
  let query: TsQuery | null;
  try {
    query = parseTsquery(stemmed.q);
  } catch (err) {
    // A hyphenated word (`t-shirt`) becomes a phrase, which needs word positions the copy does not keep.
    if (err instanceof UnsupportedQuery) return productsMatchingInDatabase(em, stemmed.q, limit);
    throw err;
  }
  if (query === null) return [];
  const { index } = await searchCopy(em, Number(stemmed.version));
  const newest = newestFirst(docsOf(index.text.match(query)), (d) => index.createdAt(d), limit);
  if (newest.length === 0) return [];
  const rows = await sqlRows<{ handle: string; title: string; image: StoredImage | null; doc_no: number }>(em, NEWEST, [newest]);
  const byDoc = new Map(rows.map((r) => [r.doc_no, r]));
  // A product taken down since the copy was read has no card any more: one suggestion fewer, never a wrong one.
  return newest.flatMap((d) => {
    const r = byDoc.get(d);
    return r ? [{ handle: r.handle, title: r.title, image: r.image }] : [];
  });
}

/** The newest products matching a tsquery PostgreSQL normalised, by its full-text index (phrases). */
function productsMatchingInDatabase(em: EntityManager, query: string, limit: number): Promise<Suggestions['products']> {
  return sqlRows<{ handle: string; title: string; image: StoredImage | null }>(em, `
    select c.card->>'handle' as handle, c.card->>'title' as title, c.card->'images'->0 as image
      from search_documents d join search_cards c on c.product_id = d.product_id
     where d.tsv @@ $1::tsquery
     order by d.created_at desc, d.doc_no desc
     limit $2`, [query, limit]);
}
