/**
 * The storefront traffic bench:catalog replays: what shoppers type (one and two words, now and
 * then misspelt) with a filter or two of what a listing page offers (a category, a collection, a
 * brand or material, a price range, in stock), in the sorts a storefront offers. Deterministic
 * (a seeded PRNG): every run sends the same requests.
 */
import { benchTaxonomy, prng } from '../lib/catalog';

/** Words that name items, materials, uses and collections of the bench catalog (bench/lib/catalog.ts), as shoppers type them. */
const ONE_WORD = ['jacket', 'merino', 'linen', 'hoodie', 'boot', 'skillet', 'candle', 'blanket', 'tent', 'notebook', 'wallet', 'mug',
  'teapot', 'wool', 'leather', 'cashmere', 'denim', 'rug', 'sneaker', 'scarf', 'socks', 'waterproof', 'vintage', 'handcrafted', 'travel',
  'hiking', 'coffee', 'camping', 'kyoto', 'juniper', 'copper', 'oak', 'walnut', 'canvas', 'beanie', 'sandal', 'planner', 'kettle'];
const TWO_WORDS = ['merino hoodie', 'leather boot', 'cast iron', 'linen shirt', 'wool socks', 'coffee mug', 'sleeping bag', 'trail runner',
  'throw blanket', 'fountain pen', 'side table', 'organic cotton', 'waxed canvas', 'dutch oven', 'scented candle', 'water bottle',
  'field jacket', 'floor rug', 'suede sneaker', 'alpine tent', 'rugged daypack', 'olive wood', 'ceramic teapot', 'nordic cardigan'];
/** Typos a shopper makes: each finds nothing as typed, then its correction (pg_trgm over the catalog's words). */
const MISSPELT = ['meirno', 'lether boot', 'cashmire', 'hodie', 'blanekt', 'skilet', 'sneakr', 'notebok', 'jackett', 'tee pot'];
const BRANDS = ['Northwind', 'Fjordline', 'Harbour & Co', 'Ostara', 'Loam', 'Ferro', 'Westerly', 'Birchmark'];
const MATERIALS = ['Merino Wool', 'Linen', 'Organic Cotton', 'Full-Grain Leather', 'Cast Iron', 'Stoneware', 'Oak', 'Ripstop Nylon'];
const SORTS = ['relevance', 'relevance', 'relevance', 'price_asc', 'price_desc', 'newest'];

export interface MixRequest { path: string; q: string; kind: 'one word' | 'two words' | 'misspelt' }

/**
 * `count` distinct search requests (without the facets flag: the caller adds facets=true or not).
 * Every one has a query and one or two filters; about 5% are misspelt.
 */
export function searchMix(count: number, seed = 17): MixRequest[] {
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const taxonomy = benchTaxonomy();
  const departments = taxonomy.categories.filter((c) => c.parent === null).map((c) => c.handle);
  const itemTypes = taxonomy.categories.filter((c) => c.parent !== null && c.parent.includes('-')).map((c) => c.handle);
  const filters: (() => string)[] = [
    () => `category=${pick(departments)}`,
    () => `category=${pick(itemTypes)}`,
    () => `collection=${pick(taxonomy.collections).handle}`,
    () => `attribute=${encodeURIComponent(`brand:${pick(BRANDS)}`)}`,
    () => `attribute=${encodeURIComponent(`material:${pick(MATERIALS)}`)}`,
    () => { const low = 1000 * Math.floor(rand() * 8); return `priceMin=${low}&priceMax=${low + 5000 + 1000 * Math.floor(rand() * 10)}`; },
    () => 'inStock=true',
  ];
  const out: MixRequest[] = [];
  for (let n = 0; n < count; n++) {
    const roll = rand();
    const kind = roll < 0.05 ? 'misspelt' : roll < 0.55 ? 'one word' : 'two words';
    const q = pick(kind === 'misspelt' ? MISSPELT : kind === 'one word' ? ONE_WORD : TWO_WORDS);
    const first = pick(filters);
    let second = rand() < 0.5 ? pick(filters) : undefined;
    if (second === first) second = undefined;
    const sort = pick(SORTS);
    const parts = [`q=${encodeURIComponent(q)}`, first(), ...(second ? [second()] : []), ...(sort === 'relevance' ? [] : [`sort=${sort}`]),
      ...(rand() < 0.2 ? ['currency=EUR'] : [])];
    out.push({ path: `/products?${parts.join('&')}`, q, kind });
  }
  return out;
}
