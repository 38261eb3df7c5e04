/**
 * The words of a shop's catalog: categories with their materials, items and care notes, and the
 * adjectives, collections, origins, features and praise product copy is made of. Generated
 * catalogs (the benchmarks, `npm run seed -- --products N`) draw from them with a seeded PRNG, so
 * every run makes the same products, and full-text search has real work to do.
 */
/** mulberry32: tiny, fast, and good enough to pick words; the seed fixes the catalog. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Sizing = 'apparel' | 'shoes' | 'colour' | 'capacity' | 'single';
export interface Item { name: string; price: number; sizing: Sizing; uses: string[] }
export interface Category { name: string; materials: string[]; care: string[]; items: Item[] }

export const CATEGORIES: Category[] = [
  { name: 'apparel', care: ['Machine wash cold and line dry.', 'Hand wash only; it softens with every use.', 'Spot clean; do not tumble dry.'],
    materials: ['Organic Cotton', 'Merino Wool', 'Linen', 'Recycled Polyester', 'Cashmere', 'Denim', 'Flannel', 'Hemp', 'Corduroy', 'Waxed Canvas'], items: [
    { name: 'T-Shirt', price: 2500, sizing: 'apparel', uses: ['everyday wear', 'warm afternoons', 'layering'] },
    { name: 'Hoodie', price: 6500, sizing: 'apparel', uses: ['cool evenings', 'weekend errands', 'the studio'] },
    { name: 'Field Jacket', price: 14900, sizing: 'apparel', uses: ['city rain', 'autumn hikes', 'commuting'] },
    { name: 'Cardigan', price: 8900, sizing: 'apparel', uses: ['the office', 'layering', 'chilly mornings'] },
    { name: 'Overshirt', price: 7900, sizing: 'apparel', uses: ['layering', 'workshop days', 'travel'] },
    { name: 'Chinos', price: 6900, sizing: 'apparel', uses: ['the office', 'dinner out', 'travel'] },
    { name: 'Shorts', price: 3900, sizing: 'apparel', uses: ['summer days', 'the beach', 'hot commutes'] },
    { name: 'Crew Socks', price: 1400, sizing: 'apparel', uses: ['long walks', 'everyday wear', 'hiking'] },
    { name: 'Beanie', price: 2400, sizing: 'single', uses: ['cold mornings', 'ski trips', 'winter commutes'] },
    { name: 'Scarf', price: 3900, sizing: 'colour', uses: ['windy days', 'spring evenings', 'gifting'] },
  ] },
  { name: 'footwear', care: ['Brush off dirt and air dry away from heat.', 'Condition the leather each season.'],
    materials: ['Full-Grain Leather', 'Suede', 'Recycled Rubber', 'Canvas', 'Nubuck'], items: [
    { name: 'Trail Runner', price: 12900, sizing: 'shoes', uses: ['rocky trails', 'wet forests', 'race day'] },
    { name: 'Chelsea Boot', price: 18900, sizing: 'shoes', uses: ['city streets', 'dinner out', 'rainy seasons'] },
    { name: 'Sneaker', price: 9900, sizing: 'shoes', uses: ['everyday wear', 'travel', 'weekend errands'] },
    { name: 'Sandal', price: 5900, sizing: 'shoes', uses: ['the beach', 'summer days', 'holidays'] },
    { name: 'Slipper', price: 4900, sizing: 'shoes', uses: ['lazy Sundays', 'cold floors', 'gifting'] },
  ] },
  { name: 'kitchen', care: ['Dishwasher safe.', 'Season after each use to keep it non-stick.', 'Oil the wood twice a year.', 'Hand wash in warm soapy water.'],
    materials: ['Cast Iron', 'Stainless Steel', 'Stoneware', 'Ceramic', 'Borosilicate Glass', 'Olive Wood', 'Enamelled Steel', 'Copper'], items: [
    { name: 'Skillet', price: 5900, sizing: 'capacity', uses: ['searing steaks', 'crispy potatoes', 'campfire cooking'] },
    { name: 'Dutch Oven', price: 12900, sizing: 'capacity', uses: ['slow braises', 'sourdough bread', 'weeknight stews'] },
    { name: 'Coffee Mug', price: 1800, sizing: 'colour', uses: ['morning coffee', 'tea breaks', 'gifting'] },
    { name: 'Pour-Over Kettle', price: 6900, sizing: 'single', uses: ['pour-over coffee', 'green tea', 'the office'] },
    { name: 'Serving Bowl', price: 3400, sizing: 'capacity', uses: ['family dinners', 'salads', 'entertaining'] },
    { name: 'Cutting Board', price: 4500, sizing: 'capacity', uses: ['meal prep', 'cheese boards', 'entertaining'] },
    { name: 'Teapot', price: 4900, sizing: 'colour', uses: ['afternoon tea', 'loose-leaf tea', 'gifting'] },
    { name: 'Saucepan', price: 7400, sizing: 'capacity', uses: ['sauces', 'porridge', 'weeknight pasta'] },
  ] },
  { name: 'home', care: ['Machine wash cold and line dry.', 'Wipe clean with a damp cloth.', 'Trim the wick before each burn.', 'Vacuum gently; spot clean spills.'],
    materials: ['Linen', 'Organic Cotton', 'Wool', 'Rattan', 'Walnut', 'Oak', 'Jute', 'Velvet', 'Soy Wax'], items: [
    { name: 'Throw Blanket', price: 8900, sizing: 'colour', uses: ['the sofa', 'reading nooks', 'cold nights'] },
    { name: 'Duvet Cover', price: 11900, sizing: 'capacity', uses: ['restful sleep', 'guest rooms', 'warm summers'] },
    { name: 'Cushion Cover', price: 2900, sizing: 'colour', uses: ['the sofa', 'reading nooks', 'the bedroom'] },
    { name: 'Scented Candle', price: 3200, sizing: 'capacity', uses: ['quiet evenings', 'bathrooms', 'gifting'] },
    { name: 'Storage Basket', price: 3900, sizing: 'capacity', uses: ['laundry', 'toys', 'the entryway'] },
    { name: 'Side Table', price: 18900, sizing: 'single', uses: ['the living room', 'bedside', 'small flats'] },
    { name: 'Floor Rug', price: 24900, sizing: 'capacity', uses: ['hallways', 'the living room', 'cold floors'] },
  ] },
  { name: 'outdoor', care: ['Wipe clean with a damp cloth.', 'Dry fully before storing.', 'Reproof the fabric once a year.'],
    materials: ['Ripstop Nylon', 'Recycled Polyester', 'Aluminium', 'Titanium', 'Down', 'Waxed Canvas'], items: [
    { name: 'Daypack', price: 8900, sizing: 'capacity', uses: ['day hikes', 'commuting', 'travel'] },
    { name: 'Sleeping Bag', price: 21900, sizing: 'capacity', uses: ['alpine camping', 'festivals', 'backpacking'] },
    { name: 'Camping Stove', price: 7900, sizing: 'single', uses: ['backpacking', 'car camping', 'emergencies'] },
    { name: 'Water Bottle', price: 2900, sizing: 'capacity', uses: ['day hikes', 'the gym', 'the office'] },
    { name: 'Tent', price: 39900, sizing: 'capacity', uses: ['alpine camping', 'festivals', 'family trips'] },
    { name: 'Headlamp', price: 4400, sizing: 'colour', uses: ['night hikes', 'power cuts', 'camping'] },
  ] },
  { name: 'stationery', care: ['Wipe clean with a dry cloth.', 'Keep away from direct sunlight.'],
    materials: ['Recycled Paper', 'Vegetable-Tanned Leather', 'Brass', 'Bamboo', 'Cork'], items: [
    { name: 'Notebook', price: 1900, sizing: 'colour', uses: ['journaling', 'sketching', 'meeting notes'] },
    { name: 'Fountain Pen', price: 5900, sizing: 'colour', uses: ['journaling', 'letters', 'gifting'] },
    { name: 'Desk Organiser', price: 3400, sizing: 'single', uses: ['home offices', 'studios', 'tidy desks'] },
    { name: 'Wallet', price: 4900, sizing: 'colour', uses: ['everyday carry', 'travel', 'gifting'] },
    { name: 'Planner', price: 2600, sizing: 'colour', uses: ['busy weeks', 'goal setting', 'students'] },
  ] },
];

export const ADJECTIVES = ['Classic', 'Everyday', 'Heritage', 'Lightweight', 'Heavyweight', 'Rugged', 'Minimalist', 'Handcrafted',
  'Vintage', 'Modern', 'Compact', 'Oversized', 'Packable', 'Insulated', 'Waterproof', 'Breathable', 'Artisan', 'Nordic',
  'Coastal', 'Alpine', 'Urban', 'Studio', 'Essential', 'Premium', 'Weekend', 'Expedition', 'Signature', 'Relaxed'];
export const COLLECTIONS = ['Harbour', 'Fjord', 'Juniper', 'Meridian', 'Sierra', 'Ember', 'Tundra', 'Willow', 'Basalt', 'Saffron',
  'Cedar', 'Drift', 'Lumen', 'Moss', 'Orchard', 'Quarry', 'Atlas', 'Halcyon', 'Kestrel', 'Marlow'];
export const ORIGINS = ['Portugal', 'Japan', 'Scotland', 'Italy', 'Vermont', 'Peru', 'Sweden', 'Oaxaca', 'Yorkshire', 'Kyoto'];
export const FEATURES = ['double-stitched seams', 'a lifetime repair guarantee', 'naturally dyed colours', 'a water-repellent finish',
  'reinforced corners', 'a brushed interior', 'hand-finished edges', 'riveted stress points', 'an ergonomic handle',
  'a non-toxic coating', 'plastic-free packaging', 'a modular design', 'hidden pockets', 'an adjustable strap',
  'a low-waste pattern', 'fair-trade certified production', 'a machine-washable build', 'a slim profile'];
export const PRAISE = ['Built to last for decades', 'A customer favourite since our first season', 'Designed in our Lisbon studio',
  'Made in small batches', 'Limited edition', 'Ethically sourced from family-run suppliers', 'Bestseller',
  'Carbon-neutral shipping', 'A thoughtful gift for someone who has everything'];
export const COLOURS = [['BLK', 'Black'], ['NAV', 'Navy'], ['OAT', 'Oatmeal'], ['OLV', 'Olive'], ['RST', 'Rust'], ['SKY', 'Sky Blue'],
  ['CHR', 'Charcoal'], ['SND', 'Sand'], ['FOR', 'Forest Green'], ['TER', 'Terracotta']] as const;
export const SIZES: Record<Exclude<Sizing, 'colour' | 'single'>, string[]> = {
  apparel: ['XS', 'S', 'M', 'L', 'XL'], shoes: ['38', '39', '40', '41', '42', '43', '44', '45'], capacity: ['SMALL', 'MEDIUM', 'LARGE'],
};


export interface ProductCopy { category: Category; item: Item; material: string; adjective: string; collection: string | null; title: string; description: string }

/** A product's category, item, material, title and description, drawn from `rand` (always in the same order, so a seed fixes them). */
export function productCopy(rand: () => number): ProductCopy {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const twoOf = (xs: string[]): string => {
    const i = Math.floor(rand() * xs.length);
    return `${xs[i]} and ${xs[(i + 1 + Math.floor(rand() * (xs.length - 1))) % xs.length]}`;
  };
  const category = pick(CATEGORIES);
  const item = pick(category.items);
  const material = pick(category.materials);
  const adjective = pick(ADJECTIVES);
  const collection = rand() < 0.4 ? pick(COLLECTIONS) : null;
  const title = `${collection ? `${collection} ` : ''}${adjective} ${material} ${item.name}`;
  const description = [
    `${rand() < 0.5 ? article(adjective) : 'Our'} ${adjective.toLowerCase()} ${item.name.toLowerCase()} in ${material.toLowerCase()}, made for ${twoOf(item.uses)}.`,
    `It features ${pick(FEATURES)} and ${pick(FEATURES)}.`,
    rand() < 0.5 ? `Made in ${pick(ORIGINS)}.` : '',
    rand() < 0.6 ? `${pick(PRAISE)}.` : '',
    pick(category.care),
  ].filter(Boolean).join(' ');
  return { category, item, material, adjective, collection, title, description };
}

const article = (word: string) => (/^[AEIOU]/.test(word) ? 'An' : 'A');
