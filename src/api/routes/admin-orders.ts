/**
 * Staff routes for support: the same actions as `npm run support` (src/support/actions.ts), each
 * sent to the order's workflow and recorded in the audit trail with who, when and why. A refusal
 * is the action's own DomainError (a 409 whose message is the workflow's own reason, a 404, …),
 * let through to the one error map (src/api/errors.ts).
 */
import { z } from 'zod';
import type { Context } from 'koa';
import { DomainError, ErrorCode } from '../../domain/errors';
import { ORDER_STATUSES } from '../../domain/order';
import { RESENDABLE_TEMPLATES } from '../../domain/support';
import {
  cancelOrder, changeAddress, findOrders, holdOrder, orderStatus, recordCarrierEvent, refundOrder, resendNotification, retryPayment, revokeAccessTokens,
  shipmentOfOrder,
  type Caller, type SupportDeps,
} from '../../support/actions';
import { supportActionsOfOrder, type SupportActionRow } from '../../store/support';
import { inDoubtMessages } from '../../support/in-doubt';
import { SHIPMENT_STATUSES } from '../../contracts/shipment';
import type { AppDeps } from '../deps';
import { emOf } from '../context';
import { route } from '../http';
import { staffOf } from '../access';
import { liveOrderView, orderId, queryInt, shippingAddress, sku } from '../schemas';

const params = z.strictObject({ id: orderId });
const reason = z.string().trim().min(1).max(500).meta({ description: 'Why, in a few words; kept in the audit trail and the order\'s timeline.' });
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const HEADERS = {
  'Idempotency-Key': { required: false, pattern: UUID,
    description: 'A UUID: a retried request with the same key is the same request (never a second refund).' },
};

/** A date (2026-11-26) or a time with its offset (2026-11-26T08:00:00Z), as the visibility query takes it. */
const isoDateOrTime = z.union([z.iso.date(), z.iso.datetime({ offset: true })]);

const doneView = (result: z.ZodType) => z.object({
  action: z.string(), auditId: z.uuid(), summary: z.string().meta({ description: 'What happened, in words.' }), result,
});
const carrierEventBody = z.strictObject({ status: z.enum(SHIPMENT_STATUSES), reason: reason.optional(), eventId: z.string().regex(/^[\w.:-]{1,100}$/).optional(),
  occurredAt: z.iso.datetime().optional() });
const carrierEventDone = doneView(z.object({ shipmentId: z.string(), orderId: z.string(), eventId: z.string(), status: z.string() }).loose());
const auditView = z.object({
  id: z.uuid(), action: z.string(), actor: z.string(), via: z.string(), reason: z.string(), outcome: z.string(),
  outcomeDetail: z.string().nullable(), requestedAt: z.string(), completedAt: z.string().nullable(),
}).meta({ id: 'SupportAction' });

/** A read takes no Idempotency-Key: its routes drop the header (reader). */
type Staff = { tag: string; access: { staff: ['support'] }; headers?: typeof HEADERS };
const reader = (staff: Staff): Staff => ({ ...staff, headers: undefined });

/** What a support action may answer besides done (src/support/actions.ts: the action's refusal decides the code). */
const REFUSALS = {
  404: { description: 'No such order or parcel (order_not_found, shipment_not_found, not_found)' },
  409: { description: 'Refused, with the reason: the order\'s workflow (or its payment) says no, or has ended (action_refused, '
    + 'order_not_cancellable, nothing_to_refund, refund_exceeds_captured, payment_provider_error, …)' },
  422: { description: 'The step was refused for good by the database (data_rejected)' },
  503: { description: 'The order service did not answer; nothing may have changed: check the order, then retry with the same Idempotency-Key; see Retry-After' },
};
const UNAVAILABLE = { 503: REFUSALS[503] };
/** The support actions' connections, or 503 when this API has none to Temporal. */
type Support = () => SupportDeps;

