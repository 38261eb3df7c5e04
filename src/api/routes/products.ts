import { z } from 'zod';
import { ErrorCode, notFound } from '../../domain/errors';
import { findProduct, searchProducts } from '../../store/catalog';
import { route } from '../http';
import { productView } from '../schemas';
import { emOf } from '../context';

const listQuery = z.strictObject({
  q: z.string().trim().max(200).optional().meta({ description: 'Full-text search over titles and descriptions.' }),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).max(10_000).default(0),
});

export const productRoutes = [
  route({
    method: 'get', path: '/products', tag: 'catalog', access: 'public',
    summary: 'List or search the catalog, a page at a time',
    query: listQuery,
    responses: { 200: { description: 'A page of products', schema: z.object({
      items: z.array(productView), total: z.number().int(), limit: z.number().int(), offset: z.number().int(),
      nextOffset: z.number().int().nullable(),
    }) } },
    handler: async (ctx, { query }) => {
      const { items, total } = await searchProducts(emOf(ctx), query);
      const next = query.offset + items.length;
      ctx.body = { items, total, limit: query.limit, offset: query.offset, nextOffset: next < total ? next : null };
    },
  }),
  route({
    method: 'get', path: '/products/:idOrSlug', tag: 'catalog', access: 'public',
    summary: 'One product with its variants, prices and availability',
    params: z.strictObject({ idOrSlug: z.string().min(1).max(200) }),
    responses: { 200: { description: 'The product', schema: productView } },
    handler: async (ctx, { params }) => {
      const product = await findProduct(emOf(ctx), params.idOrSlug);
      if (!product) throw notFound(ErrorCode.ProductNotFound, 'Product', params.idOrSlug);
      ctx.body = product;
    },
  }),
];
