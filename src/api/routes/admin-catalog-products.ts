/**
 * Staff routes for products: create (with options, variants, prices, stock, categories,
 * collections, attributes and images, all or nothing), read, list, update, archive; add, change
 * and remove variants and their prices; set stock per variant; attach, change and detach images.
 * Every write names the version it read (If-Match) and is audited (GET …/audit).
 */
import { z } from 'zod';
import { handleOf, MAX_OPTIONS, MAX_VARIANTS, PRODUCT_STATUSES } from '../../domain/catalog';
import { IMAGE_KEY } from '../../domain/images';
import {
  addImage, addVariant, adminProduct, adminProducts, createProduct, removeImage, removeVariant, setVariantStock, updateImage, updateProduct,
  updateVariant, type AdminProduct,
} from '../../store/catalog-admin';
import { notFoundIn } from '../../store/catalog-writes';
import type { ImageStorage } from '../../integrations/image-storage';
import { IF_MATCH_HEADER, expectedVersion, sendVersioned } from '../concurrency';
import { emOf } from '../context';
import { route } from '../http';
import { currency, queryInt, sku } from '../schemas';
import { adminProductView, auditRoute, CATALOG_NOT_FOUND, CATALOG_REFUSALS, CATALOG_STAFF, catalogActor, handle } from './admin-catalog-schemas';

const title = z.string().trim().min(1).max(200);
const description = z.string().max(20_000);
const status = z.enum(PRODUCT_STATUSES);
const amount = z.number().int('minor units (cents), a whole number').min(0).max(100_000_000_000);
const optionText = z.string().trim().min(1).max(100);
const options = z.array(z.strictObject({ name: optionText, values: z.array(optionText).min(1).max(100) })).max(MAX_OPTIONS)
  .meta({ description: `Up to ${MAX_OPTIONS} options, each with its values in display order; each variant picks one value of each.` });
const choice = z.record(optionText, optionText).meta({ description: 'One value per option, by option name: { "Colour": "Black", "Size": "M" }.' });
const weightGrams = z.number().int().min(0).max(10_000_000).nullable();
const onHand = z.number().int().min(0).max(10_000_000);
const ids = z.array(z.uuid()).max(100);
const attributesInput = z.record(z.string().regex(/^[a-z][a-z0-9_]{0,49}$/), z.array(optionText).max(50))
  .meta({ description: 'Values by attribute code: { "brand": ["Northwind"] }. The attribute must exist; new values are added to it.' });
const imageInput = z.strictObject({
  url: z.url({ protocol: /^https?$/ }).max(2000).optional().meta({ description: 'An external image.', override: { pattern: '^https?://' } }),
  key: z.string().regex(IMAGE_KEY, 'an image key as POST /admin/catalog/images answered it').optional()
    .meta({ description: 'An uploaded image (POST /admin/catalog/images).' }),
  alt: z.string().max(500).optional(),
  position: z.number().int().min(0).max(1000).optional(),
}).refine((i) => (i.url === undefined) !== (i.key === undefined), 'give either url or key')
  .meta({ override: { oneOf: [{ required: ['url'] }, { required: ['key'] }] } }); // the refinement, in the document

const variantInput = z.strictObject({
  sku, title: title.optional().meta({ description: 'Defaults to the option values, e.g. "Black / M".' }),
  options: choice.optional(), prices: z.record(currency, amount).optional().meta({ description: 'Minor units by currency: { "USD": 2500, "EUR": 2300 }.' }),
  weightGrams: weightGrams.optional(), onHand: onHand.optional().meta({ description: 'Stock on hand; 0 when left out.' }),
}).meta({ id: 'VariantInput' });

const productInput = z.strictObject({
  handle: handle.optional().meta({ description: 'Defaults to one made from the title.' }),
  title, description: description.optional(), status: status.optional().meta({ description: 'draft unless said otherwise.' }),
  options: options.optional(), variants: z.array(variantInput).max(MAX_VARIANTS).optional(),
  categoryIds: ids.optional(), collectionIds: ids.optional(), attributes: attributesInput.optional(), images: z.array(imageInput).max(50).optional(),
}).meta({ id: 'ProductInput' });

