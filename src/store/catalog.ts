/** Catalog reads: full-text search over a generated tsvector (GIN-indexed), variants with live availability. */
import type { EntityManager } from '@mikro-orm/postgresql';
import { formatMoney } from '../domain/money';
import { sqlRows, statement } from '../db/sql';

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

// One statement per shape, each prepared once per connection (src/db/sql.ts). Searching and
// listing are separate texts so that neither plan has to allow for the other.
const SEARCH = statement('catalog_search', `
  select p.id, p.slug, p.title, p.description, count(*) over () as total
    from products p, websearch_to_tsquery('english', $1::text) as tsq
   where p.search @@ tsq
   order by ts_rank(p.search, tsq) desc, p.created_at, p.id
   limit $2 offset $3`);
const LIST = statement('catalog_list', `
  select p.id, p.slug, p.title, p.description, count(*) over () as total
    from products p
   order by p.created_at, p.id
   limit $1 offset $2`);
const VARIANTS = statement('catalog_variants', `
  select v.product_id, v.sku, v.title, v.price_amount, v.currency, coalesce(i.on_hand - i.reserved, 0) as available
    from variants v left join inventory i on i.sku = v.sku
   where v.product_id = any($1::uuid[])
   order by v.position, v.sku`);

export async function searchProducts(
  em: EntityManager,
  opts: { q?: string; limit: number; offset: number },
): Promise<{ items: ProductView[]; total: number }> {
  const q = opts.q?.trim() || null;
  // websearch_to_tsquery accepts any user text (quotes, -exclusions, or) without syntax errors.
  const rows = q === null
    ? await sqlRows<ProductRow>(em, LIST, [opts.limit, opts.offset])
    : await sqlRows<ProductRow>(em, SEARCH, [q, opts.limit, opts.offset]);
  const total = rows.length ? Number(rows[0].total) : await countAll(em, q, opts.offset);
  return { items: await withVariants(em, rows), total };
}

// Past the last page the window count is missing; count separately so `total` stays right.
async function countAll(em: EntityManager, q: string | null, offset: number): Promise<number> {
  if (offset === 0) return 0;
  const [row] = await sqlRows<{ n: string }>(em,
    q === null ? 'select count(*) as n from products' : `select count(*) as n from products where search @@ websearch_to_tsquery('english', $1::text)`,
    q === null ? [] : [q]);
  return Number(row.n);
}

export async function findProduct(em: EntityManager, idOrSlug: string): Promise<ProductView | undefined> {
  const isUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(idOrSlug);
  const rows = await sqlRows<ProductRow>(em,
    `select id, slug, title, description, 1 as total from products where ${isUuid ? 'id = $1::uuid' : 'slug = $1'}`, [idOrSlug]);
  if (rows.length === 0) return undefined;
  return (await withVariants(em, rows))[0];
}

async function withVariants(em: EntityManager, products: ProductRow[]): Promise<ProductView[]> {
  if (products.length === 0) return [];
  const variants = await sqlRows<VariantRow>(em, VARIANTS, [products.map((p) => p.id)]);
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