export function adminOrderRoutes(deps: Pick<AppDeps, 'temporal' | 'orm'>) {
  const staff: Staff = { tag: 'support', access: { staff: ['support'] }, headers: HEADERS };
  const support: Support = () => {
    if (!deps.temporal.client) throw new DomainError(ErrorCode.ServiceUnavailable, 'This API has no connection to the order service; nothing was changed.');
    return { client: deps.temporal.client, orm: deps.orm };
  };
  return [
    inDoubtRoute(staff, deps), findRoute(staff, support), orderRoute(staff, support),
    ...(['cancel', 'hold', 'release'] as const).map((action) => cancelOrHoldRoute(staff, support, action)),
    addressRoute(staff, support), resendRoute(staff, support), refundRoute(staff, support), retryPaymentRoute(staff, support), revokeAccessRoute(staff, deps),
    ...carrierEventRoutes(staff, support),
  ];
}

const inDoubtRoute = (staff: Staff, deps: Pick<AppDeps, 'orm'>) => route({
  ...reader(staff), method: 'get', path: '/admin/notifications/in-doubt',
  summary: 'Customer messages in doubt (a send was cut off or the provider did not answer): never resent by themselves; resend an order\'s after asking the customer',
  query: z.strictObject({ limit: queryInt(1, 1000).default(100) }),
  responses: { 200: { description: 'Oldest first', schema: z.object({ messages: z.array(z.object({
    orderId: z.string().nullable(), cartId: z.string().nullable(), template: z.string(), channel: z.string(), occurrence: z.number().int(), claimedAt: z.string(),
    attempts: z.number().int(), note: z.string().nullable() })) }) } },
  handler: async (ctx, { query }) => {
    ctx.body = { messages: await inDoubtMessages(deps.orm, query.limit) };
  },
});

const findRoute = (staff: Staff, support: Support) => route({
  ...reader(staff), method: 'get', path: '/admin/orders',
  summary: 'Find orders by a visibility query over their search attributes (order, customer, status, total, dates)',
  query: z.strictObject({
    orderId: orderId.optional(), customerId: z.uuid().optional(), status: z.enum(ORDER_STATUSES).optional(),
    minTotal: queryInt(0, 1_000_000_000_000).optional().meta({ description: 'Minor units, inclusive.' }),
    maxTotal: queryInt(0, 1_000_000_000_000).optional(),
    since: isoDateOrTime.optional().meta({ description: 'ISO 8601 date or time, inclusive.' }), until: isoDateOrTime.optional(),
    dateField: z.enum(['StartTime', 'ExecutionTime']).optional(),
    limit: queryInt(1, 1000).default(50),
  }),
  responses: { 200: { description: 'The orders found, newest first, and the query used (it works in the Temporal UI too)', schema: z.object({
    query: z.string(), orders: z.array(z.object({ orderId: z.string(), customerId: z.string().optional(), status: z.string().optional(),
      total: z.number().int().optional(), workflowId: z.string(), runId: z.string(), workflowStatus: z.string(), startTime: z.string(),
      closeTime: z.string().optional() })) }) }, ...UNAVAILABLE },
  handler: async (ctx, { query }) => {
    ctx.body = await findOrders(support().client, query);
  },
});

const orderRoute = (staff: Staff, support: Support) => route({
  ...reader(staff), method: 'get', path: '/admin/orders/:id',
  summary: 'The order\'s live state from its workflow (status, timeline, pending compensations) and its support actions',
  params,
  responses: { 200: { description: 'Live state and audit trail', schema: z.object({ live: liveOrderView, supportActions: z.array(auditView) }) },
    404: REFUSALS[404], ...UNAVAILABLE },
  handler: async (ctx, { params }) => {
    const live = await orderStatus(support(), params.id);
    ctx.body = { live, supportActions: (await supportActionsOfOrder(emOf(ctx), params.id)).map(auditEntry) };
  },
});

