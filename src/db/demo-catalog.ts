/**
 * The demo catalog `npm run dev` seeds once (and `npm run seed`): 64 published products (8
 * materials x 8 items), each with the options Colour and Size and 9 variants priced in USD and
 * EUR, weighed, in stock or not; filed in a category tree (Clothing > Tops, Bottoms, Outerwear;
 * Accessories), in collections, with a brand and a material to filter by, and a colour swatch
 * image per colour (uploaded to the image storage, content-addressed: 3 files for 192 images).
 * Deterministic: the same names every time.
 */
import { insertDemoPricing } from './demo-pricing';
import { deflateSync, crc32 } from 'node:zlib';
import type { EntityManager } from '@mikro-orm/postgresql';
import { imageKey, type ImageStorage } from '../integrations/image-storage';
import { recordImageObject } from '../store/catalog-images';
import { insertProducts, productCount, type SeedProduct } from './seed';
import { sqlTransaction } from './sql';

const MATERIALS = ['Organic Cotton', 'Merino Wool', 'Linen', 'Recycled Polyester', 'Bamboo', 'Hemp', 'Cashmere', 'Denim'];
const BRANDS = ['Northwind', 'Fjordline', 'Harbour & Co'];
/** Item, blurb, USD price in cents, grams in size M, category handle. */
const ITEMS: [string, string, number, number, string][] = [
  ['T-Shirt', 'A soft everyday tee with a relaxed fit', 2500, 180, 'tops'],
  ['Hoodie', 'A warm pullover hoodie with a kangaroo pocket', 6500, 550, 'tops'],
  ['Socks', 'Cushioned crew socks that stay up', 1200, 80, 'accessories'],
  ['Beanie', 'A ribbed beanie for cold mornings', 2200, 90, 'accessories'],
  ['Scarf', 'A long scarf, light enough for spring', 3900, 200, 'accessories'],
  ['Cardigan', 'A button-up cardigan with deep pockets', 8900, 450, 'tops'],
  ['Shorts', 'Lightweight shorts with an elastic waist', 3500, 250, 'bottoms'],
  ['Jacket', 'A water-resistant jacket for city rain', 12900, 700, 'outerwear'],
];
const COLOURS = [['BLK', 'Black', [24, 24, 27]], ['NAV', 'Navy', [31, 42, 68]], ['OAT', 'Oatmeal', [221, 208, 184]]] as const;
const SIZES = [['S', 0.9], ['M', 1], ['L', 1.1]] as const;

export const DEMO_CATEGORIES = [
  { handle: 'clothing', name: 'Clothing', parent: null },
  { handle: 'tops', name: 'Tops', parent: 'clothing' },
  { handle: 'bottoms', name: 'Bottoms', parent: 'clothing' },
  { handle: 'outerwear', name: 'Outerwear', parent: 'clothing' },
  { handle: 'accessories', name: 'Accessories', parent: null },
];
export const DEMO_COLLECTIONS = [
  { handle: 'winter-warmers', title: 'Winter Warmers', materials: ['Merino Wool', 'Cashmere'] },
  { handle: 'summer-essentials', title: 'Summer Essentials', materials: ['Linen', 'Organic Cotton', 'Bamboo'] },
  { handle: 'new-arrivals', title: 'New Arrivals', materials: ['Hemp', 'Recycled Polyester'] },
];
export const DEMO_ATTRIBUTES = [{ code: 'brand', name: 'Brand' }, { code: 'material', name: 'Material' }];

/** A colour swatch per colour: a small solid PNG, made here so the demo needs no network. */
export function demoSwatches(): { colour: string; bytes: Buffer; key: string }[] {
  return COLOURS.map(([, colour, rgb]) => {
    const bytes = solidPng(96, 96, rgb);
    return { colour, bytes, key: imageKey(bytes, 'image/png') };
  });
}

