/**
 * Suggestions as a shopper types: completions of the last word from the catalog's own words
 * (search_terms, by prefix; by trigram distance when nothing starts so, which catches a typo),
 * and the newest published products whose text matches the words so far, the last as a prefix.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlRows, statement } from '../db/sql';
import type { StoredImage } from './catalog';
import { wordsOf } from './search';

export interface Suggestions {
  version: number;
  completions: string[];
  products: { handle: string; title: string; image: StoredImage | null }[];
}

const WORDS = statement('search_suggest_words', `
  select (select version from catalog_state) as version,
         array(select term from search_terms where term ~>=~ $1 and term ~<~ $2 order by length(term), term limit $3) as prefixed,
         array(select term from search_terms where similarity(term, $1) >= 0.25 order by term <-> $1 limit $3) as close`);

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

/**
 * The tsquery is built here and normalised by PostgreSQL in the same statement as the search, as
 * an unnamed statement: planned with the query's own selectivity, so a common prefix walks the
 * newest products until it has enough and a rare one looks its few matches up in the index.
 */
async function productsMatching(em: EntityManager, words: string[], limit: number): Promise<Suggestions['products']> {
  const quoted = words.map((w, i) => `'${w.replace(/'/g, "''")}'${i === words.length - 1 ? ':*' : ''}`).join(' & ');
  const [normalised] = await sqlRows<{ q: string }>(em, `select to_tsquery('english', $1)::text as q`, [quoted]);
  if (!normalised.q) return [];
  return sqlRows<{ handle: string; title: string; image: StoredImage | null }>(em, `
    select c.card->>'handle' as handle, c.card->>'title' as title, c.card->'images'->0 as image
      from search_documents d join search_cards c on c.product_id = d.product_id
     where d.tsv @@ $1::tsquery
     order by d.created_at desc, d.doc_no desc
     limit $2`, [normalised.q, limit]);
}
