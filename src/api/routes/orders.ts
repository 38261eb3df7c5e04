/**
 * An order, for the customer who placed it (the access token checkout returned) or for staff.
 * Anyone else gets the same 404 as for an order that does not exist, so order ids cannot be probed.
 * The database answers what was agreed; the checkout workflow's `status` query answers what is happening.
 */
import { z } from 'zod';
import type { Context } from 'koa';
import type { EntityManager } from '@mikro-orm/postgresql';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { DomainError, ErrorCode } from '../../domain/errors';
import { formatMoney } from '../../domain/money';
import { cancellationRefusal, type OrderStatus } from '../../domain/order';
import { orderTokenMatches } from '../../store/orders';
import { cancelOrderUpdate, statusQuery, type OrderState } from '../../contracts/order';
import { workflowIds } from '../../contracts/temporal';
import type { Logger } from '../../logger';
import type { AppDeps } from '../deps';
import { bearerToken, isStaff } from '../auth';
import { emOf } from '../context';
import { route } from '../http';
import { liveOrderView, orderId, orderView } from '../schemas';

/** The live-state query is a nice-to-have on a read: never hold the page hostage to it. */
const LIVE_QUERY_DEADLINE_MS = 3_000;
/** The cancel update answers once the rollback is done (the workflow caps its wait at 1 minute). */
const CANCEL_DEADLINE_MS = 75_000;

type OrderDeps = Pick<AppDeps, 'temporal' | 'staffTokenDigests'>;
type Actor = 'customer' | 'staff';

const params = z.strictObject({ id: orderId });

export function orderRoutes(deps: OrderDeps) {
  return [
    route({
      method: 'get', path: '/orders/:id', tag: 'orders', access: 'order',
      summary: 'An order: what was ordered, where it goes, its payment, and its live status and step timeline',
      params,
      responses: { 200: { description: 'The order', schema: orderView } },
      handler: async (ctx, { params }) => {
        await authorize(ctx, deps, params.id);
        const order = await loadOrder(emOf(ctx), params.id);
        if (!order) throw orderNotFound(params.id);
        const live = await liveState(deps.temporal.client, params.id, ctx.state.logger as Logger);
        ctx.body = { ...order, ...live };
      },
    }),
    route({
      method: 'post', path: '/orders/:id/cancel', tag: 'orders', access: 'order',
      summary: 'Cancel an order: the payment is voided or refunded, the stock released and the customer told; refused once shipped',
      params,
      body: z.strictObject({ reason: z.string().trim().min(1).max(500).meta({ description: 'Why, in a few words; shown to support.' }) }),
      responses: { 200: { description: 'The order\'s state after the rollback', schema: liveOrderView } },
      handler: async (ctx, { params, body }) => {
        const actor = await authorize(ctx, deps, params.id);
        const client = deps.temporal.client;
        if (!client) throw temporalUnavailable(params.id);
        try {
          ctx.body = await client.withDeadline(Date.now() + CANCEL_DEADLINE_MS, () =>
            client.workflow.getHandle(workflowIds.checkout(params.id)).executeUpdate(cancelOrderUpdate, { args: [{ actor, reason: body.reason }] }));
          (ctx.state.logger as Logger).info({ orderId: params.id, actor }, 'order cancelled on request');
        } catch (err) {
          if (err instanceof WorkflowUpdateFailedError) throw notCancellable(params.id, (err.cause as Error | undefined)?.message ?? err.message);
          if (err instanceof WorkflowNotFoundError) {
            // The saga has ended (or never started): the same rule the workflow's validator applies decides the answer.
            const status = (await loadOrder(emOf(ctx), params.id))?.status as OrderStatus;
            throw notCancellable(params.id, cancellationRefusal(params.id, status)
              ?? `order ${params.id} is ${status} and its checkout is not running; retry the checkout with its Idempotency-Key first`);
          }
          (ctx.state.logger as Logger).error({ err, orderId: params.id }, 'cancel could not reach the order workflow; answered 503');
          throw temporalUnavailable(params.id);
        }
      },
    }),
  ];
}

