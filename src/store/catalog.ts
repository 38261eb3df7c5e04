/** Catalog reads: full-text search over a generated tsvector (GIN-indexed), variants with live availability. */
import type { EntityManager } from '@mikro-orm/postgresql';
import { formatMoney } from '../domain/money';

export interface VariantView {
  sku: string;
  title: string;
  price: { amount: number; currency: string; formatted: string };
  available: number;
}

export interface ProductView {
  id: string;
  slug: string;
  title: string;
  description: string;
  variants: VariantView[];
}

interface ProductRow { id: string; slug: string; title: string; description: string; total: string }
interface VariantRow { product_id: string; sku: string; title: string; price_amount: string; currency: string; available: number }

export async function searchProducts(
  em: EntityManager,
  opts: { q?: string; limit: number; offset: number },
): Promise<{ items: ProductView[]; total: number }> {
  const q = opts.q?.trim() || null;
  // websearch_to_tsquery accepts any user text (quotes, -exclusions, or) without syntax errors.
  const rows = await em.getConnection().execute<ProductRow[]>(
    `with query as (select case when ?::text is null then null else websearch_to_tsquery('english', ?::text) end as tsq)
     select p.id, p.slug, p.title, p.description, count(*) over () as total
       from products p, query
      where query.tsq is null or p.search @@ query.tsq
      order by case when query.tsq is null then 0 else ts_rank(p.search, query.tsq) end desc, p.created_at, p.id
      limit ? offset ?`,
    [q, q, opts.limit, opts.offset],
  );
  const total = rows.length ? Number(rows[0].total) : await countAll(em, q, opts.offset);
  return { items: await withVariants(em, rows), total };
}

// Past the last page the window count is missing; count separately so `total` stays right.
async function countAll(em: EntityManager, q: string | null, offset: number): Promise<number> {
  if (offset === 0) return 0;
  const [row] = await em.getConnection().execute<{ n: string }[]>(
    `select count(*) as n from products where ?::text is null or search @@ websearch_to_tsquery('english', coalesce(?::text, ''))`,
    [q, q],
  );
  return Number(row.n);
}

export async function findProduct(em: EntityManager, idOrSlug: string): Promise<ProductView | undefined> {
  const isUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(idOrSlug);
  const rows = await em.getConnection().execute<ProductRow[]>(
    `select id, slug, title, description, 1 as total from products where ${isUuid ? 'id = ?::uuid' : 'slug = ?'}`,
    [idOrSlug],
  );
  if (rows.length === 0) return undefined;
  return (await withVariants(em, rows))[0];
}

async function withVariants(em: EntityManager, products: ProductRow[]): Promise<ProductView[]> {
  if (products.length === 0) return [];
  const variants = await em.getConnection().execute<VariantRow[]>(
    `select v.product_id, v.sku, v.title, v.price_amount, v.currency,
            coalesce(i.on_hand - i.reserved, 0) as available
       from variants v left join inventory i on i.sku = v.sku
      where v.product_id in (${products.map(() => '?').join(', ')})
      order by v.position, v.sku`,
    products.map((p) => p.id),
  );
  const byProduct = new Map<string, VariantView[]>();
  for (const v of variants) {
    const amount = Number(v.price_amount);
    const list = byProduct.get(v.product_id) ?? [];
    list.push({ sku: v.sku, title: v.title, available: Number(v.available),
      price: { amount, currency: v.currency, formatted: formatMoney({ amount, currency: v.currency }) } });
    byProduct.set(v.product_id, list);
  }
  return products.map((p) => ({ id: p.id, slug: p.slug, title: p.title, description: p.description, variants: byProduct.get(p.id) ?? [] }));
}
