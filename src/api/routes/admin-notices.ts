/**
 * Support's notices: what the workflows could not settle by themselves and left for a person, today
 * a parcel that stopped moving (`shipment_stalled`, closed by the tracking workflow when it moves
 * again), one the carrier returned to sender (`shipment_returned`: send it again or refund), and a
 * refund the payment provider accepted as pending and then failed (`refund_failed`: refund again or
 * reach the customer; src/store/refunds.ts).
 * Staff list the open ones, oldest first, and close one when it is dealt with; closing is recorded
 * in the audit trail (support_actions) with who and why.
 */
import { z } from 'zod';
import type { Middleware } from 'koa';
import { DomainError, ErrorCode } from '../../domain/errors';
import { emOf } from '../context';
import { route } from '../http';
import { callerOf } from './admin-orders';

const noticeView = z.object({
  id: z.uuid(),
  kind: z.string().meta({ description: 'shipment_stalled, shipment_returned or refund_failed' }),
  orderId: z.uuid().nullable(),
  shipmentId: z.uuid().nullable(),
  trackingNumber: z.string().nullable(),
  shipmentStatus: z.string().nullable(),
  message: z.string().meta({ description: 'What happened and what to do, in words.' }),
  createdAt: z.string(),
  resolvedAt: z.string().nullable(),
}).meta({ id: 'SupportNotice' });

interface NoticeRow {
  id: string; kind: string; order_id: string | null; shipment_id: string | null; tracking_number: string | null; shipment_status: string | null;
  message: string; created_at: Date; resolved_at: Date | null;
}

const SELECT = `select n.id, n.kind, n.order_id, n.shipment_id, s.tracking_number, s.status as shipment_status, n.message, n.created_at, n.resolved_at
                  from support_notices n left join shipments s on s.id = n.shipment_id`;

const view = (r: NoticeRow) => ({
  id: r.id, kind: r.kind, orderId: r.order_id, shipmentId: r.shipment_id, trackingNumber: r.tracking_number, shipmentStatus: r.shipment_status,
  message: r.message, createdAt: new Date(r.created_at).toISOString(), resolvedAt: r.resolved_at ? new Date(r.resolved_at).toISOString() : null,
});

export function adminNoticeRoutes(staffOnly: Middleware) {
  const staff = { tag: 'support', access: 'staff' as const, before: [staffOnly] };
  return [
    route({
      ...staff, method: 'get', path: '/admin/notices',
      summary: 'What needs a person: parcels stalled (no movement for days) or returned to sender, refunds the payment provider failed; open ones, oldest first',
      query: z.strictObject({
        kind: z.enum(['shipment_stalled', 'shipment_returned', 'refund_failed']).optional(),
        state: z.enum(['open', 'resolved', 'all']).default('open'),
        orderId: z.uuid().optional(),
        limit: z.coerce.number().int().min(1).max(1000).default(100),
      }),
      responses: { 200: { description: 'The notices, oldest first', schema: z.object({ notices: z.array(noticeView) }) } },
      handler: async (ctx, { query }) => {
        const where: string[] = [];
        const args: unknown[] = [];
        if (query.state !== 'all') where.push(query.state === 'open' ? 'n.resolved_at is null' : 'n.resolved_at is not null');
        if (query.kind) {
          where.push('n.kind = ?');
          args.push(query.kind);
        }
        if (query.orderId) {
          where.push('n.order_id = ?');
          args.push(query.orderId);
        }
        const rows = await emOf(ctx).getConnection().execute<NoticeRow[]>(
          `${SELECT} ${where.length ? `where ${where.join(' and ')}` : ''} order by n.created_at, n.id limit ?`, [...args, query.limit]);
        ctx.body = { notices: rows.map(view) };
      },
    }),
    route({
      ...staff, method: 'post', path: '/admin/notices/:id/resolve',
      headers: { 'X-Support-Agent': { required: false, description: 'Who is acting (e.g. sam); recorded as staff:<name>. Without it: staff.' } },
      summary: 'Close a notice that has been dealt with (e.g. the returned order was sent again or refunded); kept in the audit trail',
      params: z.strictObject({ id: z.uuid() }),
      body: z.strictObject({ reason: z.string().trim().min(1).max(500).meta({ description: 'What was done; kept in the audit trail.' }) }),
      responses: {
        200: { description: 'The notice, now resolved', schema: noticeView },
        409: { description: 'Already resolved: nothing changed' },
      },
      handler: async (ctx, { params, body }) => {
        const caller = callerOf(ctx);
        const em = emOf(ctx);
        const resolved = await em.transactional(async (tx) => {
          const c = tx.getConnection();
          const t = tx.getTransactionContext();
          const rows = await c.execute<{ id: string; kind: string; order_id: string | null; shipment_id: string | null }[]>(
            'update support_notices set resolved_at = now() where id = ? and resolved_at is null returning id, kind, order_id, shipment_id',
            [params.id], 'all', t);
          if (rows.length === 0) return undefined;
          const [n] = rows;
          // In the same transaction: the notice and its audit row change together or not at all.
          await c.execute(
            `insert into support_actions (order_id, shipment_id, action, actor, via, reason, request, outcome, outcome_detail, completed_at)
             values (?, ?, 'resolve_notice', ?, 'api', ?, ?, 'done', ?, now())`,
            [n.order_id, n.shipment_id, caller.actor, body.reason, JSON.stringify({ noticeId: n.id }), `${n.kind} notice ${n.id} resolved`], 'run', t);
          return n;
        });
        const [row] = await em.getConnection().execute<NoticeRow[]>(`${SELECT} where n.id = ?`, [params.id]);
        if (!row) throw new DomainError(ErrorCode.NotFound, `Notice ${params.id} does not exist.`, { id: params.id });
        if (!resolved) throw new DomainError(ErrorCode.ActionRefused, `Notice ${params.id} was already resolved at ${view(row).resolvedAt}; nothing changed.`, { id: params.id });
        ctx.body = view(row);
      },
    }),
  ];
}
