/**
 * The in-memory text match (src/domain/search-text.ts): tsquery text as PostgreSQL prints it,
 * parsed; random documents and random queries evaluated against a brute-force oracle written here,
 * through rewrites and removals of documents. Seeded, so a failure repeats. That the parse and the
 * evaluation agree with PostgreSQL's own `@@` is checked in test/api/search.test.ts.
 */
import { prng } from '../../src/db/catalog-vocabulary';
import { docsOf, hasBit, inTitles, parseTsquery, TextIndex, UnsupportedQuery, WEIGHT, type TsQuery } from '../../src/domain/search-text';

const WORDS = ['merino', 'wool', 'linen', 'hoodi', 'boot', "o'brien", 'leather', 'red', 'oak', 'mug'];

function holds(q: TsQuery, lexemes: Record<string, number>): boolean {
  switch (q.op) {
    case 'term': return q.prefix
      ? Object.entries(lexemes).some(([lexeme, weights]) => lexeme.startsWith(q.lexeme) && (weights & q.weights) !== 0)
      : ((lexemes[q.lexeme] ?? 0) & q.weights) !== 0;
    case 'not': return !holds(q.arg, lexemes);
    case 'and': return holds(q.left, lexemes) && holds(q.right, lexemes);
    case 'or': return holds(q.left, lexemes) || holds(q.right, lexemes);
  }
}

function randomQuery(rand: () => number, depth = 0): TsQuery {
  const roll = rand();
  if (depth > 2 || roll < 0.4) {
    const word = WORDS[Math.floor(rand() * WORDS.length)];
    const weights = rand() < 0.2 ? WEIGHT.A : 15;
    // An unfinished word, as suggestions send it: one to three letters of a catalog word.
    if (rand() < 0.2) return { op: 'term', lexeme: word.slice(0, 1 + Math.floor(rand() * 3)), weights, prefix: true };
    return { op: 'term', lexeme: word, weights };
  }
  if (roll < 0.55) return { op: 'not', arg: randomQuery(rand, depth + 1) };
  return { op: rand() < 0.5 ? 'and' : 'or', left: randomQuery(rand, depth + 1), right: randomQuery(rand, depth + 1) };
}

/** As PostgreSQL prints a tsquery: quoted lexemes, weights after a colon, parentheses where precedence needs them. */
function print(q: TsQuery, parent = 0): string {
  const rank = { or: 1, and: 2, not: 3, term: 4 }[q.op];
  let out: string;
  switch (q.op) {
    case 'term': out = `'${q.lexeme.replace(/'/g, "''")}'${q.prefix || q.weights === WEIGHT.A ? ':' : ''}${q.prefix ? '*' : ''}${q.weights === WEIGHT.A ? 'A' : ''}`; break;
    case 'not': out = `!${print(q.arg, 3)}`; break;
    default: out = `${print(q.left, rank)} ${q.op === 'and' ? '&' : '|'} ${print(q.right, rank + 1)}`;
  }
  return rank < parent ? `( ${out} )` : out;
}

