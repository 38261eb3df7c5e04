/**
 * The text half of the in-memory search: which published products a query's words are in, with
 * PostgreSQL still the judge of what a word is. A query is parsed and stemmed by PostgreSQL's own
 * `websearch_to_tsquery('english', …)` (one cheap statement, no table read) and arrives here as
 * tsquery text (`'leather' & !'red'`); this module evaluates it over an inverted index of the
 * search documents' lexemes (the tsvector of search_documents, with which weights each lexeme has),
 * kept beside the facet copy and brought up to date from the same versioned changes.
 *
 * Why: a common word matches a sixth of the catalog, and PostgreSQL then visits every matching
 * row (a bitmap heap scan over search_documents, then a title check per row): about 8 ms of its
 * CPU for 16,000 matches at 100,000 products (docs/performance.md). Here a word is a posting list
 * turned into a bitset, a few microseconds per thousand matches.
 *
 * What is evaluated here is what websearch_to_tsquery produces without phrases: lexemes, `&`, `|`,
 * `!`, parentheses, and weight restrictions (`'merino':A`, the title check), and prefixes (`:*`, the
 * suggestions' unfinished word). A phrase (`<->`, from quotes or a hyphenated word) needs positions
 * this index does not keep: parseTsquery throws UnsupportedQuery and the caller asks PostgreSQL.
 */

/** Weights as bits: A (titles) 1, B (descriptions) 2, C (taxonomy, options) 4, D 8. */
export const WEIGHT = { A: 1, B: 2, C: 4, D: 8 } as const;
const ANY_WEIGHT = 15;

export type TsQuery =
  /** `prefix`: every lexeme starting with `lexeme` (`'meri':*`), as a shopper's unfinished word. */
  | { op: 'term'; lexeme: string; weights: number; prefix?: boolean }
  | { op: 'not'; arg: TsQuery }
  | { op: 'and' | 'or'; left: TsQuery; right: TsQuery };

/** A query this index cannot answer (a phrase): PostgreSQL evaluates it. */
export class UnsupportedQuery extends Error {}

/**
 * tsquery text as PostgreSQL prints it, to a tree; null for the empty query (only stop words),
 * which matches nothing. Precedence as PostgreSQL's: `!` binds tightest, then `&`, then `|`.
 */
export function parseTsquery(text: string): TsQuery | null {
  let i = 0;
  const skip = () => { while (text[i] === ' ') i++; };
  const fail = (what: string): never => { throw new Error(`unexpected tsquery text at ${i} (${what}): ${text}`); };
  const primary = (): TsQuery => {
    skip();
    if (text[i] === '!') { i++; return { op: 'not', arg: primary() }; }
    if (text[i] === '(') {
      i++;
      const inner = or();
      skip();
      if (text[i] !== ')') fail('missing )');
      i++;
      return inner;
    }
    if (text[i] !== "'") fail('expected a lexeme');
    let lexeme = '';
    for (i++; ; i++) {
      if (i >= text.length) fail('unterminated lexeme');
      if (text[i] === "'" && text[i + 1] === "'") { lexeme += "'"; i++; continue; }
      if (text[i] === '\\' && i + 1 < text.length) { lexeme += text[++i]; continue; }
      if (text[i] === "'") { i++; break; }
      lexeme += text[i];
    }
    let weights = 0;
    let prefix = false;
    if (text[i] === ':') {
      for (i++; /[ABCD*]/i.test(text[i] ?? ''); i++) {
        if (text[i] === '*') prefix = true;
        else weights |= WEIGHT[text[i].toUpperCase() as keyof typeof WEIGHT];
      }
    }
    return prefix ? { op: 'term', lexeme, weights: weights || ANY_WEIGHT, prefix } : { op: 'term', lexeme, weights: weights || ANY_WEIGHT };
  };
  const and = (): TsQuery => {
    let left = primary();
    for (;;) {
      skip();
      if (text[i] === '<') throw new UnsupportedQuery('phrase');
      if (text[i] !== '&') return left;
      i++;
      left = { op: 'and', left, right: primary() };
    }
  };
  const or = (): TsQuery => {
    let left = and();
    for (;;) {
      skip();
      if (text[i] !== '|') return left;
      i++;
      left = { op: 'or', left, right: and() };
    }
  };
  skip();
  if (i >= text.length) return null;
  const tree = or();
  skip();
  if (i < text.length) fail('trailing text');
  return tree;
}