const cancelOrHoldRoute = (staff: Staff, support: Support, action: 'cancel' | 'hold' | 'release') => route({
  ...staff, method: 'post', path: `/admin/orders/:id/${action}`,
  summary: { cancel: 'Cancel the order: its compensations run (payment voided or refunded, stock released, customer told)',
    hold: 'Hold the order between its steps until released', release: 'Release an order on hold' }[action],
  params, body: z.strictObject({ reason }),
  responses: { 200: { description: 'Done; the order\'s state after it', schema: doneView(liveOrderView) }, ...REFUSALS },
  handler: async (ctx, { params, body }) => {
    ctx.body = action === 'cancel' ? await cancelOrder(support(), callerOf(ctx), params.id, body.reason)
      : await holdOrder(support(), callerOf(ctx), params.id, body.reason, action === 'hold');
  },
});

const addressRoute = (staff: Staff, support: Support) => route({
  ...staff, method: 'patch', path: '/admin/orders/:id/shipping-address',
  summary: 'Change fields of the shipping address (the rest stay); refused once the label is printed',
  // At least one address field (the handler says so); the document says it too.
  params, body: shippingAddress.partial().extend({ reason: reason.optional() }).strict()
    .meta({ override: { anyOf: Object.keys(shippingAddress.shape).map((field) => ({ required: [field] })) } }),
  responses: { 200: { description: 'Done; the order\'s state after it', schema: doneView(liveOrderView) }, ...REFUSALS },
  handler: async (ctx, { params, body }) => {
    const { reason: why, ...fields } = body;
    if (Object.keys(fields).length === 0) throw new DomainError(ErrorCode.ValidationFailed, 'Give at least one address field to change.', { in: 'body' });
    ctx.body = await changeAddress(support(), callerOf(ctx), params.id, fields, why ?? 'address changed by support');
  },
});

const resendRoute = (staff: Staff, support: Support) => route({
  ...staff, method: 'post', path: '/admin/orders/:id/notifications/resend',
  summary: 'Send a message the order was already sent once more (same template and channel; of one sent more than once, the latest or the given occurrence)',
  params, body: z.strictObject({ template: z.enum(RESENDABLE_TEMPLATES as [string, ...string[]]), channel: z.enum(['email', 'sms']).default('email'),
    occurrence: z.number().int().min(1).optional(), reason: reason.optional() }),
  responses: { 200: { description: 'Done', schema: doneView(z.object({ template: z.string(), channel: z.string(), occurrence: z.number().int().optional(),
    status: z.string(), messageId: z.string().optional() })) }, ...REFUSALS },
  handler: async (ctx, { params, body }) => {
    ctx.body = await resendNotification(support(), callerOf(ctx), params.id, body.template, body.channel, body.reason ?? 'resent by support', body.occurrence);
  },
});

const refundRoute = (staff: Staff, support: Support) => route({
  ...staff, method: 'post', path: '/admin/orders/:id/refunds',
  summary: 'Refund captured money (all that is left, or an amount); never above captured less refunded. Before capture: a full refund voids the authorization by cancelling the order',
  params, body: z.strictObject({
    amount: z.union([z.number().int().min(1), z.string().regex(/^\d{1,12}(\.\d{1,3})?$/)]).optional()
      .meta({ description: 'Minor units (1000), or a decimal string in the order\'s currency ("10.00"). Absent (and no lines): everything left.' }),
    lines: z.array(z.strictObject({ sku, quantity: z.number().int().min(1).max(999) })).min(1).max(100).optional()
      .meta({ description: 'Instead of an amount: these quantities of the order\'s lines, each refunding its share of what it was charged (its discounts and tax included).' }),
    reason }),
  responses: { 200: { description: 'Refunded, or voided (before capture)', schema: doneView(z.object({ action: z.enum(['refunded', 'voided']) }).loose()) }, ...REFUSALS },
  handler: async (ctx, { params, body }) => {
    ctx.body = await refundOrder(support(), callerOf(ctx), params.id, body.amount === undefined ? undefined : String(body.amount), body.reason, body.lines);
  },
});