/** Staff, or the holder of this order's access token; anyone else is told the order does not exist. */
async function authorize(ctx: Context, deps: OrderDeps, id: string): Promise<Actor> {
  if (isStaff(ctx, deps.staffTokenDigests)) return 'staff';
  const token = bearerToken(ctx);
  if (token && (await orderTokenMatches(emOf(ctx), id, token))) return 'customer';
  throw orderNotFound(id);
}

function orderNotFound(id: string): DomainError {
  return new DomainError(ErrorCode.OrderNotFound,
    `Order ${id} does not exist, or this request does not carry its access token. `
    + 'Send the accessToken that checkout returned as "Authorization: Bearer <token>".', { id });
}

function notCancellable(id: string, reason: string): DomainError {
  return new DomainError(ErrorCode.OrderNotCancellable, `This order cannot be cancelled: ${reason}.`, { orderId: id, reason });
}

function temporalUnavailable(id: string): DomainError {
  return new DomainError(ErrorCode.ServiceUnavailable,
    `The order service did not answer for order ${id}; nothing was changed. Try again in a moment.`, { orderId: id });
}

async function liveState(client: Client | undefined, id: string, log: Logger): Promise<{ live: OrderState | null; liveNote?: string }> {
  if (!client) return { live: null, liveNote: 'The live status is unavailable: this API has no connection to the order service.' };
  try {
    const live = await client.withDeadline(Date.now() + LIVE_QUERY_DEADLINE_MS, () =>
      client.workflow.getHandle(workflowIds.checkout(id)).query(statusQuery));
    return { live };
  } catch (err) {
    log.warn({ err, orderId: id }, 'the order workflow did not answer its status query; answering the database state only');
    const note = err instanceof WorkflowNotFoundError
      ? 'The order\'s checkout has not started yet (retry the checkout with the same Idempotency-Key to start it); the fields above are from the database.'
      : 'The live status is unavailable right now; the fields above are from the database. Try again in a moment.';
    return { live: null, liveNote: note };
  }
}

interface OrderRow {
  id: string; status: string; email: string; phone: string | null; shipping_address: Record<string, string>; currency: string;
  subtotal_amount: string; total_amount: string; created_at: Date; updated_at: Date;
}
interface LineRow { sku: string; title: string; quantity: number; unit_price_amount: string; line_total_amount: string }

const moneyOf = (amount: string | number, currency: string) => {
  const m = { amount: Number(amount), currency };
  return { ...m, formatted: formatMoney(m) };
};

/** The order as the database holds it; undefined when there is no such order. */
export async function loadOrder(em: EntityManager, id: string) {
  const conn = em.getConnection();
  const [order] = await conn.execute<OrderRow[]>(
    `select id, status, email, phone, shipping_address, currency, subtotal_amount, total_amount, created_at, updated_at
       from orders where id = ?`, [id]);
  if (!order) return undefined;
  const lines = await conn.execute<LineRow[]>(
    'select sku, title, quantity, unit_price_amount, line_total_amount from order_lines where order_id = ? order by sku', [id]);
  const [payment] = await conn.execute<{ status: string; provider_ref: string | null }[]>(
    'select status, provider_ref from payments where order_id = ? order by created_at desc limit 1', [id]);
  return {
    id: order.id,
    status: order.status,
    email: order.email,
    phone: order.phone,
    shippingAddress: order.shipping_address,
    lines: lines.map((l) => ({ sku: l.sku, title: l.title, quantity: l.quantity,
      unitPrice: moneyOf(l.unit_price_amount, order.currency), lineTotal: moneyOf(l.line_total_amount, order.currency) })),
    subtotal: moneyOf(order.subtotal_amount, order.currency),
    total: moneyOf(order.total_amount, order.currency),
    payment: payment ? { status: payment.status, providerRef: payment.provider_ref } : null,
    createdAt: new Date(order.created_at).toISOString(),
    updatedAt: new Date(order.updated_at).toISOString(),
  };
}