const productPatch = z.strictObject({
  handle: handle.optional(), title: title.optional(), description: description.optional(),
  status: status.optional().meta({ description: 'archived withdraws the product from the storefront (and from carts at checkout).' }),
  options: options.optional().meta({ description: 'Replaces the options by position (renames, adds and removes values); while the product has variants their number stays.' }),
  categoryIds: ids.optional(), collectionIds: ids.optional(), attributes: attributesInput.optional(),
}).meta({ id: 'ProductPatch' });

const variantPatch = z.strictObject({
  title: title.optional(), options: choice.optional(), weightGrams: weightGrams.optional(), position: z.number().int().min(0).max(1000).optional(),
  prices: z.record(currency, amount.nullable()).optional().meta({ description: 'Prices to set by currency; null removes the price in that currency.' }),
}).meta({ id: 'VariantPatch' });

const productParams = z.strictObject({ id: z.uuid() });
const variantParams = z.strictObject({ id: z.uuid(), sku });
const imageParams = z.strictObject({ id: z.uuid(), imageId: z.uuid() });
const versioned = (description: string) => ({ description, schema: adminProductView, headers: { ETag: 'The product\'s new version, for the next If-Match.' } });
const ok = { 200: versioned('The product as the change left it'), ...CATALOG_REFUSALS };

type View = (p: AdminProduct) => AdminProduct;
type Staff = typeof CATALOG_STAFF;

export function adminCatalogProductRoutes(images?: Pick<ImageStorage, 'urlOf'>) {
  const staff = CATALOG_STAFF;
  const view = (p: AdminProduct) => ({ ...p, images: p.images.map((i) => ({ ...i, url: i.url ?? (images ? images.urlOf(i.key as string) : `/media/${i.key}`) })) });
  return [...productRoutes(staff, view), ...variantRoutes(staff, view), ...imageRoutes(staff, view),
    auditRoute('/admin/catalog/products/:id/audit', 'Who changed the product (and its variants, prices, stock and images), when, and what changed')];
}

function productRoutes(staff: Staff, view: View) {
  const writable = { ...staff, headers: IF_MATCH_HEADER };
  return [
    route({
      ...staff, method: 'get', path: '/admin/catalog/products',
      summary: 'Products of every status, most recently changed first',
      query: z.strictObject({ status: status.optional(), q: z.string().trim().min(1).max(200).optional().meta({ description: 'Words of the title or description, or a handle.' }),
        limit: queryInt(1, 100).default(50), offset: queryInt(0, 10_000).default(0) }),
      responses: { 200: { description: 'A page of products', schema: z.object({ items: z.array(z.object({
        id: z.uuid(), handle: z.string(), title: z.string(), status, version: z.number().int(), variants: z.number().int(), updatedAt: z.string() })) }) } },
      handler: async (ctx, { query }) => {
        ctx.body = { items: await adminProducts(emOf(ctx), query) };
      },
    }),
    route({
      ...staff, method: 'post', path: '/admin/catalog/products',
      summary: 'Create a product with its options, variants, prices, stock, categories, collections, attributes and images (all or nothing)',
      body: productInput,
      responses: { 201: versioned('The new product'), ...CATALOG_REFUSALS },
      handler: async (ctx, { body }) => {
        const product = await createProduct(emOf(ctx), catalogActor(ctx), { ...body, handle: body.handle ?? handleOf(body.title) });
        ctx.set('Location', `/admin/catalog/products/${product.id}`);
        sendVersioned(ctx, view(product), 201);
      },
    }),
    route({
      ...staff, method: 'get', path: '/admin/catalog/products/:id',
      summary: 'A product as staff see it, whatever its status; the ETag is its version',
      params: productParams,
      responses: { 200: versioned('The product'), ...CATALOG_NOT_FOUND },
      handler: async (ctx, { params }) => {
        const product = await adminProduct(emOf(ctx), params.id);
        if (!product) throw notFoundIn('products', params.id);
        sendVersioned(ctx, view(product));
      },
    }),
    route({
      ...writable, method: 'patch', path: '/admin/catalog/products/:id',
      summary: 'Change a product: fields, status (publish, archive), options, categories, collections, attributes',
      params: productParams, body: productPatch, responses: ok,
      handler: async (ctx, { params, body }) => {
        sendVersioned(ctx, view(await updateProduct(emOf(ctx), catalogActor(ctx), params.id, expectedVersion(ctx), body)));
      },
    }),
    route({
      ...writable, method: 'post', path: '/admin/catalog/products/:id/archive',
      summary: 'Archive a product: it leaves the storefront; carts holding it cannot check it out',
      params: productParams, responses: ok,
      handler: async (ctx, { params }) => {
        sendVersioned(ctx, view(await updateProduct(emOf(ctx), catalogActor(ctx), params.id, expectedVersion(ctx), { status: 'archived' })));
      },
    }),
  ];
}

