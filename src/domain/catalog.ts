/**
 * Catalog rules that need no database: product statuses, what a variant's choice of option values
 * must look like, and what changed between two versions of a thing (for the audit trail).
 * The database enforces the same rules again (src/db/migrations/Migration20261207120000_catalog.ts):
 * these give the caller a precise message before anything is written.
 */
import { DomainError, ErrorCode } from './errors';

export const PRODUCT_STATUSES = ['draft', 'published', 'archived'] as const;
export type ProductStatus = (typeof PRODUCT_STATUSES)[number];

/** As in Shopify's product CSV (Option1..Option3): enough for colour, size and one more. */
export const MAX_OPTIONS = 3;
export const MAX_VARIANTS = 250;

export interface OptionSpec { name: string; values: string[] }

/** Options with distinct names, each with distinct values. */
export function checkOptions(options: OptionSpec[]): void {
  if (options.length > MAX_OPTIONS) {
    throw invalid(`A product has at most ${MAX_OPTIONS} options; ${options.length} were given.`, { max: MAX_OPTIONS });
  }
  const names = new Set<string>();
  for (const o of options) {
    if (names.has(o.name.toLowerCase())) throw invalid(`The option "${o.name}" is named twice.`, { option: o.name });
    names.add(o.name.toLowerCase());
    const seen = new Set<string>();
    for (const v of o.values) {
      if (seen.has(v)) throw invalid(`The option "${o.name}" lists the value "${v}" twice.`, { option: o.name, value: v });
      seen.add(v);
    }
  }
}

/**
 * A variant's choice: exactly one value of each option, by option name, in the product's option
 * order. Values not yet among an option's values are allowed (they are added to it).
 */
export function orderedChoice(optionNames: string[], chosen: Record<string, string> | undefined, sku: string): { option: string; value: string }[] {
  const given = chosen ?? {};
  const unknown = Object.keys(given).filter((name) => !optionNames.includes(name));
  if (unknown.length > 0) {
    throw invalid(`Variant ${sku} names ${unknown.map((n) => `"${n}"`).join(', ')}, not an option of this product `
      + `(its options: ${optionNames.length ? optionNames.join(', ') : 'none'}).`, { sku, unknown, options: optionNames });
  }
  const missing = optionNames.filter((name) => given[name] === undefined);
  if (missing.length > 0) {
    throw invalid(`Variant ${sku} needs a value for ${missing.join(' and ')}: a variant picks one value of each option.`,
      { sku, missing, options: optionNames });
  }
  return optionNames.map((option) => ({ option, value: given[option] }));
}

/** "Black / M": the title a variant gets when it is not given one. */
export function defaultVariantTitle(choice: { value: string }[]): string {
  return choice.length ? choice.map((c) => c.value).join(' / ') : 'Default';
}

/** A product can be published only with at least one variant: a storefront could show it but never sell it. */
export function checkPublishable(status: ProductStatus, variantCount: number, handle: string): void {
  if (status === 'published' && variantCount === 0) {
    throw new DomainError(ErrorCode.ProductNotPublishable, `Product ${handle} has no variants; add one before publishing it.`, { handle });
  }
}

/** The fields that differ between two plain objects, as { field: { from, to } }, for the audit trail. */
export function changesBetween(before: Record<string, unknown>, after: Record<string, unknown>): Record<string, { from: unknown; to: unknown }> {
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) changes[key] = { from: before[key] ?? null, to: after[key] ?? null };
  }
  return changes;
}

/** A handle made from a title: "Merino Wool Hoodie" → "merino-wool-hoodie". */
export function handleOf(title: string): string {
  return title.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 200)
    || 'product';
}

function invalid(message: string, details: Record<string, unknown>): DomainError {
  return new DomainError(ErrorCode.ValidationFailed, message, details);
}