/**
 * A tsvector as PostgreSQL prints it (`'leather':3A,9 'merino':1A 'wool'`), to each lexeme's weights
 * as bits: a position's letter names its weight (none is D), and a lexeme without positions counts
 * under every weight, as PostgreSQL's own weight-restricted match treats it. Quotes and backslashes
 * inside a lexeme are printed doubled. Reading the text form costs PostgreSQL nothing; unnesting
 * every document into JSON cost it most of a copy's load.
 */
export function parseTsvector(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  eachTsvectorLexeme(text, (lexeme, weights) => { out[lexeme] = weights; });
  return out;
}

/** parseTsvector's reading, each lexeme handed to `visit` as it is read. */
export function eachTsvectorLexeme(text: string, visit: (lexeme: string, weights: number) => void): void {
  let i = 0;
  const n = text.length;
  while (i < n) {
    if (text.charCodeAt(i) === 32) { i++; continue; }
    if (text[i] !== "'") throw new Error(`unexpected tsvector text at ${i}: ${text.slice(i, i + 40)}`);
    let lexeme = '';
    let from = ++i;
    for (;; i++) {
      if (i >= n) throw new Error(`unterminated lexeme in tsvector text: ${text.slice(from - 1, from + 40)}`);
      const c = text[i];
      if ((c === "'" || c === '\\') && text[i + 1] === c) { lexeme += text.slice(from, i + 1); from = i + 2; i++; continue; }
      if (c === "'") break;
    }
    lexeme += text.slice(from, i++);
    let weights = 0;
    if (text[i] === ':') {
      // Each position is digits, then its weight's letter unless it is D.
      let lettered = false;
      for (i++; i < n && text.charCodeAt(i) !== 32; i++) {
        const c = text.charCodeAt(i);
        if (c === 44) { if (!lettered) weights |= WEIGHT.D; lettered = false; } // ','
        else if (c >= 65 && c <= 67) { weights |= 1 << (c - 65); lettered = true; } // A, B, C: 1, 2, 4
      }
      if (!lettered) weights |= WEIGHT.D;
    } else {
      weights = ANY_WEIGHT;
    }
    visit(lexeme, weights);
  }
}

/** The same query with every lexeme restricted to titles (weight A): how relevance tells title matches first. */
export function inTitles(q: TsQuery): TsQuery {
  switch (q.op) {
    case 'term': return { ...q, weights: q.weights & WEIGHT.A };
    case 'not': return { op: 'not', arg: inTitles(q.arg) };
    default: return { op: q.op, left: inTitles(q.left), right: inTitles(q.right) };
  }
}

/** One lexeme's documents: appended on every write of a document; an entry is current while its generation is the document's. */
interface Postings { docs: Int32Array; gens: Uint32Array; weights: Uint8Array; n: number; liveAtCompaction: number }

/**
 * Lexeme → documents. A document's write bumps its generation and appends it to each of its
 * lexemes' lists; older entries are skipped and compacted away when a list is read or has doubled,
 * so a write costs one append per lexeme, never a search through long lists.
 */
export class TextIndex {
  private postings = new Map<string, Postings>();
  /** Every lexeme in code-unit order, for prefixes; made again when a new lexeme arrives. */
  private lexicon: string[] | null = null;
  private gen = new Uint32Array(0);
  /** Bit d: document d is in the index. */
  private alive = new Uint32Array(0);

  /** Index `docNo` with its lexemes, each with its weights as bits (WEIGHT), in place of what it had. */
  put(docNo: number, lexemes: Record<string, number>): void {
    const g = this.begin(docNo);
    for (const [lexeme, weights] of Object.entries(lexemes)) this.append(lexeme, weights, docNo, g);
  }

  /** put() from a tsvector as PostgreSQL prints it, without building its lexemes' object first (a whole catalog's load). */
  putTsvector(docNo: number, text: string): void {
    const g = this.begin(docNo);
    eachTsvectorLexeme(text, (lexeme, weights) => this.append(lexeme, weights, docNo, g));
  }

  /** A new generation of `docNo`: what it had before no longer matches. */
  private begin(docNo: number): number {
    this.grow(docNo + 1);
    this.alive[docNo >>> 5] |= 1 << (docNo & 31);
    return ++this.gen[docNo];
  }