function variantRoutes(staff: Staff, view: View) {
  const writable = { ...staff, headers: IF_MATCH_HEADER };
  return [
    route({
      ...writable, method: 'post', path: '/admin/catalog/products/:id/variants',
      summary: 'Add a variant with its option values, prices, weight and stock',
      params: productParams, body: variantInput, responses: { 201: versioned('The product with the new variant'), ...CATALOG_REFUSALS },
      handler: async (ctx, { params, body }) => {
        sendVersioned(ctx, view(await addVariant(emOf(ctx), catalogActor(ctx), params.id, expectedVersion(ctx), body)), 201);
      },
    }),
    route({
      ...writable, method: 'patch', path: '/admin/catalog/products/:id/variants/:sku',
      summary: 'Change a variant: title, option values, weight, position, prices (null removes a currency)',
      params: variantParams, body: variantPatch, responses: ok,
      handler: async (ctx, { params, body }) => {
        sendVersioned(ctx, view(await updateVariant(emOf(ctx), catalogActor(ctx), params.id, params.sku, expectedVersion(ctx), body)));
      },
    }),
    route({
      ...writable, method: 'delete', path: '/admin/catalog/products/:id/variants/:sku',
      summary: 'Remove a variant (refused while live orders hold its stock); it leaves the carts holding it',
      params: variantParams, responses: ok,
      handler: async (ctx, { params }) => {
        sendVersioned(ctx, view(await removeVariant(emOf(ctx), catalogActor(ctx), params.id, params.sku, expectedVersion(ctx))));
      },
    }),
    route({
      ...writable, method: 'put', path: '/admin/catalog/products/:id/variants/:sku/stock',
      summary: 'Set the stock on hand of a variant (never below what orders have reserved)',
      params: variantParams, body: z.strictObject({ onHand }), responses: ok,
      handler: async (ctx, { params, body }) => {
        sendVersioned(ctx, view(await setVariantStock(emOf(ctx), catalogActor(ctx), params.id, params.sku, expectedVersion(ctx), body.onHand)));
      },
    }),
  ];
}

function imageRoutes(staff: Staff, view: View) {
  const writable = { ...staff, headers: IF_MATCH_HEADER };
  return [
    route({
      ...writable, method: 'post', path: '/admin/catalog/products/:id/images',
      summary: 'Attach an image: an uploaded one (by key) or an external URL',
      params: productParams, body: imageInput, responses: { 201: versioned('The product with the image'), ...CATALOG_REFUSALS },
      handler: async (ctx, { params, body }) => {
        sendVersioned(ctx, view(await addImage(emOf(ctx), catalogActor(ctx), params.id, expectedVersion(ctx), body)), 201);
      },
    }),
    route({
      ...writable, method: 'patch', path: '/admin/catalog/products/:id/images/:imageId',
      summary: 'Change an image\'s alt text or position',
      params: imageParams, body: z.strictObject({ alt: z.string().max(500).optional(), position: z.number().int().min(0).max(1000).optional() }), responses: ok,
      handler: async (ctx, { params, body }) => {
        sendVersioned(ctx, view(await updateImage(emOf(ctx), catalogActor(ctx), params.id, params.imageId, expectedVersion(ctx), body)));
      },
    }),
    route({
      ...writable, method: 'delete', path: '/admin/catalog/products/:id/images/:imageId',
      summary: 'Detach an image (an uploaded file nothing refers to any more is deleted by the image sweep)',
      params: imageParams, responses: ok,
      handler: async (ctx, { params }) => {
        sendVersioned(ctx, view(await removeImage(emOf(ctx), catalogActor(ctx), params.id, params.imageId, expectedVersion(ctx))));
      },
    }),
  ];
}
