/** The storefront search's query and answer schemas (GET /products, GET /products/suggestions). */
import { z } from 'zod';
import { SEARCH_SORTS } from '../domain/search';
import { MAX_ATTRIBUTE_FILTERS } from '../domain/search-run';
import { currency, imageView, moneyView, queryInt, sku } from './schemas';

/** Offset paging only this far: deeper pages follow nextCursor (keyset), which costs the same on page 1 and page 500. */
export const MAX_OFFSET = 1000;

export const priceCurrency = currency.default('USD').meta({ description: 'The currency prices are shown in (a cart in it uses the same prices).' });

/** A query parameter that may be repeated (?category=a&category=b): always a list. */
const repeated = (item: z.ZodString, description: string) => z.union([item, z.array(item).max(MAX_ATTRIBUTE_FILTERS)])
  .optional()
  .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]))
  .meta({ description });

const flag = (description: string) => z.enum(['true', 'false', '1', '0']).optional().transform((v) => v === 'true' || v === '1')
  .meta({ description });

const minorUnits = (description: string) => queryInt(0, 1e11).optional().meta({ description });

export const searchQuery = z.strictObject({
  q: z.string().trim().max(200).optional().meta({ description: 'Words to find in titles, descriptions, categories, collections, attribute and '
    + 'option values (quotes for a phrase, -word to exclude). When nothing matches, misspelt words are corrected ("meirno" finds merino) '
    + 'and correctedQuery says how.' }),
  category: repeated(z.string().min(1).max(200), 'A category handle; its subcategories\' products are included. Repeat for any of several.'),
  collection: repeated(z.string().min(1).max(200), 'A collection handle. Repeat for any of several.'),
  attribute: repeated(z.string().regex(/^[a-z0-9_-]{1,64}:.{1,200}$/s, 'code:value, such as brand:Northwind'),
    'An attribute value as code:value (brand:Northwind). Values of one attribute are alternatives; different attributes must all match.'),
  priceMin: minorUnits('Lowest price in minor units of `currency`, inclusive: a product qualifies by its cheapest variant.'),
  priceMax: minorUnits('Highest price in minor units of `currency`, inclusive.'),
  inStock: flag('true: only products with a variant in stock.'),
  sort: z.enum(SEARCH_SORTS).default('relevance').meta({ description: 'relevance (title matches first, then newest; without q: newest), '
    + 'price_asc / price_desc (by the cheapest variant in `currency`; products without a price in it last), newest.' }),
  facets: flag('true: also count, for every category, collection, attribute value, price range and stock, the products it would show '
    + 'under the other active filters.'),
  currency: priceCurrency,
  limit: queryInt(1, 100).default(20),
  cursor: z.string().max(512).optional().meta({ description: 'nextCursor of the previous page, with the same other parameters.' }),
  offset: queryInt(0, MAX_OFFSET).default(0).meta({ description: `Up to ${MAX_OFFSET}; beyond, follow nextCursor.` }),
}).refine((q) => q.priceMin === undefined || q.priceMax === undefined || q.priceMin <= q.priceMax,
  { message: 'priceMin is above priceMax', path: ['priceMin'] })
  .refine((q) => !(q.cursor && q.offset > 0), { message: 'a cursor already says where the page starts: send offset or cursor, not both', path: ['offset'] });

export const productCardView = z.object({
  id: z.uuid(), handle: z.string(), slug: z.string().meta({ description: 'The same as handle, for clients written before handles.' }),
  title: z.string(), description: z.string(), images: z.array(imageView),
  priceFrom: moneyView.nullable().meta({ description: 'The cheapest variant\'s price in the currency asked for; null when none has one.' }),
  variants: z.array(z.object({
    sku, title: z.string(),
    options: z.record(z.string(), z.string()),
    price: moneyView.nullable().meta({ description: 'In the currency asked for; null when the variant has no price in it.' }),
    inStock: z.boolean().meta({ description: 'Whether any is left to buy; the product page (GET /products/{handle}) has the count.' }),
  })),
}).meta({ id: 'ProductCard' });

const facetCount = { count: z.number().int(), selected: z.boolean() };

export const facetsView = z.object({
  categories: z.array(z.object({ id: z.uuid(), handle: z.string(), name: z.string(),
    parentId: z.uuid().nullable().meta({ description: 'Its parent, to draw the tree; a category counts its descendants\' products too.' }),
    ...facetCount })),
  collections: z.array(z.object({ id: z.uuid(), handle: z.string(), title: z.string(), ...facetCount })),
  attributes: z.array(z.object({ code: z.string(), name: z.string(), values: z.array(z.object({ value: z.string(), ...facetCount })) })),
  price: z.object({ min: z.number().int(), max: z.number().int(), count: z.number().int() }).nullable()
    .meta({ description: 'The range of cheapest-variant prices (minor units of `currency`) under the other filters.' }),
  inStock: z.object({ count: z.number().int() }),
}).meta({ id: 'SearchFacets', description: 'Each count is of the products that would show with that value ticked, under the other active filters.' });

export const searchAnswerView = z.object({
  items: z.array(productCardView),
  total: z.number().int().meta({ description: 'Products matching the query and every filter.' }),
  limit: z.number().int(),
  offset: z.number().int(),
  nextCursor: z.string().nullable().meta({ description: 'Send it as cursor for the next page; null on the last page.' }),
  nextOffset: z.number().int().nullable().meta({ description: `The next page by offset while it is within ${MAX_OFFSET}; else null (use nextCursor).` }),
  correctedQuery: z.string().nullable().meta({ description: 'The words searched instead, when q as typed matched nothing.' }),
  facets: facetsView.optional(),
});

export const suggestionsQuery = z.strictObject({
  q: z.string().trim().min(1).max(100).meta({ description: 'What the shopper has typed so far; the last word is completed.' }),
  limit: queryInt(1, 10).default(5),
});

export const suggestionsView = z.object({
  completions: z.array(z.string()).meta({ description: 'The query with its last word completed from the catalog\'s own words (or corrected).' }),
  products: z.array(z.object({ handle: z.string(), title: z.string(), image: imageView.nullable() })),
});
