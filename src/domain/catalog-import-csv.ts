/**
 * The product CSV in the layout Shopify (and the tools that copy it) reads and writes: one row per
 * variant, the rows of a product together under its Handle, product fields on its first row, extra
 * rows for more images. Columns are found by name, in any order, case and spacing ignored; columns
 * this catalog has no place for (SEO Title, Gift Card, …) are ignored and listed in the import.
 *
 * | column | becomes |
 * |---|---|
 * | Handle | the product's handle (required on every row) |
 * | Title, Body (HTML) | title (required on the first row), description |
 * | Status (active, draft, archived) or Published (TRUE, FALSE) | status (Status wins when both are given) |
 * | Option1 Name … Option3 Name, Option1 Value … Option3 Value | options (names on the first row) and each variant's values |
 * | Variant SKU, Variant Grams, Variant Inventory Qty | SKU (required), weight, stock on hand |
 * | Variant Price | price in the import's currency (`?currency=`, USD by default), in major units: 25.00 |
 * | Variant Price EUR, Variant Price USD, … | price in that currency |
 * | Image Src, Image Alt Text, Image Position | images (external URLs, kept as URLs) |
 * | Product Category | a category path, "Clothing > Tops"; missing categories are created |
 * | Collections | collection titles, comma-separated; missing collections are created |
 * | Vendor, Type, Tags | the attributes brand, product_type and tags (Tags comma-separated) |
 * | Attribute: material (any code) | that attribute's values, comma-separated |
 */
import { DomainError, ErrorCode } from './errors';
import { MAX_OPTIONS, type ProductStatus } from './catalog';
import { minorUnitDigits } from './money';
import {
  ATTRIBUTE_CODE, CURRENCY, HANDLE, MAX_GRAMS, MAX_PRICE, MAX_STOCK, SKU, categoryPath, checkCategoryPath, checkProduct, rowError,
  type ImportedImage, type ImportedProduct, type ImportedVariant, type RowError,
} from './catalog-import';

/** Where each known column is in the file (its index), by what it means. */
export interface CsvLayout {
  handle: number;
  title?: number;
  body?: number;
  status?: number;
  published?: number;
  optionNames: (number | undefined)[];
  optionValues: (number | undefined)[];
  sku?: number;
  grams?: number;
  qty?: number;
  price?: number;
  currencyPrices: { currency: string; index: number }[];
  imageSrc?: number;
  imageAlt?: number;
  imagePosition?: number;
  category?: number;
  collections?: number;
  /** Attribute columns: Vendor → brand, Type → product_type, Tags → tags (a list), Attribute: <code> (a list). */
  attributes: { code: string; index: number; list: boolean; column: string }[];
  /** Header names this catalog has no place for. */
  ignored: string[];
  header: string[];
}

const FIXED: Record<string, keyof CsvLayout> = {
  'handle': 'handle', 'title': 'title', 'body (html)': 'body', 'status': 'status', 'published': 'published', 'variant sku': 'sku',
  'variant grams': 'grams', 'variant inventory qty': 'qty', 'variant price': 'price', 'image src': 'imageSrc', 'image alt text': 'imageAlt',
  'image position': 'imagePosition', 'product category': 'category', 'collections': 'collections',
};
const ATTRIBUTE_COLUMNS: Record<string, { code: string; list: boolean }> = {
  'vendor': { code: 'brand', list: false }, 'type': { code: 'product_type', list: false }, 'tags': { code: 'tags', list: true },
};

/** Reads the header row; refuses a file without a Handle column or with a column named twice. */
export function csvLayout(header: string[]): CsvLayout {
  const layout: CsvLayout = { handle: -1, optionNames: [], optionValues: [], currencyPrices: [], attributes: [], ignored: [], header };
  const seen = new Set<string>();
  header.forEach((raw, index) => {
    const name = raw.trim().replace(/\s+/g, ' ').toLowerCase();
    if (name === '') return;
    if (seen.has(name)) throw invalidFile(`The column "${raw.trim()}" appears twice in the header row.`, { column: raw.trim() });
    seen.add(name);
    const fixed = FIXED[name];
    const option = /^option([1-9]) (name|value)$/.exec(name);
    const price = /^variant price ([a-z]{3})$/.exec(name);
    const attribute = /^attribute: ?(.+)$/.exec(name);
    if (fixed) (layout as unknown as Record<string, number>)[fixed] = index;
    else if (option && Number(option[1]) <= MAX_OPTIONS) (option[2] === 'name' ? layout.optionNames : layout.optionValues)[Number(option[1]) - 1] = index;
    else if (price) layout.currencyPrices.push({ currency: price[1].toUpperCase(), index });
    else if (ATTRIBUTE_COLUMNS[name]) layout.attributes.push({ ...ATTRIBUTE_COLUMNS[name], index, column: raw.trim() });
    else if (attribute && ATTRIBUTE_CODE.test(attribute[1])) layout.attributes.push({ code: attribute[1], index, list: true, column: raw.trim() });
    else if (attribute) throw invalidFile(`"${raw.trim()}": an attribute code is a lower-case letter then letters, digits or _ (such as material).`, { column: raw.trim() });
    else layout.ignored.push(raw.trim());
  });
  if (layout.handle < 0) throw invalidFile('The header row has no Handle column: every row names its product by handle.', { header: header.slice(0, 50) });
  return layout;
}

