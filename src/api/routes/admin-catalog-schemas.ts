/** Schemas and the audit route shared by the catalog's staff routes. */
import { z } from 'zod';
import type { Context } from 'koa';
import { PRODUCT_STATUSES } from '../../domain/catalog';
import { auditTrail, type CatalogActor } from '../../store/catalog-writes';
import { staffOf } from '../access';
import { emOf } from '../context';
import { route } from '../http';
import { queryInt } from '../schemas';

export const handle = z.string().max(200).regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'lower-case letters and digits in words joined by hyphens, such as merino-wool-hoodie');

export const adminProductView = z.object({
  id: z.uuid(), handle: z.string(), title: z.string(), description: z.string(), status: z.enum(PRODUCT_STATUSES),
  version: z.number().int().meta({ description: 'Sent as the ETag; send it back in If-Match to change the product.' }),
  createdAt: z.string(), updatedAt: z.string(),
  options: z.array(z.object({ id: z.uuid(), name: z.string(), values: z.array(z.object({ id: z.uuid(), value: z.string() })) })),
  variants: z.array(z.object({
    id: z.uuid(), sku: z.string(), title: z.string(), position: z.number().int(), weightGrams: z.number().int().nullable(),
    options: z.record(z.string(), z.string()), prices: z.record(z.string(), z.number().int()).meta({ description: 'Minor units by currency.' }),
    onHand: z.number().int(), reserved: z.number().int().meta({ description: 'Held by live orders.' }),
  })),
  images: z.array(z.object({ id: z.uuid(), key: z.string().nullable(), url: z.string(), alt: z.string(), position: z.number().int() })),
  categoryIds: z.array(z.uuid()), collectionIds: z.array(z.uuid()), attributes: z.record(z.string(), z.array(z.string())),
}).meta({ id: 'AdminProduct' });

const auditEntry = z.object({
  id: z.string(), at: z.string(), actor: z.string().meta({ description: 'The staff account\'s name.' }),
  staffId: z.uuid().nullable(), keyId: z.uuid().nullable().meta({ description: 'The staff key the change was made with.' }), action: z.string(), entity: z.string(), entityId: z.string(), productId: z.string().nullable(),
  version: z.number().int().nullable().meta({ description: 'The version the change made.' }),
  changes: z.record(z.string(), z.unknown()).meta({ description: 'What changed: { field: { from, to } }, or the whole thing when it was created or deleted.' }),
  requestId: z.string().nullable(),
}).meta({ id: 'CatalogAuditEntry' });

/** What a catalog read of one thing, and a catalog write, may answer besides its success (412 and 428 come with If-Match). */
export const CATALOG_NOT_FOUND = { 404: { description: 'No such product, variant, image, category, collection or attribute (…_not_found)' } };
export const CATALOG_REFUSALS = {
  ...CATALOG_NOT_FOUND,
  409: { description: 'In conflict with what is there: a handle or SKU taken, a variant repeating another\'s options, a category cycle, a thing '
    + 'still in use, stock below what orders reserved (handle_taken, sku_taken, duplicate_variant, category_cycle, in_use, inventory_conflict)' },
  422: { description: 'A product cannot be published as it is (product_not_publishable)' },
};

/** Every catalog staff route: the catalog role (admins too, as everywhere). */
export const CATALOG_STAFF = { tag: 'catalog admin', access: { staff: ['catalog'] } } as const;

/** Who a catalog write is recorded as: the staff account whose key the request carries. */
export function catalogActor(ctx: Context): CatalogActor {
  const staff = staffOf(ctx);
  return { actor: staff.name, staffId: staff.id, keyId: staff.keyId, requestId: ctx.state.requestId as string | undefined };
}

/** GET <path>: the audit trail of the thing whose id is in the path, newest first. */
export function auditRoute(path: string, summary: string) {
  const staff = CATALOG_STAFF;
  return route({
    ...staff, method: 'get', path, summary,
    params: z.strictObject({ id: z.uuid() }),
    query: z.strictObject({ limit: queryInt(1, 500).default(100) }),
    responses: { 200: { description: 'Newest first', schema: z.object({ items: z.array(auditEntry) }) } },
    handler: async (ctx, { params, query }) => {
      const rows = await auditTrail(emOf(ctx), params.id, query.limit);
      ctx.body = { items: rows.map((r) => ({ id: String(r.id), at: r.at.toISOString(), actor: r.actor, staffId: r.staff_id, keyId: r.key_id, action: r.action, entity: r.entity,
        entityId: r.entity_id, productId: r.product_id, version: r.version, changes: r.changes, requestId: r.request_id })) };
    },
  });
}