const retryPaymentRoute = (staff: Staff, support: Support) => route({
  ...staff, method: 'post', path: '/admin/orders/:id/retry-payment',
  summary: 'For a payment stuck waiting for 3-D Secure: ask the provider whether it was completed and pass its answer to the payment',
  params, body: z.strictObject({ reason: reason.optional() }).optional().default({}),
  responses: { 200: { description: 'Done; the order\'s state after it', schema: doneView(liveOrderView) }, ...REFUSALS },
  handler: async (ctx, { params, body }) => {
    ctx.body = await retryPayment(support(), callerOf(ctx), params.id, body.reason ?? 'payment re-checked by support');
  },
});

const revokeAccessRoute = (staff: Staff, deps: Pick<AppDeps, 'orm'>) => route({
  ...staff, method: 'post', path: '/admin/orders/:id/revoke-access',
  summary: 'Revoke the order\'s access token (shared or leaked): refused from then on like a wrong one; a replayed checkout gets none. Staff keep access',
  params, body: z.strictObject({ reason }),
  responses: { 200: { description: 'Revoked (or already revoked: revoked false)', schema: doneView(z.object({ orderId, revoked: z.boolean() })) },
    404: REFUSALS[404] },
  handler: async (ctx, { params, body }) => {
    ctx.body = await revokeAccessTokens({ orm: deps.orm }, callerOf(ctx), params.id, body.reason);
  },
});

/** A carrier scan recorded by hand, addressed by shipment or by order. */
const carrierEventRoutes = (staff: Staff, support: Support) => [
  route({
    ...staff, method: 'post', path: '/admin/shipments/:shipmentId/carrier-events',
    summary: 'Record a carrier scan by hand: signals the shipment\'s tracking workflow, noted in the order\'s timeline',
    params: z.strictObject({ shipmentId: z.uuid() }), body: carrierEventBody,
    responses: { 200: { description: 'Recorded', schema: carrierEventDone }, ...REFUSALS },
    handler: async (ctx, { params, body }) => {
      ctx.body = await recordCarrierEvent(support(), callerOf(ctx), params.shipmentId, body.status, body.reason ?? 'recorded by support',
        { eventId: body.eventId, occurredAt: body.occurredAt });
    },
  }),
  route({
    ...staff, method: 'post', path: '/admin/orders/:id/carrier-events',
    summary: 'The same, addressed by order: records the scan on the order\'s parcel (409 before it is dispatched)',
    params, body: carrierEventBody,
    responses: { 200: { description: 'Recorded', schema: carrierEventDone }, ...REFUSALS },
    handler: async (ctx, { params, body }) => {
      ctx.body = await recordCarrierEvent(support(), callerOf(ctx), await shipmentOfOrder(support(), params.id), body.status,
        body.reason ?? 'recorded by support', { eventId: body.eventId, occurredAt: body.occurredAt });
    },
  }),
];

/** Who acts is the key's owner (the router let only support and admins through). */
export function callerOf(ctx: Context): Caller {
  // Sent, even empty, it must be a UUID; not sent, the request is its own.
  const sent = ctx.headers['idempotency-key'] !== undefined;
  const key = ctx.get('Idempotency-Key');
  if (sent && !UUID.test(key)) {
    throw new DomainError(ErrorCode.ValidationFailed, 'Idempotency-Key must be a UUID on support routes.', { in: 'headers' });
  }
  return { staff: staffOf(ctx), via: 'api', requestId: key || undefined };
}

const auditEntry = (r: SupportActionRow) => ({ id: r.id, action: r.action, actor: r.actor, via: r.via, reason: r.reason, outcome: r.outcome,
  outcomeDetail: r.outcome_detail, requestedAt: new Date(r.requested_at).toISOString(), completedAt: r.completed_at ? new Date(r.completed_at).toISOString() : null });
