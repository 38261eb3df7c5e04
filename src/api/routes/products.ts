import { z } from 'zod';
import { ErrorCode, notFound } from '../../domain/errors';
import { findProduct, searchProducts, type StoredImage } from '../../store/catalog';
import type { ImageStorage } from '../../integrations/image-storage';
import { route } from '../http';
import { currency, productDetailView, productView, queryInt } from '../schemas';
import { emOf } from '../context';

const priceCurrency = currency.default('USD').meta({ description: 'The currency prices are shown in (a cart in it uses the same prices).' });

const listQuery = z.strictObject({
  q: z.string().trim().max(200).optional().meta({ description: 'Full-text search over titles and descriptions.' }),
  currency: priceCurrency,
  limit: queryInt(1, 100).default(20),
  offset: queryInt(0, 10_000).default(0),
});

/** Where a storefront loads an image from: an external image's own URL, or the storage's URL of an uploaded one. */
export function imageUrls(storage: Pick<ImageStorage, 'urlOf'> | undefined) {
  return (images: StoredImage[]) => images.map((i) => ({ url: i.url ?? (storage ? storage.urlOf(i.key as string) : `/media/${i.key}`), alt: i.alt }));
}

/** The storefront's catalog: published products only. */
export function productRoutes(deps: { images?: Pick<ImageStorage, 'urlOf'> }) {
  const withUrls = imageUrls(deps.images);
  return [
    route({
      method: 'get', path: '/products', tag: 'catalog', access: 'public',
      summary: 'List or search the published catalog, a page at a time',
      query: listQuery,
      responses: { 200: { description: 'A page of products', schema: z.object({
        items: z.array(productView), total: z.number().int(), limit: z.number().int(), offset: z.number().int(),
        nextOffset: z.number().int().nullable(),
      }) } },
      handler: async (ctx, { query }) => {
        const { items, total } = await searchProducts(emOf(ctx), query);
        const next = query.offset + items.length;
        ctx.body = { items: items.map((p) => ({ ...p, slug: p.handle, images: withUrls(p.images) })), total, limit: query.limit,
          offset: query.offset, nextOffset: next < total ? next : null };
      },
    }),
    route({
      method: 'get', path: '/products/:idOrSlug', tag: 'catalog', access: 'public',
      summary: 'One published product, by id or handle, with its options, variants, prices, availability, images and taxonomy',
      params: z.strictObject({ idOrSlug: z.string().min(1).max(200).meta({ description: 'The product id or its handle.' }) }),
      query: z.strictObject({ currency: priceCurrency }),
      responses: { 200: { description: 'The product', schema: productDetailView }, 404: { description: 'No published product of that id or handle (product_not_found)' } },
      handler: async (ctx, { params, query }) => {
        const product = await findProduct(emOf(ctx), params.idOrSlug, query.currency);
        if (!product) throw notFound(ErrorCode.ProductNotFound, 'Product', params.idOrSlug);
        ctx.body = { ...product, slug: product.handle, images: withUrls(product.images) };
      },
    }),
  ];
}
