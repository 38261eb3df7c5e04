/**
 * An order, for the customer who placed it (the access token checkout returned, or their session) or for staff.
 * Anyone else gets the same 404 as for an order that does not exist, so order ids cannot be probed.
 * The database answers what was agreed; the checkout workflow's `status` query answers what is happening.
 */
import { z } from 'zod';
import type { EntityManager } from '@mikro-orm/postgresql';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { formatMoney } from '../../domain/money';
import { breakdownView } from '../../store/cart-pricing';
import { breakdownOfOrder, linesOfOrder, orderById } from '../../store/orders';
import { latestPaymentOfOrder } from '../../store/payments';
import { cancelOrderAsCustomer } from '../../support/customer-cancel';
import { statusQuery, type OrderState } from '../../contracts/order';
import { workflowIds } from '../../contracts/temporal';
import type { Logger } from '../../logger';
import type { AppDeps } from '../deps';
import { orderNotFound, staffOf } from '../access';
import { actorOf } from '../../domain/staff';
import { emOf } from '../context';
import { route } from '../http';
import { liveOrderView, orderId, orderView } from '../schemas';

/** The live-state query is a nice-to-have on a read: never hold the page hostage to it. */
const LIVE_QUERY_DEADLINE_MS = 3_000;

type OrderDeps = Pick<AppDeps, 'temporal'>;

const params = z.strictObject({ id: orderId });

export function orderRoutes(deps: OrderDeps) {
  return [
    route({
      method: 'get', path: '/orders/:id', tag: 'orders', access: { orderToken: true, staff: ['support', 'warehouse'] },
      summary: 'An order: what was ordered, where it goes, its payment, and its live status and step timeline',
      params,
      responses: { 200: { description: 'The order', schema: orderView } },
      handler: async (ctx, { params }) => {
        const order = await loadOrder(emOf(ctx), params.id);
        if (!order) throw orderNotFound(params.id);
        const live = await liveState(deps.temporal.client, params.id, ctx.state.logger as Logger);
        ctx.body = { ...order, ...live };
      },
    }),
    route({
      method: 'post', path: '/orders/:id/cancel', tag: 'orders', access: { orderToken: true, staff: ['support'] },
      summary: 'Cancel an order: the payment is voided or refunded, the stock released and the customer told; refused once shipped',
      params,
      body: z.strictObject({ reason: z.string().trim().min(1).max(500).meta({ description: 'Why, in a few words; shown to support.' }) }),
      responses: { 200: { description: 'The order\'s state after the rollback', schema: liveOrderView },
        409: { description: 'The order can no longer be cancelled, with the reason: shipped or being dispatched, already ended (order_not_cancellable)' },
        503: { description: 'The order service did not answer; nothing was changed; see Retry-After' } },
      handler: async (ctx, { params, body }) => {
        const actor = ctx.state.staff ? actorOf(staffOf(ctx)) : 'customer';
        ctx.body = await cancelOrderAsCustomer({ client: deps.temporal.client, em: emOf(ctx), log: ctx.state.logger as Logger },
          { orderId: params.id, actor, reason: body.reason });
      },
    }),
  ];
}

export async function liveState(client: Client | undefined, id: string, log: Logger): Promise<{ live: OrderState | null; liveNote?: string }> {
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

const moneyOf = (amount: string | number, currency: string) => {
  const m = { amount: Number(amount), currency };
  return { ...m, formatted: formatMoney(m) };
};

/** The order as the database holds it; undefined when there is no such order. */
export async function loadOrder(em: EntityManager, id: string) {
  const order = await orderById(em, id);
  if (!order) return undefined;
  const lines = await linesOfOrder(em, id);
  const payment = await latestPaymentOfOrder(em, id);
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
    pricing: breakdownView(breakdownOfOrder(order, lines)),
    payment: payment ? { status: payment.status, providerRef: payment.provider_ref } : null,
    createdAt: new Date(order.created_at).toISOString(),
    updatedAt: new Date(order.updated_at).toISOString(),
  };
}
