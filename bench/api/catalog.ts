/**
 * A deterministic 10,000-product catalog for the API benchmark: varied titles and descriptions
 * built from a shop's vocabulary, so full-text search has real work to do (common words match
 * thousands of products, rare ones a handful). A seeded PRNG makes every run load the same rows.
 */
import type { SeedProduct, SeedVariant } from '../../src/db/seed';
import { COLOURS, SIZES, prng, productCopy, type Item } from '../../src/db/catalog-vocabulary';

export { prng };

/**
 * Queries the benchmark cycles through: single words common and rare, phrases, and websearch
 * syntax (quotes, exclusions, or), the way shoppers type them. The last one matches nothing.
 */
export const SEARCH_WORDS = ['jacket', 'merino', 'waterproof', 'linen', 'gift', 'cast iron skillet', 'hiking', 'coffee',
  'organic cotton', '"dutch oven"', 'leather -wallet', 'candle or blanket', 'travel', 'handcrafted', 'tea', 'kyoto',
  'sleeping bag', 'boots', 'repair guarantee', 'oak side table', 'wool socks', 'notebook', 'kestrel', 'camping stove', 'zeppelin'];

export interface BenchCatalog { products: SeedProduct[]; inStockSkus: string[] }

/** The same 10,000 products (about 64,000 variants, 54,000 of them with >= 50 in stock) on every run. */
export function benchCatalog(count = 10_000, seed = 20261126): BenchCatalog {
  const rand = prng(seed);
  const products: SeedProduct[] = [];
  const inStockSkus: string[] = [];
  for (let n = 0; n < count; n++) {
    const { item, title, description } = productCopy(rand);
    const code = `P${n.toString(36).toUpperCase().padStart(4, '0')}`;
    const variants = variantsFor(item, code, rand);
    for (const v of variants) if (v.onHand >= 50) inStockSkus.push(v.sku);
    const slug = `${title}-${code}`.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
    products.push({ handle: slug, title, description, variants });
  }
  return { products, inStockSkus };
}

function variantsFor(item: Item, code: string, rand: () => number): SeedVariant[] {
  const colourCount = item.sizing === 'single' ? 1 : 1 + Math.floor(rand() * 3);
  const start = Math.floor(rand() * COLOURS.length);
  const colours = Array.from({ length: colourCount }, (_, i) => COLOURS[(start + i) % COLOURS.length]);
  const sizes = item.sizing === 'colour' || item.sizing === 'single' ? [''] : SIZES[item.sizing];
  const markup = 0.8 + rand() * 0.6;
  return colours.flatMap(([c, colour]) => sizes.map((size) => ({
    sku: [code, c, size].filter(Boolean).join('-'),
    title: size ? `${colour} / ${size.charAt(0)}${size.slice(1).toLowerCase()}` : colour,
    prices: { USD: Math.round((item.price * markup) / 100) * 100 - 1, EUR: Math.round((item.price * markup * 0.92) / 100) * 100 - 1 },
    // About one variant in twelve is sold out, as in a real shop; the rest hold 5..500 units.
    onHand: rand() < 0.08 ? 0 : 5 + Math.floor(rand() * 496),
  })));
}
