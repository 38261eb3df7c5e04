/**
 * What a bulk catalog import reads, whatever the file's format: products with their options,
 * variants, prices, stock, images, categories, collections and attributes, each tied to the row of
 * the file it came from, and the errors found in those rows. Pure rules: the CSV layout is read in
 * catalog-import-csv.ts, JSON lines here; src/store/catalog-import-batches.ts writes the result.
 *
 * A product is the unit of an import: the rows of a product with an error are reported and left
 * out together, since its variants are written with it in one transaction.
 */
import { z } from 'zod';
import { ErrorCode } from './errors';
import { MAX_OPTIONS, MAX_VARIANTS, type ProductStatus } from './catalog';

export const IMPORT_FORMATS = ['csv', 'jsonl'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];
/** all: any bad row and nothing is written; partial: the good products are written and the bad rows reported. */
export const IMPORT_MODES = ['all', 'partial'] as const;
export type ImportMode = (typeof IMPORT_MODES)[number];
export const IMPORT_STATUSES = ['uploaded', 'validating', 'importing', 'completed', 'rejected', 'failed'] as const;
export type ImportStatus = (typeof IMPORT_STATUSES)[number];

export const HANDLE = /^[a-z0-9]+(-[a-z0-9]+)*$/;
export const SKU = /^[A-Z0-9][A-Z0-9-]{1,63}$/;
export const CURRENCY = /^[A-Z]{3}$/;
export const ATTRIBUTE_CODE = /^[a-z][a-z0-9_]{0,49}$/;
/** Category paths ("Clothing > Tops > T-Shirts") deeper than this are refused. */
export const MAX_CATEGORY_DEPTH = 5;
export const MAX_PRICE = 100_000_000_000;
export const MAX_STOCK = 10_000_000;
export const MAX_GRAMS = 10_000_000;

export interface ImportedVariant {
  row: number;
  sku: string;
  title: string;
  /** One value per option of the product, in the product's option order. */
  choice: string[];
  /** Minor units by currency. */
  prices: Record<string, number>;
  /** Left out: an existing variant keeps its weight and its stock; a new one has none and 0. */
  weightGrams?: number;
  onHand?: number;
}

export interface ImportedImage { row: number; url: string; alt: string; position: number }

export interface ImportedProduct {
  row: number;
  /** Every row of the file the product spans (the first is `row`). */
  rows: number[];
  handle: string;
  title: string;
  /** Left out: an existing product keeps its own; a new one gets ''. */
  description?: string;
  /** Left out: an existing product keeps its own; a new one is a draft. */
  status?: ProductStatus;
  options: { name: string; values: string[] }[];
  variants: ImportedVariant[];
  /** Given (even empty): the product's images become exactly these. Left out: its images stay. */
  images?: ImportedImage[];
  /** Category paths, each a list of names from the root; the product is filed under the last of each. */
  categories?: string[][];
  /** Collection titles. */
  collections?: string[];
  /** Values by attribute code; an attribute named here has its values replaced, the others stay. */
  attributes: Record<string, string[]>;
}

export interface RowError { row: number; column: string | null; code: ErrorCode; message: string }

export const rowError = (row: number, column: string | null, message: string, code: ErrorCode = ErrorCode.ValidationFailed): RowError =>
  ({ row, column, code, message });

/**
 * Rules that span the whole file: a handle names one product (its rows together), a SKU one
 * variant. Fed product by product in file order.
 */
export class ImportChecker {
  private readonly handles = new Map<string, number>();
  private readonly skus = new Map<string, number>();

  check(p: ImportedProduct): RowError[] {
    const errors: RowError[] = [];
    const earlier = this.handles.get(p.handle);
    if (earlier !== undefined) {
      errors.push(rowError(p.row, 'Handle', `The handle ${p.handle} already named the product on row ${earlier}: a product's rows must be together, `
        + 'and a handle names one product.', ErrorCode.HandleTaken));
    } else {
      this.handles.set(p.handle, p.row);
    }
    for (const v of p.variants) {
      const seen = this.skus.get(v.sku);
      if (seen !== undefined) errors.push(rowError(v.row, 'Variant SKU', `SKU ${v.sku} is already used on row ${seen}.`, ErrorCode.SkuTaken));
      else this.skus.set(v.sku, v.row);
    }
    return errors;
  }
}

/**
 * Rules of one product that both formats share: option values, one variant per combination, the
 * variant limit, publishable (not judged when `variantsDropped`: its bad variant rows are reported already).
 */
export function checkProduct(p: ImportedProduct, variantsDropped = false): RowError[] {
  const errors: RowError[] = [];
  if (p.variants.length > MAX_VARIANTS) errors.push(rowError(p.row, null, `A product has at most ${MAX_VARIANTS} variants; ${p.handle} has ${p.variants.length}.`));
  if (p.options.length > MAX_OPTIONS) errors.push(rowError(p.row, null, `A product has at most ${MAX_OPTIONS} options.`));
  const names = new Set<string>();
  for (const o of p.options) {
    if (names.has(o.name.toLowerCase())) errors.push(rowError(p.row, null, `The option "${o.name}" is named twice.`));
    names.add(o.name.toLowerCase());
  }
  const combinations = new Map<string, string>();
  for (const v of p.variants) {
    const key = JSON.stringify(v.choice);
    const other = combinations.get(key);
    if (other) {
      errors.push(rowError(v.row, null, `Variant ${v.sku} has the same option values as ${other} (${v.choice.join(' / ') || 'none'}).`,
        ErrorCode.DuplicateVariant));
    }
    combinations.set(key, v.sku);
  }
  if (p.status === 'published' && p.variants.length === 0 && !variantsDropped) {
    errors.push(rowError(p.row, null, `Product ${p.handle} has no variants: it can be published once it has one.`, ErrorCode.ProductNotPublishable));
  }
  return errors;
}