const invalidFile = (message: string, details: Record<string, unknown>) => new DomainError(ErrorCode.ImportFileInvalid, message, details);

/** The handle a row belongs to (rows of a product share it). */
export const handleOfRow = (layout: CsvLayout, fields: string[]): string => (fields[layout.handle] ?? '').trim();

/**
 * One product from its rows (consecutive, one handle), prices in `currency` unless a column names
 * another; with every error found in them, by row and column.
 */
export function productFromCsv(rows: { row: number; fields: string[] }[], layout: CsvLayout, currency: string): { product?: ImportedProduct; errors: RowError[] } {
  const errors: RowError[] = [];
  const [first] = rows;
  const cell = (fields: string[], index: number | undefined) => (index === undefined ? '' : (fields[index] ?? '').trim());
  const column = (index: number | undefined) => (index === undefined ? null : layout.header[index].trim());
  const handle = cell(first.fields, layout.handle);
  if (!HANDLE.test(handle) || handle.length > 200) {
    errors.push(rowError(first.row, 'Handle', `"${handle}" is not a handle: lower-case letters and digits in words joined by hyphens, such as merino-wool-hoodie.`));
  }
  for (const r of rows) {
    if (r.fields.length !== layout.header.length) {
      errors.push(rowError(r.row, null, `The row has ${r.fields.length} fields; the header row has ${layout.header.length}.`));
    }
  }
  const title = cell(first.fields, layout.title);
  if (!title || title.length > 200) errors.push(rowError(first.row, column(layout.title) ?? 'Title', 'The first row of a product needs its Title (at most 200 characters).'));
  const description = layout.body === undefined ? undefined : (first.fields[layout.body] ?? '');
  if (description && description.length > 20_000) errors.push(rowError(first.row, column(layout.body), 'The description has at most 20,000 characters.'));
  const status = statusOf(cell(first.fields, layout.status), cell(first.fields, layout.published), first.row, errors, column);
  const optionNames = layout.optionNames.map((i) => cell(first.fields, i)).filter((name, i, all) => name !== '' || all.slice(i).some(Boolean));
  if (optionNames.some((n) => n === '' || n.length > 100)) errors.push(rowError(first.row, 'Option1 Name', 'Option names are 1 to 100 characters, Option1 first.'));
  // Shopify's product without options: Option1 Name "Title", value "Default Title".
  const defaultOnly = optionNames.length === 1 && optionNames[0] === 'Title'
    && rows.every((r) => ['', 'Default Title'].includes(cell(r.fields, layout.optionValues[0])));
  const names = defaultOnly ? [] : optionNames;

  const ctx: RowContext = { layout, currency, cell, column, errors };
  let dropped = false;
  const variants: ImportedVariant[] = [];
  const images: ImportedImage[] = [];
  for (const r of rows) {
    const isVariant = [layout.sku, layout.price, ...layout.optionValues, ...layout.currencyPrices.map((p) => p.index)].some((i) => cell(r.fields, i) !== '')
      && !(defaultOnly && cell(r.fields, layout.sku) === '' && r !== first);
    if (isVariant) {
      const variant = variantOf(r, names, ctx);
      if (variant) variants.push(variant);
      else dropped = true;
    }
    addImage(r, images, ctx);
  }
  const path = layout.category === undefined ? undefined : categoryPath(cell(first.fields, layout.category));
  if (path) errors.push(...checkCategoryPath(path, first.row, column(layout.category) as string));
  const product: ImportedProduct = {
    row: first.row, rows: rows.map((r) => r.row), handle, title, description, status,
    options: names.map((name, i) => ({ name, values: [...new Set(variants.map((v) => v.choice[i]))] })),
    variants, images: layout.imageSrc === undefined ? undefined : images,
    categories: path === undefined ? undefined : path.length ? [path] : [],
    collections: layout.collections === undefined ? undefined
      : [...new Set(cell(first.fields, layout.collections).split(',').map((s) => s.trim()).filter(Boolean))],
    attributes: attributesOf(first, ctx),
  };
  errors.push(...checkProduct(product, dropped));
  return { product, errors };
}

interface RowContext {
  layout: CsvLayout;
  currency: string;
  cell: (fields: string[], index: number | undefined) => string;
  column: (index: number | undefined) => string | null;
  errors: RowError[];
}

function addImage(r: { row: number; fields: string[] }, images: ImportedImage[], { layout, cell, column, errors }: RowContext): void {
  const src = cell(r.fields, layout.imageSrc);
  if (!src) return;
  if (!/^https?:\/\/\S+$/.test(src) || src.length > 2000) errors.push(rowError(r.row, column(layout.imageSrc), 'Image Src is an http(s) URL of at most 2,000 characters.'));
  const alt = cell(r.fields, layout.imageAlt);
  if (alt.length > 500) errors.push(rowError(r.row, column(layout.imageAlt), 'Image Alt Text has at most 500 characters.'));
  const position = wholeNumber(cell(r.fields, layout.imagePosition), 1, 1000);
  if (position === null) errors.push(rowError(r.row, column(layout.imagePosition), 'Image Position is a whole number from 1.'));
  if (!images.some((i) => i.url === src)) images.push({ row: r.row, url: src, alt, position: (position ?? images.length + 1) - 1 });
}