describe('tsquery text', () => {
  it('parses what websearch_to_tsquery prints, with PostgreSQL\'s precedence', () => {
    expect(parseTsquery("'merino' & 'hoodi'")).toEqual({ op: 'and',
      left: { op: 'term', lexeme: 'merino', weights: 15 }, right: { op: 'term', lexeme: 'hoodi', weights: 15 } });
    expect(parseTsquery("'a' | 'b' & !'c'")).toEqual({ op: 'or', left: { op: 'term', lexeme: 'a', weights: 15 },
      right: { op: 'and', left: { op: 'term', lexeme: 'b', weights: 15 }, right: { op: 'not', arg: { op: 'term', lexeme: 'c', weights: 15 } } } });
    expect(parseTsquery("( 'a' | 'b' ) & 'c':AB")).toEqual({ op: 'and',
      left: { op: 'or', left: { op: 'term', lexeme: 'a', weights: 15 }, right: { op: 'term', lexeme: 'b', weights: 15 } },
      right: { op: 'term', lexeme: 'c', weights: WEIGHT.A | WEIGHT.B } });
    expect(parseTsquery("'o''brien'")).toEqual({ op: 'term', lexeme: "o'brien", weights: 15 });
    expect(parseTsquery('')).toBeNull();
  });

  it('leaves phrases to PostgreSQL and reads prefixes', () => {
    expect(() => parseTsquery("'t-shirt' <-> 't' <-> 'shirt'")).toThrow(UnsupportedQuery);
    expect(() => parseTsquery("'merino' & ( 'wool' <2> 'hoodi' )")).toThrow(UnsupportedQuery);
    expect(parseTsquery("'meri':*")).toEqual({ op: 'term', lexeme: 'meri', weights: 15, prefix: true });
    expect(parseTsquery("'wool' & 'meri':*A")).toEqual({ op: 'and', left: { op: 'term', lexeme: 'wool', weights: 15 },
      right: { op: 'term', lexeme: 'meri', weights: WEIGHT.A, prefix: true } });
  });

  it('prints and parses back every random query unchanged', () => {
    const rand = prng(3);
    for (let n = 0; n < 300; n++) {
      const q = randomQuery(rand);
      expect(parseTsquery(print(q))).toEqual(q);
    }
  });
});

describe('the text index', () => {
  it('matches what the oracle matches, titles and prefixes apart, through rewrites and removals', () => {
    const rand = prng(17);
    const index = new TextIndex();
    const docs = new Map<number, Record<string, number>>();
    const write = (docNo: number) => {
      const lexemes: Record<string, number> = {};
      for (const w of WORDS) if (rand() < 0.3) lexemes[w] = 1 + Math.floor(rand() * 15);
      // Now and then a word no document had: prefixes must find words that arrive after the lexicon was first sorted.
      if (rand() < 0.05) lexemes[`mer${docNo}`] = 1 + Math.floor(rand() * 15);
      docs.set(docNo, lexemes);
      index.put(docNo, lexemes);
    };
    for (let d = 0; d < 400; d++) write(d * 3 + 1);
    for (let round = 0; round < 6; round++) {
      for (const q of Array.from({ length: 50 }, () => randomQuery(rand))) {
        const expected = [...docs].filter(([, lexemes]) => holds(q, lexemes)).map(([d]) => d).sort((a, b) => a - b);
        expect([...docsOf(index.match(q))]).toEqual(expected);
        const titles = index.match(inTitles(q));
        const expectedTitles = [...docs].filter(([, lexemes]) => holds(inTitles(q), lexemes)).map(([d]) => d);
        expect(expectedTitles.every((d) => hasBit(titles, d))).toBe(true);
        expect(docsOf(titles).length).toBe(expectedTitles.length);
      }
      // A catalog's day: some documents rewritten (new words, old ones gone), some taken down, some added.
      for (const d of [...docs.keys()]) {
        const roll = rand();
        if (roll < 0.2) write(d);
        else if (roll < 0.3) { docs.delete(d); index.remove(d); }
      }
      for (let k = 0; k < 40; k++) write(1200 + round * 40 + k);
    }
  });

  it('drops a document\'s old words when it is rewritten, even after many rewrites', () => {
    const index = new TextIndex();
    const word = (w: string): TsQuery => ({ op: 'term', lexeme: w, weights: 15 });
    for (let n = 0; n < 100; n++) index.put(7, { [`word${n}`]: WEIGHT.A, common: WEIGHT.B });
    expect([...docsOf(index.match(word('word98')))]).toEqual([]);
    expect([...docsOf(index.match(word('word99')))]).toEqual([7]);
    expect([...docsOf(index.match(word('common')))]).toEqual([7]);
    expect([...docsOf(index.match({ op: 'not', arg: word('common') }))]).toEqual([]);
    index.remove(7);
    expect([...docsOf(index.match(word('common')))]).toEqual([]);
    expect([...docsOf(index.match({ op: 'not', arg: word('nothing') }))]).toEqual([]);
  });
});
