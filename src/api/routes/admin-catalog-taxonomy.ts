/**
 * Staff routes for how products are filed: categories (a tree), collections, attributes and their
 * values. Reads answer the version as an ETag; every change needs it in If-Match and is audited.
 */
import { z } from 'zod';
import {
  attribute, attributes, categories, category, changeAttributeValues, collection, collections, createAttribute, createCategory, createCollection,
  deleteAttribute, deleteCategory, deleteCollection, updateAttribute, updateCategory, updateCollection,
} from '../../store/catalog-taxonomy';
import { notFoundIn, type Versioned } from '../../store/catalog-writes';
import { IF_MATCH_HEADER, expectedVersion, sendVersioned } from '../concurrency';
import { emOf } from '../context';
import { route, type AnyRoute } from '../http';
import { auditRoute, CATALOG_NOT_FOUND, CATALOG_REFUSALS, CATALOG_STAFF, catalogActor, handle } from './admin-catalog-schemas';

const name = z.string().trim().min(1).max(200);
const description = z.string().max(20_000);
const position = z.number().int().min(0).max(100_000);
const value = z.string().trim().min(1).max(100);
/** An attribute's name: at most 100 characters, as the database keeps it (attributes_name_check). */
const attributeName = z.string().trim().min(1).max(100);
const version = z.number().int().meta({ description: 'Sent as the ETag; send it back in If-Match to change it.' });

const categoryView = z.object({ id: z.uuid(), parentId: z.uuid().nullable(), handle: z.string(), name: z.string(), description: z.string(),
  position: z.number().int(), version, products: z.number().int() }).meta({ id: 'Category' });
const collectionView = z.object({ id: z.uuid(), handle: z.string(), title: z.string(), description: z.string(), version, products: z.number().int() })
  .meta({ id: 'Collection' });
const attributeView = z.object({ id: z.uuid(), code: z.string(), name: z.string(), filterable: z.boolean(), position: z.number().int(), version,
  values: z.array(z.object({ id: z.uuid(), value: z.string(), position: z.number().int(), products: z.number().int() })) }).meta({ id: 'Attribute' });

const categoryInput = z.strictObject({ handle, name, description: description.optional(), position: position.optional(),
  parentId: z.uuid().nullable().optional().meta({ description: 'The parent category; null or left out for a top-level one.' }) });
const collectionInput = z.strictObject({ handle, title: name, description: description.optional() });
const attributeInput = z.strictObject({ code: z.string().regex(/^[a-z][a-z0-9_]{0,49}$/, 'lower-case letters, digits and _, such as brand'),
  name: attributeName, filterable: z.boolean().optional(), position: position.optional(), values: z.array(value).max(1000).optional() });

const idParams = z.strictObject({ id: z.uuid() });
const withEtag = (description: string, schema: z.ZodType) => ({ description, schema, headers: { ETag: 'Its version, for If-Match.' } });

type Staff = { tag: string; access: typeof CATALOG_STAFF.access };

/**
 * The five routes of one kind of thing: list, create, read, change, delete. `create`, `update` and
 * `remove` are the store's; reads answer with the ETag, writes take If-Match.
 */