/** Names of a category path: "Clothing > Tops" → ["Clothing", "Tops"]. */
export function categoryPath(text: string): string[] {
  return text.split('>').map((s) => s.trim()).filter(Boolean);
}

export function checkCategoryPath(path: string[], row: number, column: string): RowError[] {
  if (path.length > MAX_CATEGORY_DEPTH) return [rowError(row, column, `A category path has at most ${MAX_CATEGORY_DEPTH} levels.`)];
  return path.filter((name) => name.length > 200).map(() => rowError(row, column, 'A category name has at most 200 characters.'));
}

const text = (max: number) => z.string().trim().min(1).max(max);
const jsonProduct = z.strictObject({
  handle: z.string().regex(HANDLE, 'lower-case letters and digits in words joined by hyphens'),
  title: text(200),
  description: z.string().max(20_000).optional(),
  status: z.enum(['draft', 'published', 'archived']).optional(),
  options: z.array(z.strictObject({ name: text(100), values: z.array(text(100)).min(1).max(100) })).max(MAX_OPTIONS).optional(),
  variants: z.array(z.strictObject({
    sku: z.string().regex(SKU, 'an upper-case SKU such as TEE-BLK-M'),
    title: text(200).optional(),
    options: z.record(text(100), text(100)).optional(),
    prices: z.record(z.string().regex(CURRENCY, 'an ISO 4217 code'), z.number().int('minor units, a whole number').min(0).max(MAX_PRICE)).optional(),
    weightGrams: z.number().int().min(0).max(MAX_GRAMS).optional(),
    onHand: z.number().int().min(0).max(MAX_STOCK).optional(),
  })).max(MAX_VARIANTS),
  images: z.array(z.strictObject({ url: z.url({ protocol: /^https?$/ }).max(2000), alt: z.string().max(500).optional() })).max(50).optional(),
  categories: z.array(text(1000)).max(20).optional(),
  collections: z.array(text(200)).max(50).optional(),
  attributes: z.record(z.string().regex(ATTRIBUTE_CODE, 'a code such as brand'), z.array(text(100)).max(50)).optional(),
});

/** One line of a JSON-lines file: one product with its variants (prices in minor units), in the shape of the staff routes' ProductInput. */
export function productFromJsonLine(line: string, row: number): { product?: ImportedProduct; errors: RowError[] } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    return { errors: [rowError(row, null, `The line is not valid JSON: ${(err as Error).message}.`)] };
  }
  const parsed = jsonProduct.safeParse(value);
  if (!parsed.success) {
    return { errors: parsed.error.issues.map((i) => rowError(row, i.path.join('.') || null, i.message)) };
  }
  const p = parsed.data;
  const options = p.options ?? optionsFromVariants(p.variants.map((v) => v.options ?? {}));
  const errors: RowError[] = [];
  const variants = p.variants.map((v): ImportedVariant => {
    const given = v.options ?? {};
    const unknown = Object.keys(given).filter((name) => !options.some((o) => o.name === name));
    const missing = options.filter((o) => given[o.name] === undefined).map((o) => o.name);
    if (unknown.length || missing.length) {
      errors.push(rowError(row, `variants.${v.sku}.options`, `Variant ${v.sku} must pick one value of each option (${options.map((o) => o.name).join(', ') || 'none'}).`));
    }
    const choice = options.map((o) => given[o.name] ?? '');
    return { row, sku: v.sku, title: v.title ?? (choice.join(' / ') || 'Default'), choice, prices: v.prices ?? {}, weightGrams: v.weightGrams, onHand: v.onHand };
  });
  // A value a variant picks that its option does not list is added to it, as the staff routes do.
  const listed = options.map((o, i) => ({ name: o.name, values: [...new Set([...o.values, ...variants.map((v) => v.choice[i]).filter(Boolean)])] }));
  const categories = p.categories?.map(categoryPath);
  for (const path of categories ?? []) errors.push(...checkCategoryPath(path, row, 'categories'));
  const product: ImportedProduct = {
    row, rows: [row], handle: p.handle, title: p.title, description: p.description, status: p.status, options: listed, variants,
    images: p.images?.map((img, position) => ({ row, url: img.url, alt: img.alt ?? '', position })),
    categories, collections: p.collections, attributes: p.attributes ?? {},
  };
  errors.push(...checkProduct(product));
  return { product, errors };
}

function optionsFromVariants(choices: Record<string, string>[]): { name: string; values: string[] }[] {
  const names = [...new Set(choices.flatMap((c) => Object.keys(c)))];
  return names.map((name) => ({ name, values: [...new Set(choices.map((c) => c[name]).filter((v): v is string => v !== undefined))] }));
}
