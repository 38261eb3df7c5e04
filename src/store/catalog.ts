/**
 * The storefront's product page: a published product with its variants, live availability, prices
 * and taxonomy, in one prepared statement (src/db/sql.ts), mostly from its search card. Lists and search are src/store/search.ts.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { formatMoney, type Money } from '../domain/money';
import { sqlRows, statement } from '../db/sql';

export type PricedMoney = Money & { formatted: string };

/** An image as stored: an uploaded object's key (its URL depends on the storage) or an external URL. */
export interface StoredImage { key: string | null; url: string | null; alt: string }

/** An image as a storefront loads it (src/api/routes/products.ts, imageUrls). */
export interface ImageView { url: string; alt: string }

export interface VariantDetail {
  sku: string;
  title: string;
  available: number;
  options: Record<string, string>;
  weightGrams: number | null;
  /** In the currency asked for; null when the variant has no price in it (it cannot go into a cart of that currency). */
  price: PricedMoney | null;
  prices: PricedMoney[];
}

/** A product page as the storefront reads it (ProductDetail in the OpenAPI document), fields in the answer's order. */
export interface ProductDetail {
  id: string;
  handle: string;
  title: string;
  description: string;
  images: ImageView[];
  options: { name: string; values: string[] }[];
  variants: VariantDetail[];
  categories: { id: string; handle: string; name: string }[];
  collections: { id: string; handle: string; title: string }[];
  attributes: Record<string, string[]>;
  slug: string;
}

interface CardVariant { sku: string; title: string; options: Record<string, string>; prices: Record<string, number> }
interface ProductDetailRow {
  id: string;
  handle: string;
  title: string;
  description: string;
  images: StoredImage[];
  /** The listing card's variants (search_cards: options and prices in every currency, in page order). */
  variants: CardVariant[];
  /** sku → [weight in grams, units available now]: read live, as the card keeps only a stock flag. */
  stock: Record<string, [number | null, number]>;
  options: { name: string; values: string[] }[];
  categories: ProductDetail['categories'];
  collections: ProductDetail['collections'];
  attributes: Record<string, string[]> | null;
}

/**
 * Everything a product page shows, in one statement; `where` picks the product ($1) among the
 * published ones. What a listing shows too (images, variants with their options and prices) comes
 * from the product's search card, one row kept current in the same transaction as every catalog
 * write (Migration20261207150000_search), instead of a lookup per variant of its option values and
 * prices; stock and weights are read live.
 */
function productDetail(where: string): string {
  return `
  select p.id, p.handle, p.title, p.description, c.card->'images' as images, c.card->'variants' as variants,
         (select json_object_agg(v.sku, json_build_array(v.weight_grams, coalesce(i.on_hand - i.reserved, 0)))
            from variants v left join inventory i on i.sku = v.sku where v.product_id = p.id) as stock,
         coalesce((select json_agg(json_build_object('name', o.name,
                                   'values', (select coalesce(json_agg(ov.value order by ov.position, ov.value), '[]')
                                                from product_option_values ov where ov.option_id = o.id))
                          order by o.position, o.name)
                     from product_options o where o.product_id = p.id), '[]') as options,
         coalesce((select json_agg(json_build_object('id', c.id, 'handle', c.handle, 'name', c.name) order by c.name)
                     from product_categories pc join categories c on c.id = pc.category_id where pc.product_id = p.id), '[]') as categories,
         coalesce((select json_agg(json_build_object('id', c.id, 'handle', c.handle, 'title', c.title) order by c.title)
                     from product_collections pc join collections c on c.id = pc.collection_id where pc.product_id = p.id), '[]') as collections,
         (select json_object_agg(code, vals) from (
            select a.code, json_agg(av.value order by av.position, av.value) as vals
              from product_attribute_values pa join attributes a on a.id = pa.attribute_id join attribute_values av on av.id = pa.value_id
             where pa.product_id = p.id group by a.code, a.position order by a.position, a.code) attrs) as attributes
    from products p join search_cards c on c.product_id = p.id
   where ${where} and p.status = 'published'`;
}

const BY_ID = statement('catalog_product_by_id', productDetail('p.id = $1::uuid'));
const BY_HANDLE = statement('catalog_product_by_handle', productDetail('p.handle = $1'));

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A published product by id or handle, as its page shows it (prices in `currency`, images where a
 * storefront loads them); undefined when there is none (drafts and archived ones included). Built
 * in the order the answer lists its fields, straight from the row: a page is the storefront's most
 * frequent read, and each object it makes and drops is work for the API's garbage collector
 * (docs/performance.md, "Kept card texts").
 */
export async function findProduct(em: EntityManager, idOrHandle: string, currency: string,
  imageViews: (images: StoredImage[]) => ImageView[]): Promise<ProductDetail | undefined> {
  const [row] = await sqlRows<ProductDetailRow>(em, UUID.test(idOrHandle) ? BY_ID : BY_HANDLE, [idOrHandle]);
  if (!row) return undefined;
  const variants: VariantDetail[] = [];
  for (const v of row.variants) {
    const live = row.stock?.[v.sku];
    const amount = v.prices[currency];
    // jsonb keeps an object's keys ordered by length, then bytewise: currency codes (three capitals) come in alphabetical order.
    const prices: PricedMoney[] = [];
    for (const code in v.prices) prices.push(priced(Number(v.prices[code]), code));
    variants.push({ sku: v.sku, title: v.title, available: live ? Number(live[1]) : 0, options: v.options, weightGrams: live ? live[0] : null,
      price: amount === undefined ? null : priced(Number(amount), currency), prices });
  }
  return {
    id: row.id, handle: row.handle, title: row.title, description: row.description, images: imageViews(row.images), options: row.options,
    variants, categories: row.categories, collections: row.collections, attributes: row.attributes ?? {}, slug: row.handle,
  };
}

const priced = (amount: number, currency: string): PricedMoney => ({ amount, currency, formatted: formatMoney({ amount, currency }) });

/** The product page's statement by handle ($1), for bench/catalog to EXPLAIN. */
export const PRODUCT_PAGE_STATEMENT = BY_HANDLE;
