/**
 * A deterministic catalog for the benchmarks (10,000 products for bench:api, 100,000 for
 * bench:catalog): varied titles and descriptions built from a shop's vocabulary, so full-text
 * search has real work to do (common words match thousands of products, rare ones a handful);
 * a category tree (department > group > item type), collections, the attributes brand, material,
 * colour and origin, the options Colour and Size, weights, and prices in USD and EUR. Seeded PRNGs
 * make every run load the same rows: titles, descriptions and variants come from one stream (the
 * same as before the taxonomy was added), everything filed and weighed from a second one.
 */
import type { SeedProduct, SeedVariant } from '../../src/db/seed';
import { CATEGORIES, COLLECTIONS, COLOURS, SIZES, prng, productCopy, type Item } from '../../src/db/catalog-vocabulary';

export { prng };

/** Fisher-Yates with a seeded PRNG: the same order on every run. */
export function shuffle<T>(xs: T[], seed: number): T[] {
  const rand = prng(seed);
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
const BRANDS = ['Northwind', 'Fjordline', 'Harbour & Co', 'Ostara', 'Kinfolk Supply', 'Tallow', 'Birchmark', 'Greyhaven', 'Loam',
  'Ferro', 'Westerly', 'Quill & Ink', 'Okapi', 'Sundial', 'Marram', 'Pennant'];
/** Size codes as option values: XS, 38, Small. */
const sizeValue = (size: string) => `${size.charAt(0)}${size.slice(1).toLowerCase()}`;
/** Weight of each size relative to the item's (grams are per item type). */
const SIZE_WEIGHT: Record<string, number> = { XS: 0.85, S: 0.92, M: 1, L: 1.08, XL: 1.15, SMALL: 0.7, MEDIUM: 1, LARGE: 1.4 };

/**
 * Queries the benchmark cycles through: single words common and rare, phrases, and websearch
 * syntax (quotes, exclusions, or), the way shoppers type them. The last one matches nothing.
 */
export const SEARCH_WORDS = ['jacket', 'merino', 'waterproof', 'linen', 'gift', 'cast iron skillet', 'hiking', 'coffee',
  'organic cotton', '"dutch oven"', 'leather -wallet', 'candle or blanket', 'travel', 'handcrafted', 'tea', 'kyoto',
  'sleeping bag', 'boots', 'repair guarantee', 'oak side table', 'wool socks', 'notebook', 'kestrel', 'camping stove', 'zeppelin'];

export interface BenchTaxonomy {
  categories: { handle: string; name: string; parent: string | null }[];
  collections: { handle: string; title: string }[];
  attributes: { code: string; name: string }[];
}

export interface BenchCatalog { products: SeedProduct[]; inStockSkus: string[]; taxonomy: BenchTaxonomy }

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
const groupHandle = (department: string, group: string) => `${department}-${slug(group)}`;

/** Departments, their groups and item types as a category tree; the collections and attributes products are filed under. */
export function benchTaxonomy(): BenchTaxonomy {
  const categories: BenchTaxonomy['categories'] = [];
  for (const c of CATEGORIES) {
    categories.push({ handle: c.name, name: c.name.charAt(0).toUpperCase() + c.name.slice(1), parent: null });
    for (const group of new Set(c.items.map((i) => i.group))) categories.push({ handle: groupHandle(c.name, group), name: group, parent: c.name });
    for (const item of c.items) categories.push({ handle: slug(item.name), name: item.name, parent: groupHandle(c.name, item.group) });
  }
  const collections = [
    ...COLLECTIONS.map((name) => ({ handle: slug(name), title: `The ${name} Collection` })),
    { handle: 'bestsellers', title: 'Bestsellers' }, { handle: 'gift-ideas', title: 'Gift Ideas' },
    { handle: 'new-arrivals', title: 'New Arrivals' }, { handle: 'sale', title: 'Sale' },
  ];
  const attributes = [{ code: 'brand', name: 'Brand' }, { code: 'material', name: 'Material' }, { code: 'colour', name: 'Colour' },
    { code: 'origin', name: 'Made in' }];
  return { categories, collections, attributes };
}

/**
 * The same products on every run for a given count: 10,000 make about 64,500 variants (54,000 of
 * them with >= 50 in stock), 100,000 about 645,000. Product n was created 10 minutes after product
 * n - 1, the last one on 2026-11-01, so "newest" has an order to follow.
 */
export function benchCatalog(count = 10_000, seed = 20261126): BenchCatalog {
  const rand = prng(seed);
  const filing = prng(seed ^ 0x5eed);
  const products: SeedProduct[] = [];
  const inStockSkus: string[] = [];
  const last = Date.UTC(2026, 10, 1);
  for (let n = 0; n < count; n++) {
    const { item, material, collection, title, description, opening, origin, praise } = productCopy(rand);
    const code = `P${n.toString(36).toUpperCase().padStart(4, '0')}`;
    const { options, variants, colours } = variantsFor(item, code, rand);
    for (const v of variants) if (v.onHand >= 50) inStockSkus.push(v.sku);
    const handle = slug(`${title}-${code}`);
    const collections = [
      ...(collection ? [slug(collection)] : []),
      ...(praise === 'Bestseller' ? ['bestsellers'] : []),
      ...(opening.includes('gifting') || filing() < 0.05 ? ['gift-ideas'] : []),
      ...(n >= count * 0.98 ? ['new-arrivals'] : []),
      ...(filing() < 0.08 ? ['sale'] : []),
    ];
    products.push({
      handle, title, description, options, variants, categories: [slug(item.name)], collections,
      attributes: { brand: [BRANDS[Math.floor(filing() * BRANDS.length)]], material: [material], colour: colours, ...(origin ? { origin: [origin] } : {}) },
      createdAt: new Date(last - (count - 1 - n) * 600_000),
    });
  }
  return { products, inStockSkus, taxonomy: benchTaxonomy() };
}

function variantsFor(item: Item, code: string, rand: () => number): { options: SeedProduct['options']; variants: SeedVariant[]; colours: string[] } {
  const colourCount = item.sizing === 'single' ? 1 : 1 + Math.floor(rand() * 3);
  const start = Math.floor(rand() * COLOURS.length);
  const colours = Array.from({ length: colourCount }, (_, i) => COLOURS[(start + i) % COLOURS.length]);
  const sizes = item.sizing === 'colour' || item.sizing === 'single' ? [''] : SIZES[item.sizing];
  const markup = 0.8 + rand() * 0.6;
  const variants = colours.flatMap(([c, colour]) => sizes.map((size) => ({
    sku: [code, c, size].filter(Boolean).join('-'),
    title: size ? `${colour} / ${sizeValue(size)}` : colour,
    options: item.sizing === 'single' ? undefined : { Colour: colour, ...(size ? { Size: sizeValue(size) } : {}) },
    prices: { USD: Math.round((item.price * markup) / 100) * 100 - 1, EUR: Math.round((item.price * markup * 0.92) / 100) * 100 - 1 },
    weightGrams: Math.round(item.grams * (SIZE_WEIGHT[size] ?? 1)),
    // About one variant in twelve is sold out, as in a real shop; the rest hold 5..500 units.
    onHand: rand() < 0.08 ? 0 : 5 + Math.floor(rand() * 496),
  })));
  const options = item.sizing === 'single' ? [] : [
    { name: 'Colour', values: colours.map(([, colour]) => colour) },
    ...(sizes[0] ? [{ name: 'Size', values: sizes.map(sizeValue) }] : []),
  ];
  return { options, variants, colours: colours.map(([, colour]) => colour) };
}