export function crud<I extends z.ZodObject, T extends { version: number }>(staff: Staff, spec: {
  path: string; table: Versioned; what: string; view: z.ZodType; input: I;
  list: (em: ReturnType<typeof emOf>) => Promise<T[]>;
  read: (em: ReturnType<typeof emOf>, id: string) => Promise<T | undefined>;
  create: (em: ReturnType<typeof emOf>, who: ReturnType<typeof catalogActor>, body: z.infer<I>) => Promise<T>;
  update: (em: ReturnType<typeof emOf>, who: ReturnType<typeof catalogActor>, id: string, version: number, body: Partial<z.infer<I>>) => Promise<T>;
  remove: (em: ReturnType<typeof emOf>, who: ReturnType<typeof catalogActor>, id: string, version: number) => Promise<void>;
  patch?: z.ZodType;
}): AnyRoute[] {
  const item = `${spec.path}/:id`;
  return [
    route({ ...staff, method: 'get', path: spec.path, summary: `Every ${spec.what}`,
      responses: { 200: { description: `The ${spec.what}s`, schema: z.object({ items: z.array(spec.view) }) } },
      handler: async (ctx) => {
        ctx.body = { items: await spec.list(emOf(ctx)) };
      } }),
    route({ ...staff, method: 'post', path: spec.path, summary: `Create a ${spec.what}`, body: spec.input,
      responses: { 201: withEtag(`The new ${spec.what}`, spec.view), ...CATALOG_REFUSALS },
      handler: async (ctx, { body }) => {
        const created = await spec.create(emOf(ctx), catalogActor(ctx), body as z.infer<I>);
        ctx.set('Location', `${spec.path}/${(created as unknown as { id: string }).id}`);
        sendVersioned(ctx, created, 201);
      } }),
    route({ ...staff, method: 'get', path: item, summary: `One ${spec.what}; the ETag is its version`, params: idParams,
      responses: { 200: withEtag(`The ${spec.what}`, spec.view), ...CATALOG_NOT_FOUND },
      handler: async (ctx, { params }) => {
        const found = await spec.read(emOf(ctx), params.id);
        if (!found) throw notFoundIn(spec.table, params.id);
        sendVersioned(ctx, found);
      } }),
    route({ ...staff, headers: IF_MATCH_HEADER, method: 'patch', path: item, summary: `Change a ${spec.what}`, params: idParams,
      body: spec.patch ?? spec.input.partial(), responses: { 200: withEtag(`The ${spec.what} as the change left it`, spec.view), ...CATALOG_REFUSALS },
      handler: async (ctx, { params, body }) => {
        sendVersioned(ctx, await spec.update(emOf(ctx), catalogActor(ctx), params.id, expectedVersion(ctx), body as Partial<z.infer<I>>));
      } }),
    route({ ...staff, headers: IF_MATCH_HEADER, method: 'delete', path: item, summary: `Delete a ${spec.what} (it leaves the products filed under it)`,
      params: idParams, responses: { 204: { description: 'Deleted' }, ...CATALOG_REFUSALS },
      handler: async (ctx, { params }) => {
        await spec.remove(emOf(ctx), catalogActor(ctx), params.id, expectedVersion(ctx));
        ctx.status = 204;
      } }),
    auditRoute(`${item}/audit`, `Who changed the ${spec.what}, when, and what changed`),
  ];
}

export function adminCatalogTaxonomyRoutes(): AnyRoute[] {
  const staff: Staff = CATALOG_STAFF;
  const writable = { ...staff, headers: IF_MATCH_HEADER };
  const valueParams = z.strictObject({ id: z.uuid(), valueId: z.uuid() });
  const attributeResponse = { 200: withEtag('The attribute as the change left it', attributeView), ...CATALOG_REFUSALS };
  return [
    ...crud(staff, { path: '/admin/catalog/categories', table: 'categories', what: 'category', view: categoryView, input: categoryInput,
      list: categories, read: category, create: createCategory, update: updateCategory, remove: deleteCategory }),
    ...crud(staff, { path: '/admin/catalog/collections', table: 'collections', what: 'collection', view: collectionView, input: collectionInput,
      list: collections, read: collection, create: createCollection, update: updateCollection, remove: deleteCollection }),
    ...crud(staff, { path: '/admin/catalog/attributes', table: 'attributes', what: 'attribute', view: attributeView, input: attributeInput,
      patch: attributeInput.pick({ name: true, filterable: true, position: true }).partial(),
      list: attributes, read: attribute, create: createAttribute, update: updateAttribute, remove: deleteAttribute }),
    route({ ...writable, method: 'post', path: '/admin/catalog/attributes/:id/values', summary: 'Add a value to an attribute',
      params: idParams, body: z.strictObject({ value, position: position.optional() }), responses: attributeResponse,
      handler: async (ctx, { params, body }) => {
        sendVersioned(ctx, await changeAttributeValues(emOf(ctx), catalogActor(ctx), params.id, expectedVersion(ctx), { add: body }));
      } }),
    route({ ...writable, method: 'patch', path: '/admin/catalog/attributes/:id/values/:valueId', summary: 'Rename or reorder an attribute value',
      params: valueParams, body: z.strictObject({ value: value.optional(), position: position.optional() }), responses: attributeResponse,
      handler: async (ctx, { params, body }) => {
        sendVersioned(ctx, await changeAttributeValues(emOf(ctx), catalogActor(ctx), params.id, expectedVersion(ctx),
          { update: { valueId: params.valueId, ...body } }));
      } }),
    route({ ...writable, method: 'delete', path: '/admin/catalog/attributes/:id/values/:valueId',
      summary: 'Remove an attribute value (it leaves the products that had it)', params: valueParams, responses: attributeResponse,
      handler: async (ctx, { params }) => {
        sendVersioned(ctx, await changeAttributeValues(emOf(ctx), catalogActor(ctx), params.id, expectedVersion(ctx), { remove: { valueId: params.valueId } }));
      } }),
  ];
}