function attributesOf(first: { row: number; fields: string[] }, { layout, cell, errors }: RowContext): Record<string, string[]> {
  const attributes: Record<string, string[]> = {};
  for (const a of layout.attributes) {
    const raw = cell(first.fields, a.index);
    const values = a.list ? [...new Set(raw.split(',').map((s) => s.trim()).filter(Boolean))] : raw ? [raw] : [];
    if (values.some((v) => v.length > 100)) errors.push(rowError(first.row, a.column, 'An attribute value has at most 100 characters.'));
    attributes[a.code] = values;
  }
  return attributes;
}

function variantOf(r: { row: number; fields: string[] }, names: string[], { layout, currency, cell, column, errors }: RowContext): ImportedVariant | undefined {
  const before = errors.length;
  const sku = cell(r.fields, layout.sku);
  if (!SKU.test(sku)) {
    errors.push(rowError(r.row, column(layout.sku) ?? 'Variant SKU', sku
      ? `"${sku}" is not a SKU: 2 to 64 upper-case letters, digits and hyphens, such as TEE-BLK-M.`
      : 'Every variant needs a Variant SKU: the catalog, stock and orders know variants by it.'));
  }
  const choice = names.map((name, i) => {
    const value = cell(r.fields, layout.optionValues[i]);
    if (!value || value.length > 100) errors.push(rowError(r.row, `Option${i + 1} Value`, `The variant needs a value (at most 100 characters) for the option ${name}.`));
    return value;
  });
  const extra = layout.optionValues.slice(names.length).findIndex((i) => cell(r.fields, i) !== '');
  if (extra >= 0) errors.push(rowError(r.row, `Option${names.length + extra + 1} Value`, 'A value is given for an option the product does not name (OptionN Name on its first row).'));
  const prices: Record<string, number> = {};
  for (const [index, cur] of [[layout.price, currency] as const, ...layout.currencyPrices.map((p) => [p.index, p.currency] as const)]) {
    const text = cell(r.fields, index);
    if (!text) continue;
    const amount = minorUnits(text, cur);
    if (amount === null) errors.push(rowError(r.row, column(index), `"${text}" is not a price in ${cur}: a number such as 25.00, in major units.`));
    else prices[cur] = amount;
  }
  const grams = cell(r.fields, layout.grams);
  const weightGrams = grams ? wholeNumber(grams.replace(/\.0+$/, ''), 0, MAX_GRAMS) : undefined;
  if (weightGrams === null) errors.push(rowError(r.row, column(layout.grams), `Variant Grams is a whole number from 0 to ${MAX_GRAMS}.`));
  const qty = cell(r.fields, layout.qty);
  const onHand = qty ? wholeNumber(qty, 0, MAX_STOCK) : undefined;
  if (onHand === null) errors.push(rowError(r.row, column(layout.qty), `Variant Inventory Qty is a whole number from 0 to ${MAX_STOCK}: stock on hand is never negative.`));
  if (errors.length > before) return undefined;
  return { row: r.row, sku, title: choice.join(' / ') || 'Default', choice, prices, weightGrams: weightGrams ?? undefined, onHand: onHand ?? undefined };
}

function statusOf(status: string, published: string, row: number, errors: RowError[], column: (i: number | undefined) => string | null): ProductStatus | undefined {
  if (status) {
    const s = ({ active: 'published', published: 'published', draft: 'draft', archived: 'archived' } as const)[status.toLowerCase() as 'active'];
    if (!s) errors.push(rowError(row, 'Status', 'Status is active, draft or archived.'));
    return s;
  }
  if (!published) return undefined;
  if (/^true$/i.test(published)) return 'published';
  if (/^false$/i.test(published)) return 'draft';
  errors.push(rowError(row, column(undefined) ?? 'Published', 'Published is TRUE or FALSE.'));
  return undefined;
}

/** "25.00" in USD → 2500; "1500" in JPY → 1500; null when it is not a price. */
export function minorUnits(text: string, currency: string): number | null {
  if (!CURRENCY.test(currency)) return null;
  const digits = minorUnitDigits(currency);
  const m = /^(\d{1,12})(?:\.(\d*))?$/.exec(text);
  if (!m) return null;
  const fraction = (m[2] ?? '').replace(/0+$/, '');
  if (fraction.length > digits) return null;
  const amount = Number(m[1]) * 10 ** digits + Number(fraction.padEnd(digits, '0') || '0');
  return amount <= MAX_PRICE ? amount : null;
}

function wholeNumber(text: string, min: number, max: number): number | null | undefined {
  if (text === '') return undefined;
  if (!/^-?\d{1,9}$/.test(text)) return null;
  const n = Number(text);
  return n >= min && n <= max ? n : null;
}
