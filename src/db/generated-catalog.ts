/**
 * A generated catalog of any size, as the product CSV a merchant would import (Shopify's layout):
 * about six variants per product (colours × sizes), prices in USD and EUR, weights, stock, a
 * category path (category > item), a brand, tags, a material attribute, product-line collections
 * and an image per colour (external URLs). Deterministic: a seed fixes every row.
 * `npm run seed -- --products N` and `npm run bench:import` import it through POST /admin/catalog/imports' own path.
 */
import { csvLine } from '../domain/csv';
import { COLOURS, SIZES, prng, productCopy } from './catalog-vocabulary';

export const GENERATED_HEADER = ['Handle', 'Title', 'Body (HTML)', 'Vendor', 'Type', 'Tags', 'Published', 'Option1 Name', 'Option1 Value',
  'Option2 Name', 'Option2 Value', 'Variant SKU', 'Variant Grams', 'Variant Inventory Qty', 'Variant Price', 'Variant Price EUR', 'Image Src',
  'Image Alt Text', 'Product Category', 'Collections', 'Attribute: material'];

const BRANDS = ['Northwind', 'Fjordline', 'Harbour & Co', 'Kestrel Works', 'Meridian Goods', 'Basalt Supply', 'Juniper Studio', 'Atlas Outfitters'];
const GRAMS: Record<string, number> = { apparel: 300, footwear: 900, kitchen: 1200, home: 1500, outdoor: 800, stationery: 150 };

/** The CSV text, a piece per `perPiece` products (the header first), for `count` products. */
export function* generatedCatalogCsv(count: number, seed = 20261207, perPiece = 500): Generator<string> {
  const rand = prng(seed);
  let piece = csvLine(GENERATED_HEADER);
  for (let n = 0; n < count; n++) {
    piece += productRows(n, rand).map(csvLine).join('');
    if ((n + 1) % perPiece === 0) {
      yield piece;
      piece = '';
    }
  }
  if (piece) yield piece;
}

function productRows(n: number, rand: () => number): string[][] {
  const { category, item, material, collection, title, description } = productCopy(rand);
  const code = `G${n.toString(36).toUpperCase().padStart(5, '0')}`;
  const handle = `${title}-${code}`.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
  const colourCount = item.sizing === 'single' ? 1 : 1 + Math.floor(rand() * 3);
  const first = Math.floor(rand() * COLOURS.length);
  const sizes = item.sizing === 'colour' || item.sizing === 'single' ? [] : SIZES[item.sizing];
  const markup = 0.8 + rand() * 0.6;
  const usd = (Math.round((item.price * markup) / 100) * 100 - 1) / 100;
  const eur = (Math.round((item.price * markup * 0.92) / 100) * 100 - 1) / 100;
  const brand = BRANDS[Math.floor(rand() * BRANDS.length)];
  const tags = item.uses.slice(0, 2).join(', ');
  const rows: string[][] = [];
  for (let c = 0; c < colourCount; c++) {
    const [colourCode, colour] = COLOURS[(first + c) % COLOURS.length];
    for (const [s, size] of (sizes.length ? sizes : ['']).entries()) {
      const head = rows.length === 0;
      const qty = rand() < 0.08 ? 0 : 5 + Math.floor(rand() * 496);
      rows.push([handle, head ? title : '', head ? `<p>${description}</p>` : '', head ? brand : '', head ? item.name : '', head ? tags : '',
        head ? 'TRUE' : '', head ? 'Colour' : '', colour, head && size ? 'Size' : '', size, [code, colourCode, size].filter(Boolean).join('-'),
        String(Math.round((GRAMS[category.name] ?? 500) * (1 + s * 0.05))), String(qty), usd.toFixed(2), eur.toFixed(2),
        s === 0 ? `https://images.example.com/${handle}-${colourCode.toLowerCase()}.jpg` : '', s === 0 ? `${title} in ${colour}` : '',
        head ? `${category.name.charAt(0).toUpperCase()}${category.name.slice(1)} > ${item.name}` : '', head && collection ? `${collection} Collection` : '',
        head ? material : '']);
    }
  }
  return rows;
}
