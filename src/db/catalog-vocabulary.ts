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
/** An item type: its group in the category tree (Tops, Outerwear, …) and a typical weight in grams, for the generated catalogs' taxonomy and shipping. */
export interface Item { name: string; group: string; grams: number; price: number; sizing: Sizing; uses: string[] }
export interface Category { name: string; materials: string[]; care: string[]; items: Item[] }

export const CATEGORIES: Category[] = [
  { name: 'apparel', care: ['Machine wash cold and line dry.', 'Hand wash only; it softens with every use.', 'Spot clean; do not tumble dry.'],
    materials: ['Organic Cotton', 'Merino Wool', 'Linen', 'Recycled Polyester', 'Cashmere', 'Denim', 'Flannel', 'Hemp', 'Corduroy', 'Waxed Canvas'], items: [
    { name: 'T-Shirt', group: 'Tops', grams: 180, price: 2500, sizing: 'apparel', uses: ['everyday wear', 'warm afternoons', 'layering'] },
    { name: 'Hoodie', group: 'Tops', grams: 550, price: 6500, sizing: 'apparel', uses: ['cool evenings', 'weekend errands', 'the studio'] },
    { name: 'Field Jacket', group: 'Outerwear', grams: 900, price: 14900, sizing: 'apparel', uses: ['city rain', 'autumn hikes', 'commuting'] },
    { name: 'Cardigan', group: 'Tops', grams: 450, price: 8900, sizing: 'apparel', uses: ['the office', 'layering', 'chilly mornings'] },
    { name: 'Overshirt', group: 'Tops', grams: 400, price: 7900, sizing: 'apparel', uses: ['layering', 'workshop days', 'travel'] },
    { name: 'Chinos', group: 'Bottoms', grams: 500, price: 6900, sizing: 'apparel', uses: ['the office', 'dinner out', 'travel'] },
    { name: 'Shorts', group: 'Bottoms', grams: 250, price: 3900, sizing: 'apparel', uses: ['summer days', 'the beach', 'hot commutes'] },
    { name: 'Crew Socks', group: 'Accessories', grams: 80, price: 1400, sizing: 'apparel', uses: ['long walks', 'everyday wear', 'hiking'] },
    { name: 'Beanie', group: 'Accessories', grams: 90, price: 2400, sizing: 'single', uses: ['cold mornings', 'ski trips', 'winter commutes'] },
    { name: 'Scarf', group: 'Accessories', grams: 200, price: 3900, sizing: 'colour', uses: ['windy days', 'spring evenings', 'gifting'] },
  ] },
  { name: 'footwear', care: ['Brush off dirt and air dry away from heat.', 'Condition the leather each season.'],
    materials: ['Full-Grain Leather', 'Suede', 'Recycled Rubber', 'Canvas', 'Nubuck'], items: [
    { name: 'Trail Runner', group: 'Shoes', grams: 650, price: 12900, sizing: 'shoes', uses: ['rocky trails', 'wet forests', 'race day'] },
    { name: 'Chelsea Boot', group: 'Boots', grams: 1100, price: 18900, sizing: 'shoes', uses: ['city streets', 'dinner out', 'rainy seasons'] },
    { name: 'Sneaker', group: 'Shoes', grams: 700, price: 9900, sizing: 'shoes', uses: ['everyday wear', 'travel', 'weekend errands'] },
    { name: 'Sandal', group: 'Sandals and Slippers', grams: 400, price: 5900, sizing: 'shoes', uses: ['the beach', 'summer days', 'holidays'] },
    { name: 'Slipper', group: 'Sandals and Slippers', grams: 350, price: 4900, sizing: 'shoes', uses: ['lazy Sundays', 'cold floors', 'gifting'] },
  ] },
  { name: 'kitchen', care: ['Dishwasher safe.', 'Season after each use to keep it non-stick.', 'Oil the wood twice a year.', 'Hand wash in warm soapy water.'],
    materials: ['Cast Iron', 'Stainless Steel', 'Stoneware', 'Ceramic', 'Borosilicate Glass', 'Olive Wood', 'Enamelled Steel', 'Copper'], items: [
    { name: 'Skillet', group: 'Cookware', grams: 2300, price: 5900, sizing: 'capacity', uses: ['searing steaks', 'crispy potatoes', 'campfire cooking'] },
    { name: 'Dutch Oven', group: 'Cookware', grams: 5200, price: 12900, sizing: 'capacity', uses: ['slow braises', 'sourdough bread', 'weeknight stews'] },
    { name: 'Coffee Mug', group: 'Tableware', grams: 350, price: 1800, sizing: 'colour', uses: ['morning coffee', 'tea breaks', 'gifting'] },
    { name: 'Pour-Over Kettle', group: 'Coffee and Tea', grams: 800, price: 6900, sizing: 'single', uses: ['pour-over coffee', 'green tea', 'the office'] },
    { name: 'Serving Bowl', group: 'Tableware', grams: 900, price: 3400, sizing: 'capacity', uses: ['family dinners', 'salads', 'entertaining'] },
    { name: 'Cutting Board', group: 'Kitchen Tools', grams: 1400, price: 4500, sizing: 'capacity', uses: ['meal prep', 'cheese boards', 'entertaining'] },
    { name: 'Teapot', group: 'Coffee and Tea', grams: 700, price: 4900, sizing: 'colour', uses: ['afternoon tea', 'loose-leaf tea', 'gifting'] },
    { name: 'Saucepan', group: 'Cookware', grams: 1300, price: 7400, sizing: 'capacity', uses: ['sauces', 'porridge', 'weeknight pasta'] },
  ] },
  { name: 'home', care: ['Machine wash cold and line dry.', 'Wipe clean with a damp cloth.', 'Trim the wick before each burn.', 'Vacuum gently; spot clean spills.'],
    materials: ['Linen', 'Organic Cotton', 'Wool', 'Rattan', 'Walnut', 'Oak', 'Jute', 'Velvet', 'Soy Wax'], items: [
    { name: 'Throw Blanket', group: 'Textiles', grams: 1200, price: 8900, sizing: 'colour', uses: ['the sofa', 'reading nooks', 'cold nights'] },
    { name: 'Duvet Cover', group: 'Bedding', grams: 1500, price: 11900, sizing: 'capacity', uses: ['restful sleep', 'guest rooms', 'warm summers'] },
    { name: 'Cushion Cover', group: 'Textiles', grams: 300, price: 2900, sizing: 'colour', uses: ['the sofa', 'reading nooks', 'the bedroom'] },
    { name: 'Scented Candle', group: 'Decor', grams: 400, price: 3200, sizing: 'capacity', uses: ['quiet evenings', 'bathrooms', 'gifting'] },
    { name: 'Storage Basket', group: 'Decor', grams: 600, price: 3900, sizing: 'capacity', uses: ['laundry', 'toys', 'the entryway'] },
    { name: 'Side Table', group: 'Furniture', grams: 6500, price: 18900, sizing: 'single', uses: ['the living room', 'bedside', 'small flats'] },
    { name: 'Floor Rug', group: 'Textiles', grams: 4200, price: 24900, sizing: 'capacity', uses: ['hallways', 'the living room', 'cold floors'] },
  ] },
  { name: 'outdoor', care: ['Wipe clean with a damp cloth.', 'Dry fully before storing.', 'Reproof the fabric once a year.'],
    materials: ['Ripstop Nylon', 'Recycled Polyester', 'Aluminium', 'Titanium', 'Down', 'Waxed Canvas'], items: [
    { name: 'Daypack', group: 'Bags', grams: 700, price: 8900, sizing: 'capacity', uses: ['day hikes', 'commuting', 'travel'] },
    { name: 'Sleeping Bag', group: 'Camping', grams: 1300, price: 21900, sizing: 'capacity', uses: ['alpine camping', 'festivals', 'backpacking'] },
    { name: 'Camping Stove', group: 'Camping', grams: 450, price: 7900, sizing: 'single', uses: ['backpacking', 'car camping', 'emergencies'] },
    { name: 'Water Bottle', group: 'Hiking', grams: 380, price: 2900, sizing: 'capacity', uses: ['day hikes', 'the gym', 'the office'] },
    { name: 'Tent', group: 'Camping', grams: 2600, price: 39900, sizing: 'capacity', uses: ['alpine camping', 'festivals', 'family trips'] },
    { name: 'Headlamp', group: 'Hiking', grams: 90, price: 4400, sizing: 'colour', uses: ['night hikes', 'power cuts', 'camping'] },
  ] },
  { name: 'stationery', care: ['Wipe clean with a dry cloth.', 'Keep away from direct sunlight.'],
    materials: ['Recycled Paper', 'Vegetable-Tanned Leather', 'Brass', 'Bamboo', 'Cork'], items: [
    { name: 'Notebook', group: 'Paper', grams: 300, price: 1900, sizing: 'colour', uses: ['journaling', 'sketching', 'meeting notes'] },
    { name: 'Fountain Pen', group: 'Writing', grams: 40, price: 5900, sizing: 'colour', uses: ['journaling', 'letters', 'gifting'] },
    { name: 'Desk Organiser', group: 'Desk', grams: 800, price: 3400, sizing: 'single', uses: ['home offices', 'studios', 'tidy desks'] },
    { name: 'Wallet', group: 'Leather Goods', grams: 120, price: 4900, sizing: 'colour', uses: ['everyday carry', 'travel', 'gifting'] },
    { name: 'Planner', group: 'Paper', grams: 450, price: 2600, sizing: 'colour', uses: ['busy weeks', 'goal setting', 'students'] },
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


export interface ProductCopy {
  category: Category; item: Item; material: string; adjective: string; collection: string | null; title: string; description: string;
  /** The description's first sentence (what it is made for), where it is made and its praise, when it says so. */
  opening: string; origin: string | null; praise: string | null;
}

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
  const opening = `${rand() < 0.5 ? article(adjective) : 'Our'} ${adjective.toLowerCase()} ${item.name.toLowerCase()} in ${material.toLowerCase()}, made for ${twoOf(item.uses)}.`;
  const features = `It features ${pick(FEATURES)} and ${pick(FEATURES)}.`;
  const origin = rand() < 0.5 ? pick(ORIGINS) : null;
  const praise = rand() < 0.6 ? pick(PRAISE) : null;
  const description = [opening, features, origin ? `Made in ${origin}.` : '', praise ? `${praise}.` : '', pick(category.care)].filter(Boolean).join(' ');
  return { category, item, material, adjective, collection, title, description, opening, origin, praise };
}

const article = (word: string) => (/^[AEIOU]/.test(word) ? 'An' : 'A');
