/**
 * The signed-in customer's orders: the list (newest first, a page at a time behind an opaque
 * cursor), one order and its parcels. An order placed as a guest with the account's address joins
 * the list once that address is confirmed. Another customer's order is answered as a missing one.
 */
import { z } from 'zod';
import type { Context } from 'koa';
import type { EntityManager } from '@mikro-orm/postgresql';
import { formatMoney } from '../../domain/money';
import { DomainError, ErrorCode } from '../../domain/errors';
import type { Logger } from '../../logger';
import { isOrderOfCustomer, ordersOfCustomer, type CustomerOrderRow } from '../../store/orders';
import type { AppDeps } from '../deps';
import { customerOf, orderNotFound } from '../access';
import { emOf } from '../context';
import { route } from '../http';
import { orderId, orderView, queryInt } from '../schemas';
import { orderSummaryView } from '../account-schemas';
import { liveState, loadOrder } from './orders';
import { loadShipments, shipmentsResponse } from './shipments';
import { signedInOnly } from './me';

const NOT_MINE = { 404: { description: 'No order of yours with that id (order_not_found): another customer\'s is answered the same' } };

const PAGE_DEFAULT = 20;
const PAGE_MAX = 100;

/** A page's last order as the next page starts after it: its creation time (to the microsecond) and id, base64url JSON. */
function cursorOf(row: CustomerOrderRow): string {
  return Buffer.from(JSON.stringify([row.position, row.id])).toString('base64url');
}

function positionOf(cursor: string): { createdAt: string; id: string } {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown];
    if (typeof createdAt === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/.test(createdAt) && z.uuid().safeParse(id).success) {
      return { createdAt, id: id as string };
    }
  } catch {
    // not base64url JSON: refused below like any other malformed cursor
  }
  throw new DomainError(ErrorCode.ValidationFailed, 'Invalid query: cursor: not a cursor this API gave; pass nextCursor from the previous page as it is.',
    { in: 'query', issues: [{ path: 'cursor', message: 'not a cursor this API gave', code: 'invalid_format' }] });
}

const params = z.strictObject({ id: orderId });

/** The request's EntityManager once the order is known to be the signed-in customer's; anyone else's is not found, as a missing one. */
async function myOrder(ctx: Context, id: string): Promise<EntityManager> {
  const em = emOf(ctx);
  if (!(await isOrderOfCustomer(em, id, customerOf(ctx).customerId))) throw orderNotFound(id);
  return em;
}

export function myOrderRoutes(deps: Pick<AppDeps, 'temporal'>) {
  return [
    route({
      ...signedInOnly, method: 'get', path: '/me/orders',
      summary: 'The customer\'s orders, newest first, a page at a time',
      query: z.strictObject({
        limit: queryInt(1, PAGE_MAX).default(PAGE_DEFAULT),
        cursor: z.string().max(200).optional().meta({ description: 'nextCursor from the previous page; leave out for the first.' }),
      }),
      responses: { 200: { description: 'A page of orders', schema: z.object({ items: z.array(orderSummaryView),
        nextCursor: z.string().nullable().meta({ description: 'Pass as cursor for the next page; null on the last page.' }) }).meta({ id: 'OrderPage' }) } },
      handler: async (ctx, { query }) => {
        const after = query.cursor === undefined ? undefined : positionOf(query.cursor);
        const rows = await ordersOfCustomer(emOf(ctx), customerOf(ctx).customerId, query.limit + 1, after);
        const page = rows.slice(0, query.limit);
        ctx.body = {
          items: page.map((o) => {
            const total = { amount: Number(o.total_amount), currency: o.currency };
            return { id: o.id, status: o.status, total: { ...total, formatted: formatMoney(total) }, itemCount: o.item_count,
              createdAt: new Date(o.created_at).toISOString(), links: { self: `/me/orders/${o.id}`, shipments: `/me/orders/${o.id}/shipments` } };
          }),
          nextCursor: rows.length > query.limit ? cursorOf(page[page.length - 1]) : null,
        };
      },
    }),
    route({
      ...signedInOnly, method: 'get', path: '/me/orders/:id',
      summary: 'One of the customer\'s orders, with its live status and step timeline',
      params,
      responses: { 200: { description: 'The order', schema: orderView }, ...NOT_MINE },
      handler: async (ctx, { params }) => {
        const order = (await loadOrder(await myOrder(ctx, params.id), params.id))!;
        ctx.body = { ...order, ...(await liveState(deps.temporal.client, params.id, ctx.state.logger as Logger)) };
      },
    }),
    route({
      ...signedInOnly, method: 'get', path: '/me/orders/:id/shipments',
      summary: 'The parcels of one of the customer\'s orders, with every carrier scan',
      params,
      responses: { 200: { description: 'The order\'s shipments (an empty list until it ships)', schema: shipmentsResponse }, ...NOT_MINE },
      handler: async (ctx, { params }) => {
        ctx.body = { orderId: params.id, shipments: await loadShipments(await myOrder(ctx, params.id), params.id) };
      },
    }),
  ];
}