/** The 64 products; with `swatchKeys` (colour → stored object key) each gets its colours' swatches as images. */
export function demoCatalog(swatchKeys?: Map<string, string>): SeedProduct[] {
  return MATERIALS.flatMap((material, m) => ITEMS.map(([item, blurb, basePrice, grams, category], i): SeedProduct => {
    const title = `${material} ${item}`;
    const code = `${material.slice(0, 3)}${item.slice(0, 3)}`.toUpperCase().replace(/[^A-Z0-9]/g, 'X');
    const usd = basePrice + m * 300;
    return {
      handle: title.toLowerCase().replace(/[^a-z0-9]+/g, '-'),
      title,
      description: `${blurb}, made from ${material.toLowerCase()}.`,
      options: [{ name: 'Colour', values: COLOURS.map(([, c]) => c) }, { name: 'Size', values: SIZES.map(([s]) => s) }],
      variants: COLOURS.flatMap(([c, colour]) => SIZES.map(([size, weight]) => ({
        sku: `${code}-${c}-${size}`,
        options: { Colour: colour, Size: size },
        prices: { USD: usd, EUR: Math.round((usd * 0.92) / 50) * 50 },
        weightGrams: Math.round(grams * weight),
        onHand: ((m * 7 + i * 3 + size.length) % 5 === 0) ? 0 : 10 + ((m + i) % 6) * 15,
      }))),
      categories: [category],
      collections: DEMO_COLLECTIONS.filter((c) => c.materials.includes(material)).map((c) => c.handle),
      attributes: { brand: [BRANDS[(m + i) % BRANDS.length]], material: [material] },
      images: swatchKeys ? COLOURS.map(([, colour]) => ({ objectKey: swatchKeys.get(colour) as string, alt: `${title} in ${colour}` })) : [],
    };
  }));
}

/** Categories, collections and attributes of the demo catalog; existing handles and codes are left alone. */
export async function insertDemoTaxonomy(em: EntityManager): Promise<void> {
  await sqlTransaction(em, async (sql) => {
    for (const c of DEMO_CATEGORIES) {
      await sql.rows(`insert into categories (handle, name, parent_id) values ($1, $2, (select id from categories where handle = $3))
        on conflict (handle) do nothing`, [c.handle, c.name, c.parent]);
    }
    for (const c of DEMO_COLLECTIONS) {
      await sql.rows('insert into collections (handle, title) values ($1, $2) on conflict (handle) do nothing', [c.handle, c.title]);
    }
    for (const [position, a] of DEMO_ATTRIBUTES.entries()) {
      await sql.rows('insert into attributes (code, name, position) values ($1, $2, $3) on conflict (code) do nothing', [a.code, a.name, position]);
    }
  });
}

/**
 * Seeds the demo catalog once: a database that already has products is left as it is. With an
 * image storage, the swatches are uploaded to it and the products show them.
 */
export async function seedDemoCatalogOnce(em: EntityManager, storage?: ImageStorage): Promise<number> {
  if ((await productCount(em)) > 0) return 0;
  await insertDemoTaxonomy(em);
  let keys: Map<string, string> | undefined;
  if (storage) {
    keys = new Map();
    for (const swatch of demoSwatches()) {
      await recordImageObject(em, { key: swatch.key, contentType: 'image/png', bytes: swatch.bytes.length, width: 96, height: 96 },
        () => storage.put(swatch.key, swatch.bytes, 'image/png'));
      keys.set(swatch.colour, swatch.key);
    }
  }
  const inserted = await insertProducts(em, demoCatalog(keys));
  await insertDemoPricing(em);
  return inserted;
}

/** A PNG of one colour: 8-bit RGB, every row the same, deflated. */
function solidPng(width: number, height: number, [r, g, b]: readonly number[]): Buffer {
  const row = Buffer.alloc(1 + width * 3);
  for (let x = 0; x < width; x++) row.set([r, g, b], 1 + x * 3);
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8 bits per channel, RGB, deflate, no filter method choices, not interlaced
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(Array.from({ length: height }, () => row)))), chunk('IEND', Buffer.alloc(0))]);
}
