/**
 * The storefront's product page: a published product with its variants, live availability, prices
 * and taxonomy, in one prepared statement (src/db/sql.ts). Lists and search are src/store/search.ts.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { formatMoney, type Money } from '../domain/money';
import { sqlRows, statement } from '../db/sql';

export type PricedMoney = Money & { formatted: string };

/** An image as stored: an uploaded object's key (its URL depends on the storage) or an external URL. */
export interface StoredImage { key: string | null; url: string | null; alt: string }

export interface VariantView {
  sku: string;
  title: string;
  /** In the currency asked for; null when the variant has no price in it (it cannot go into a cart of that currency). */
  price: PricedMoney | null;
  available: number;
}

export interface ProductView {
  id: string;
  handle: string;
  title: string;
  description: string;
  images: StoredImage[];
  variants: VariantView[];
}

export interface VariantDetail extends VariantView {
  options: Record<string, string>;
  prices: PricedMoney[];
  weightGrams: number | null;
}

export interface ProductDetail extends Omit<ProductView, 'variants'> {
  options: { name: string; values: string[] }[];
  variants: VariantDetail[];
  categories: { id: string; handle: string; name: string }[];
  collections: { id: string; handle: string; title: string }[];
  attributes: Record<string, string[]>;
}

interface VariantJson { sku: string; title: string; amount: number | null; available: number }
interface ProductRow { id: string; handle: string; title: string; description: string; currency: string; images: StoredImage[] }

const IMAGES = `coalesce((select json_agg(json_build_object('key', im.object_key, 'url', im.url, 'alt', im.alt) order by im.position, im.created_at)
                   from product_images im where im.product_id = p.id), '[]')`;

interface VariantDetailJson extends VariantJson { options: Record<string, string> | null; prices: Money[]; weight_grams: number | null }
interface ProductDetailRow extends ProductRow {
  variants: VariantDetailJson[];
  options: { name: string; values: string[] }[];
  categories: ProductDetail['categories'];
  collections: ProductDetail['collections'];
  attributes: Record<string, string[]> | null;
}

/** Everything a product page shows, in one statement; `where` picks the product ($1) among the published ones, $2 is the currency. */
function productDetail(where: string): string {
  return `
  select p.id, p.handle, p.title, p.description, $2::text as currency, ${IMAGES} as images,
         coalesce((select json_agg(json_build_object('name', o.name,
                                   'values', (select coalesce(json_agg(ov.value order by ov.position, ov.value), '[]')
                                                from product_option_values ov where ov.option_id = o.id))
                          order by o.position, o.name)
                     from product_options o where o.product_id = p.id), '[]') as options,
         coalesce((select json_agg(json_build_object('sku', v.sku, 'title', v.title, 'amount', vp.amount, 'weight_grams', v.weight_grams,
                                   'available', coalesce(i.on_hand - i.reserved, 0),
                                   'options', (select json_object_agg(o.name, ov.value order by o.position)
                                                 from variant_option_values x
                                                 join product_options o on o.id = x.option_id
                                                 join product_option_values ov on ov.id = x.value_id
                                                where x.variant_id = v.id),
                                   'prices', (select coalesce(json_agg(json_build_object('amount', a.amount, 'currency', a.currency) order by a.currency), '[]')
                                                from variant_prices a where a.variant_id = v.id))
                          order by v.position, v.sku)
                     from variants v
                     left join variant_prices vp on vp.variant_id = v.id and vp.currency = $2
                     left join inventory i on i.sku = v.sku
                    where v.product_id = p.id), '[]') as variants,
         coalesce((select json_agg(json_build_object('id', c.id, 'handle', c.handle, 'name', c.name) order by c.name)
                     from product_categories pc join categories c on c.id = pc.category_id where pc.product_id = p.id), '[]') as categories,
         coalesce((select json_agg(json_build_object('id', c.id, 'handle', c.handle, 'title', c.title) order by c.title)
                     from product_collections pc join collections c on c.id = pc.collection_id where pc.product_id = p.id), '[]') as collections,
         (select json_object_agg(code, vals) from (
            select a.code, json_agg(av.value order by av.position, av.value) as vals
              from product_attribute_values pa join attributes a on a.id = pa.attribute_id join attribute_values av on av.id = pa.value_id
             where pa.product_id = p.id group by a.code, a.position order by a.position, a.code) attrs) as attributes
    from products p
   where ${where} and p.status = 'published'`;
}

const BY_ID = statement('catalog_product_by_id', productDetail('p.id = $1::uuid'));
const BY_HANDLE = statement('catalog_product_by_handle', productDetail('p.handle = $1'));

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A published product by id or handle, prices in `currency`; undefined when there is none (drafts and archived ones included). */
export async function findProduct(em: EntityManager, idOrHandle: string, currency: string): Promise<ProductDetail | undefined> {
  const [row] = await sqlRows<ProductDetailRow>(em, UUID.test(idOrHandle) ? BY_ID : BY_HANDLE, [idOrHandle, currency]);
  if (!row) return undefined;
  return {
    id: row.id, handle: row.handle, title: row.title, description: row.description, images: row.images, options: row.options,
    variants: row.variants.map((v) => ({
      ...variantView(v, row.currency), options: v.options ?? {}, weightGrams: v.weight_grams,
      prices: v.prices.map((m) => priced({ amount: Number(m.amount), currency: m.currency })),
    })),
    categories: row.categories, collections: row.collections, attributes: row.attributes ?? {},
  };
}

export const priced = (m: Money): PricedMoney => ({ ...m, formatted: formatMoney(m) });

function variantView(v: VariantJson, currency: string): VariantView {
  return { sku: v.sku, title: v.title, available: Number(v.available),
    price: v.amount === null ? null : priced({ amount: Number(v.amount), currency }) };
}

/** The product page's statement by handle ($1 the handle, $2 the currency), for bench/catalog to EXPLAIN. */
export const PRODUCT_PAGE_STATEMENT = BY_HANDLE;
