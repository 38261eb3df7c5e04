/** Products as staff read them (every status, every detail, the version for If-Match), and the same flattened for the audit trail. */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { ProductStatus } from '../domain/catalog';
import { sqlRows, type Sql } from '../db/sql';

export interface AdminVariant {
  id: string; sku: string; title: string; position: number; weightGrams: number | null;
  options: Record<string, string>; prices: Record<string, number>; onHand: number; reserved: number;
}

export interface AdminProduct {
  id: string; handle: string; title: string; description: string; status: ProductStatus; version: number;
  createdAt: string; updatedAt: string;
  options: { id: string; name: string; values: { id: string; value: string }[] }[];
  variants: AdminVariant[];
  images: { id: string; key: string | null; url: string | null; alt: string; position: number }[];
  categoryIds: string[];
  collectionIds: string[];
  attributes: Record<string, string[]>;
}

const ADMIN_PRODUCT = `
  select p.id, p.handle, p.title, p.description, p.status, p.version, p.created_at as "createdAt", p.updated_at as "updatedAt",
         coalesce((select json_agg(json_build_object('id', o.id, 'name', o.name,
                                   'values', (select coalesce(json_agg(json_build_object('id', ov.id, 'value', ov.value) order by ov.position, ov.value), '[]')
                                                from product_option_values ov where ov.option_id = o.id))
                          order by o.position, o.name)
                     from product_options o where o.product_id = p.id), '[]') as options,
         coalesce((select json_agg(json_build_object('id', v.id, 'sku', v.sku, 'title', v.title, 'position', v.position, 'weightGrams', v.weight_grams,
                                   'options', coalesce((select json_object_agg(o.name, ov.value order by o.position)
                                                          from variant_option_values x join product_options o on o.id = x.option_id
                                                          join product_option_values ov on ov.id = x.value_id where x.variant_id = v.id), '{}'),
                                   'prices', coalesce((select json_object_agg(a.currency, a.amount order by a.currency) from variant_prices a where a.variant_id = v.id), '{}'),
                                   'onHand', coalesce(i.on_hand, 0), 'reserved', coalesce(i.reserved, 0))
                          order by v.position, v.sku)
                     from variants v left join inventory i on i.sku = v.sku where v.product_id = p.id), '[]') as variants,
         coalesce((select json_agg(json_build_object('id', im.id, 'key', im.object_key, 'url', im.url, 'alt', im.alt, 'position', im.position)
                          order by im.position, im.created_at)
                     from product_images im where im.product_id = p.id), '[]') as images,
         coalesce((select json_agg(category_id order by category_id) from product_categories where product_id = p.id), '[]') as "categoryIds",
         coalesce((select json_agg(collection_id order by collection_id) from product_collections where product_id = p.id), '[]') as "collectionIds",
         coalesce((select json_object_agg(code, vals) from (
            select a.code, json_agg(av.value order by av.position, av.value) as vals
              from product_attribute_values pa join attributes a on a.id = pa.attribute_id join attribute_values av on av.id = pa.value_id
             where pa.product_id = p.id group by a.code) attrs), '{}') as attributes
    from products p where p.id = $1`;

export async function readAdminProduct(sql: Sql, id: string): Promise<AdminProduct | undefined> {
  const [row] = await sql.rows<AdminProduct & { createdAt: Date; updatedAt: Date }>(ADMIN_PRODUCT, [id]);
  if (!row) return undefined;
  return { ...row, createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString(),
    variants: row.variants.map((v) => ({ ...v, prices: Object.fromEntries(Object.entries(v.prices).map(([c, a]) => [c, Number(a)])) })) };
}

/** A product's options in order, with their ids (a variant's choice names them). */
export async function productOptions(sql: Sql, productId: string): Promise<{ id: string; name: string }[]> {
  return sql.rows<{ id: string; name: string }>('select id, name from product_options where product_id = $1 order by position, name', [productId]);
}

/**
 * A product as the audit trail compares it: its own fields, then one entry per variant (by SKU)
 * and per image (by id), so a changed price reads as `variant:TEE-M` from … to …, not the whole list.
 */
export function flatForAudit(p: AdminProduct): Record<string, unknown> {
  const { variants, images, version: _version, updatedAt: _updated, createdAt: _created, options, ...own } = p;
  return {
    ...own,
    options: options.map((o) => ({ name: o.name, values: o.values.map((v) => v.value) })),
    ...Object.fromEntries(variants.map(({ id: _id, reserved: _reserved, ...v }) => [`variant:${v.sku}`, v])),
    ...Object.fromEntries(images.map(({ id, ...image }) => [`image:${id}`, image])),
  };
}

export interface AdminProductSummary { id: string; handle: string; title: string; status: ProductStatus; version: number; variants: number; updatedAt: string }

/** Products for staff, most recently changed first, optionally of one status or matching words or a handle. */
export async function adminProducts(em: EntityManager, f: { status?: ProductStatus; q?: string; limit: number; offset: number })
  : Promise<AdminProductSummary[]> {
  const rows = await sqlRows<AdminProductSummary & { updatedAt: Date }>(em,
    `select p.id, p.handle, p.title, p.status, p.version, p.updated_at as "updatedAt",
            (select count(*)::int from variants v where v.product_id = p.id) as variants
       from products p
      where ($1::text is null or p.status = $1)
        and ($2::text is null or p.search @@ websearch_to_tsquery('english', $2) or p.handle = $2)
      order by p.updated_at desc, p.id desc limit $3 offset $4`,
    [f.status ?? null, f.q ?? null, f.limit, f.offset]);
  return rows.map((r) => ({ ...r, updatedAt: r.updatedAt.toISOString() }));
}
