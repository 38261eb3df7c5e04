/**
 * POST /carts/:id/checkout: places the order (exactly once per Idempotency-Key, src/store/orders.ts)
 * and starts its saga with update-with-start, so the answer already carries the payment outcome
 * (authorized, declined, or "the customer must authenticate") while the rest of the saga runs on.
 */
import { z } from 'zod';
import type { Context } from 'koa';
import { WithStartWorkflowOperation, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import { DomainError, ErrorCode } from '../../domain/errors';
import { FINAL_STATUSES, type OrderStatus } from '../../domain/order';
import { checkoutFacts, orderById, placeOrder, type OrderRow, type PlacedOrder } from '../../store/orders';
import { latestPaymentOfOrder } from '../../store/payments';
import { awaitPaymentOutcomeUpdate, EARLY_RETURN_CAP_MS, statusQuery, type CheckoutInput, type CheckoutWorkflow, type OrderState } from '../../contracts/order';
import { CustomerIdAttr, OrderIdAttr, OrderStatusAttr, OrderTotalAttr, workflowIds } from '../../contracts/temporal';
import type { PaymentState } from '../../contracts/payment';
import { describeItems, describeMoney } from '../../domain/format';
import type { Logger } from '../../logger';
import type { AppDeps } from '../deps';
import { checkoutDuration, ordersPlaced } from '../metrics';
import { customerIdOf } from '../access';
import { emOf } from '../context';
import { route } from '../http';
import { clientIp, countDecline, type RateLimits } from '../rate-limits';
import { cartId, checkoutBody, checkoutResponse, IDEMPOTENCY_KEY } from '../schemas';

/**
 * How long the API waits for Temporal in all (start, update, polls) before answering 503. The
 * workflow itself answers within EARLY_RETURN_CAP_MS; the rest is room for a busy worker.
 */
export const TEMPORAL_ANSWER_DEADLINE_MS = EARLY_RETURN_CAP_MS + 10_000;

/** Answers within this long, or the response says the live state is unknown. */
const QUERY_DEADLINE_MS = 3_000;

type CheckoutDeps = Pick<AppDeps, 'temporal' | 'taskQueue' | 'paymentActionTimeout' | 'fulfillment' | 'limits' | 'orderTokens'>;
type Outcome = Pick<OrderState, 'status' | 'payment' | 'failure'>;

export function checkoutRoutes(deps: CheckoutDeps) {
  return [
    route({
      method: 'post', path: '/carts/:id/checkout', tag: 'checkout', access: 'shopper',
      summary: 'Place the order for a cart; answers with the payment outcome (authorized, declined, or needs customer action)',
      params: z.strictObject({ id: cartId }),
      headers: { 'Idempotency-Key': { required: true, pattern: IDEMPOTENCY_KEY, description: '8–255 characters of A-Z a-z 0-9 _ . : -, new for each order. '
        + 'Retrying with the same key and body returns the same order; the same key with another body is refused (422).' } },
      body: checkoutBody,
      responses: { 202: { description: 'Order placed (or this request replayed): the payment outcome so far, and the order\'s access token', schema: checkoutResponse },
        404: { description: 'No such cart (cart_not_found)' },
        409: { description: 'The chosen method can no longer ship the cart (shipping_method_unavailable), a code\'s uses are taken (promotion_limit_reached) '
          + 'or it cannot be combined (promotion_not_combinable), or the cart is already checked out, in checkout or expired (cart_not_active, cart_expired)' },
        422: { description: 'No address (shipping_address_required) or no method chosen (shipping_method_required), a code the cart holds no longer applies '
          + '(promotion_expired, promotion_not_started, promotion_minimum_not_met, promotion_not_applicable), the cart is empty (cart_empty) or holds a line '
          + 'no longer for sale or without a price in its currency (product_unavailable, no_price_in_currency), or this Idempotency-Key was used for '
          + 'another request (idempotency_key_reused)' },
        429: { description: 'Too many checkouts from this address or customer, or too many declined payments on this cart, customer or address; see Retry-After' },
        503: { description: 'The order service did not answer in time: the order is saved, and retrying the same request with the same '
          + 'Idempotency-Key is safe (it continues this order, never places a second one); see Retry-After' } },
      handler: async (ctx, { params, body }) => {
        const answered = checkoutDuration.startTimer();
        const idempotencyKey = idempotencyKeyOf(ctx);
        const ip = clientIp(ctx);
        const customerId = (await customerIdOf(ctx)) ?? undefined;
        await limitNewCheckouts(deps.limits, emOf(ctx), { cartId: params.id, idempotencyKey, ip, customerId });
        const placed = await placeOrder(emOf(ctx), { cartId: params.id, idempotencyKey, ...body, customerId });
        // Counted once saved: even if Temporal is briefly away (503), the order exists and a retry resumes it.
        if (placed.created) ordersPlaced.inc();
        const log = (ctx.state.logger as Logger).child({ orderId: placed.orderId });
        log.info({ created: placed.created }, placed.created ? 'order placed; starting its checkout' : 'checkout replayed with the same Idempotency-Key');
        const state = await startCheckout(deps, placed, log)
          ?? await stateFromDatabase(emOf(ctx), placed.orderId);
        if (state.payment.status === 'declined') await countDecline(emOf(ctx), deps.limits, placed.orderId, ip);
        ctx.status = 202;
        ctx.set('Location', `/orders/${placed.orderId}`);
        ctx.body = {
          orderId: placed.orderId,
          status: state.status,
          // The order's one token, the same on every replay (src/auth/order-tokens.ts); null once support revoked it.
          accessToken: placed.accessSecret ? deps.orderTokens.mint(placed.orderId, placed.accessSecret) : null,
          payment: { status: state.payment.status, nextAction: state.payment.nextAction, declineCode: state.payment.declineCode },
          ...(state.failure ? { failure: state.failure } : {}),
          links: { self: `/orders/${placed.orderId}`, cancel: `/orders/${placed.orderId}/cancel` },
        };
        answered({ outcome: state.payment.status });
      },
    }),
  ];
}

/**
 * A new order counts against the checkout limits, and is refused while the declines of its cart,
 * its customer (the cart's owner, or the signed-in customer) or its address are used up. A replay of an Idempotency-Key places
 * nothing new, so it is never refused: a client that lost the first answer gets it again.
 */
async function limitNewCheckouts(limits: RateLimits, em: EntityManager,
  c: { cartId: string; idempotencyKey: string; ip: string; customerId?: string }): Promise<void> {
  if (!limits.enabled('checkout') && !limits.enabled('declines')) return;
  const facts = await checkoutFacts(em, c.cartId, c.idempotencyKey);
  if (facts.replay) return;
  // The cart's owner, else the signed-in customer checking out a guest cart (the order will be theirs).
  const customerId = facts.customerId ?? c.customerId;
  await limits.check('declines', { cart: c.cartId, customer: customerId, ip: c.ip });
  await limits.take('checkout', { ip: c.ip, customer: customerId });
}

function idempotencyKeyOf(ctx: Context): string {
  const key = ctx.get('Idempotency-Key');
  if (IDEMPOTENCY_KEY.test(key)) return key;
  const problem = key ? 'must be 8 to 255 characters of letters, digits, _ . : or -' : 'is required';
  throw new DomainError(ErrorCode.ValidationFailed,
    `Invalid header: Idempotency-Key ${problem}. Send a new unique key (a UUID works) with each order, and the same key when you retry it.`,
    { in: 'headers', issues: [{ path: 'Idempotency-Key', message: problem, code: key ? 'invalid_format' : 'invalid_type' }] });
}

/** The same input the checkout workflow gets whoever starts it (this route, a retry, a test). */
export function checkoutInputOf(placed: PlacedOrder, paymentActionTimeout: string, fulfillment?: AppDeps['fulfillment']): CheckoutInput {
  return { orderId: placed.orderId, customerId: placed.customerId, currency: placed.currency, totalAmount: placed.totalAmount,
    lines: placed.lines, ...(placed.promotions.length ? { promotions: placed.promotions } : {}),
    paymentMethod: placed.paymentMethod, notifyBySms: placed.notifyBySms, paymentActionTimeout,
    autoPack: fulfillment?.autoPack ?? true, trackingPollEvery: fulfillment?.trackingPollEvery, trackingStallAfter: fulfillment?.trackingStallAfter,
    afterSalesWindow: fulfillment?.afterSalesWindow };
}

/** The saga's state once the payment outcome is known; undefined when only the database can say (the saga has ended). */
async function startCheckout(deps: CheckoutDeps, placed: PlacedOrder, log: Logger): Promise<Outcome | undefined> {
  const client = deps.temporal.client;
  if (!client) throw unavailable(placed.orderId);
  // A replay for an order whose saga has ended: never start it again (its workflow id may be free once history is gone).
  if (!placed.created && FINAL_STATUSES.includes(placed.status as OrderStatus)) return queryState(client, placed.orderId, log);
  const input = checkoutInputOf(placed, deps.paymentActionTimeout, deps.fulfillment);
  const startWorkflowOperation = new WithStartWorkflowOperation<CheckoutWorkflow>('checkout', {
    workflowId: workflowIds.checkout(placed.orderId),
    taskQueue: deps.taskQueue,
    args: [input],
    // A retry of this request (or a concurrent one with the same key) joins the running saga...
    workflowIdConflictPolicy: 'USE_EXISTING',
    // ...and never starts a second one for an order whose saga already ended.
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
    typedSearchAttributes: [
      { key: OrderIdAttr, value: placed.orderId },
      ...(placed.customerId ? [{ key: CustomerIdAttr, value: placed.customerId }] : []),
      { key: OrderStatusAttr, value: 'pending' },
      { key: OrderTotalAttr, value: placed.totalAmount },
    ],
    staticSummary: `Order ${placed.orderId}: ${describeItems(placed.lines)}, ${describeMoney(placed.totalAmount, placed.currency)}`,
  });
  try {
    return await client.withDeadline(Date.now() + TEMPORAL_ANSWER_DEADLINE_MS, () =>
      client.workflow.executeUpdateWithStart(awaitPaymentOutcomeUpdate, { args: [{ maxWaitMs: EARLY_RETURN_CAP_MS }], startWorkflowOperation }));
  } catch (err) {
    // The saga already ended (a replay after a decline or a cancel), or ended while we asked: its final state answers.
    if (err instanceof WorkflowExecutionAlreadyStartedError || err instanceof WorkflowUpdateFailedError) return queryState(client, placed.orderId, log);
    log.error({ err }, 'Temporal did not take the checkout; answered 503 (a retry with the same Idempotency-Key resumes it)');
    throw unavailable(placed.orderId);
  }
}

async function queryState(client: Client, orderId: string, log: Logger): Promise<OrderState | undefined> {
  try {
    return await client.withDeadline(Date.now() + QUERY_DEADLINE_MS, () =>
      client.workflow.getHandle(workflowIds.checkout(orderId)).query(statusQuery));
  } catch (err) {
    log.warn({ err }, 'the ended checkout did not answer its status query; answering from the database');
    return undefined;
  }
}

/** What the database knows, for a saga that has ended and whose workflow no longer answers. */
async function stateFromDatabase(em: EntityManager, orderId: string): Promise<Outcome> {
  const order = (await orderById(em, orderId)) as OrderRow;
  const payment = await latestPaymentOfOrder(em, orderId);
  return { status: order.status as OrderStatus,
    payment: { status: (payment?.status ?? 'pending') as PaymentState, declineCode: payment?.failure_code ?? undefined } };
}

function unavailable(orderId: string): DomainError {
  return new DomainError(ErrorCode.ServiceUnavailable,
    `Order ${orderId} is saved, but its payment could not be started because the order service is briefly unavailable. `
    + 'Retry the same request with the same Idempotency-Key: it continues this order and never places a second one.',
    { orderId, retryWithSameIdempotencyKey: true });
}
