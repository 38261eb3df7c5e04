/**
 * Support's notices: what the workflows could not settle by themselves and left for a person, today
 * a parcel that stopped moving (`shipment_stalled`, closed by the tracking workflow when it moves
 * again), one the carrier returned to sender (`shipment_returned`: send it again or refund), and a
 * refund the payment provider accepted as pending and then failed (`refund_failed`: refund again or
 * reach the customer; src/store/refunds.ts), a rollback step that can never succeed (`compensation_failed`:
 * finish it by hand) and a customer message that can never be sent (`message_failed`: reach the
 * customer another way, or resend it once the cause is fixed).
 * Staff list the open ones, oldest first, and close one when it is dealt with; closing is recorded
 * in the audit trail (support_actions) with who and why.
 */
import { z } from 'zod';
import { DomainError, ErrorCode } from '../../domain/errors';
import { emOf } from '../context';
import { route } from '../http';
import { staffOf } from '../access';
import { NOTICE_KINDS, noticeById, noticesMatching, resolveNotice, type NoticeRow } from '../../store/support';
import { queryInt } from '../schemas';

const noticeView = z.object({
  id: z.uuid(),
  kind: z.string().meta({ description: NOTICE_KINDS.join(', ') }),
  orderId: z.uuid().nullable(),
  shipmentId: z.uuid().nullable(),
  trackingNumber: z.string().nullable(),
  shipmentStatus: z.string().nullable(),
  message: z.string().meta({ description: 'What happened and what to do, in words.' }),
  createdAt: z.string(),
  resolvedAt: z.string().nullable(),
}).meta({ id: 'SupportNotice' });

const view = (r: NoticeRow) => ({
  id: r.id, kind: r.kind, orderId: r.order_id, shipmentId: r.shipment_id, trackingNumber: r.tracking_number, shipmentStatus: r.shipment_status,
  message: r.message, createdAt: new Date(r.created_at).toISOString(), resolvedAt: r.resolved_at ? new Date(r.resolved_at).toISOString() : null,
});

export function adminNoticeRoutes() {
  const staff: Staff = { tag: 'support', access: { staff: ['support'] } };
  return [listNotices(staff), resolveNoticeRoute(staff)];
}

type Staff = { tag: string; access: { staff: ['support'] } };

const listNotices = (staff: Staff) => route({
  ...staff, method: 'get', path: '/admin/notices',
  summary: 'What needs a person: parcels stalled or returned to sender, refunds the provider failed, rollback steps and customer messages that can never succeed; open ones, oldest first',
  query: z.strictObject({
    kind: z.enum(NOTICE_KINDS).optional(),
    state: z.enum(['open', 'resolved', 'all']).default('open'),
    orderId: z.uuid().optional(),
    limit: queryInt(1, 1000).default(100),
  }),
  responses: { 200: { description: 'The notices, oldest first', schema: z.object({ notices: z.array(noticeView) }) } },
  handler: async (ctx, { query }) => {
    ctx.body = { notices: (await noticesMatching(emOf(ctx), query)).map(view) };
  },
});

const resolveNoticeRoute = (staff: Staff) => route({
  ...staff, method: 'post', path: '/admin/notices/:id/resolve',
  summary: 'Close a notice that has been dealt with (e.g. the returned order was sent again or refunded); kept in the audit trail',
  params: z.strictObject({ id: z.uuid() }),
  body: z.strictObject({ reason: z.string().trim().min(1).max(500).meta({ description: 'What was done; kept in the audit trail.' }) }),
  responses: {
    200: { description: 'The notice, now resolved', schema: noticeView },
    404: { description: 'No such notice (not_found)' },
    409: { description: 'Already resolved: nothing changed (action_refused)' },
  },
  handler: async (ctx, { params, body }) => {
    const em = emOf(ctx);
    const resolved = await resolveNotice(em, { id: params.id, by: staffOf(ctx), via: 'api', reason: body.reason });
    const row = await noticeById(em, params.id);
    if (!row) throw new DomainError(ErrorCode.NotFound, `Notice ${params.id} does not exist.`, { id: params.id });
    if (!resolved) throw new DomainError(ErrorCode.ActionRefused, `Notice ${params.id} was already resolved at ${view(row).resolvedAt}; nothing changed.`, { id: params.id });
    ctx.body = view(row);
  },
});