  private append(lexeme: string, weights: number, docNo: number, g: number): void {
    let p = this.postings.get(lexeme);
    if (!p) {
      p = { docs: new Int32Array(4), gens: new Uint32Array(4), weights: new Uint8Array(4), n: 0, liveAtCompaction: 0 };
      this.postings.set(lexeme, p);
      this.lexicon = null;
    }
    if (p.n === p.docs.length) {
      if (p.n >= 2 * p.liveAtCompaction + 16) this.compact(p);
      if (p.n === p.docs.length) this.enlarge(p);
    }
    p.docs[p.n] = docNo;
    p.gens[p.n] = g;
    p.weights[p.n] = weights;
    p.n++;
  }

  remove(docNo: number): void {
    if (docNo >= this.gen.length) return;
    this.gen[docNo]++;
    this.alive[docNo >>> 5] &= ~(1 << (docNo & 31));
  }

  /** The documents matching `q`, as a bitset (bit d of word d >>> 5). */
  match(q: TsQuery): Uint32Array {
    switch (q.op) {
      case 'term': {
        if (!q.prefix) return this.term(q.lexeme, q.weights);
        const out = new Uint32Array(this.alive.length);
        for (const lexeme of this.startingWith(q.lexeme)) this.term(lexeme, q.weights, out);
        return out;
      }
      case 'not': {
        const out = this.match(q.arg);
        for (let w = 0; w < out.length; w++) out[w] = ~out[w] & this.alive[w];
        return out;
      }
      case 'and': case 'or': {
        const left = this.match(q.left);
        const right = this.match(q.right);
        if (q.op === 'and') for (let w = 0; w < left.length; w++) left[w] &= right[w];
        else for (let w = 0; w < left.length; w++) left[w] |= right[w];
        return left;
      }
    }
  }

  /** The lexemes starting with `prefix`, in code-unit order. */
  startingWith(prefix: string): string[] {
    this.lexicon ??= [...this.postings.keys()].sort();
    const words = this.lexicon;
    let lo = 0;
    let hi = words.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (words[mid] < prefix) lo = mid + 1;
      else hi = mid;
    }
    let end = lo;
    while (end < words.length && words[end].startsWith(prefix)) end++;
    return words.slice(lo, end);
  }

  private term(lexeme: string, weights: number, out = new Uint32Array(this.alive.length)): Uint32Array {
    const p = this.postings.get(lexeme);
    if (!p) return out;
    let stale = 0;
    for (let i = 0; i < p.n; i++) {
      const d = p.docs[i];
      if (p.gens[i] !== this.gen[d]) { stale++; continue; }
      if (p.weights[i] & weights) out[d >>> 5] |= 1 << (d & 31);
    }
    if (stale * 2 > p.n) this.compact(p);
    return out;
  }

  private compact(p: Postings): void {
    let n = 0;
    for (let i = 0; i < p.n; i++) {
      if (p.gens[i] !== this.gen[p.docs[i]]) continue;
      p.docs[n] = p.docs[i];
      p.gens[n] = p.gens[i];
      p.weights[n] = p.weights[i];
      n++;
    }
    p.n = n;
    p.liveAtCompaction = n;
  }

  private enlarge(p: Postings): void {
    const size = p.docs.length * 2;
    const docs = new Int32Array(size);
    const gens = new Uint32Array(size);
    const weights = new Uint8Array(size);
    docs.set(p.docs);
    gens.set(p.gens);
    weights.set(p.weights);
    Object.assign(p, { docs, gens, weights });
  }

  private grow(size: number): void {
    if (size <= this.gen.length) return;
    const capacity = Math.max(size, Math.ceil(this.gen.length * 1.5), 1024);
    const gen = new Uint32Array(capacity);
    gen.set(this.gen);
    this.gen = gen;
    const alive = new Uint32Array(Math.ceil(capacity / 32));
    alive.set(this.alive);
    this.alive = alive;
  }
}

/** The documents of a bitset, ascending. */
export function docsOf(bits: Uint32Array): Int32Array {
  let n = 0;
  for (let w = 0; w < bits.length; w++) n += popcount(bits[w]);
  const out = new Int32Array(n);
  let k = 0;
  for (let w = 0; w < bits.length; w++) {
    let word = bits[w];
    while (word !== 0) {
      const low = word & -word;
      out[k++] = (w << 5) + 31 - Math.clz32(low);
      word ^= low;
    }
  }
  return out;
}

export function hasBit(bits: Uint32Array, d: number): boolean {
  return ((bits[d >>> 5] >>> (d & 31)) & 1) === 1;
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}
