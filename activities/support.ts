/**
 * Support's resend of a customer message. The outbox keeps one row per order + template + channel
 * (activities/notifications.ts); a resend re-opens that row for one more send, and the ordinary
 * notification activity (rate-limited on the notification queue) sends it. The request id is kept
 * on the row, so a retried resend re-opens it once, and never sends a message the order was never sent.
 */
import type { ActivityDeps } from './index';
import { DomainError, ErrorCode } from '../src/domain/errors';
import { STALE_CLAIM_SECONDS, type Channel } from '../src/integrations/notifier';


interface OutboxRow { id: string; status: string; last_error: string | null; payload: { reason?: string | null; resends?: { requestId: string }[] }; claim_age_s: number | null }

export function supportActivities({ orm, logger }: ActivityDeps) {
  return {
    /** Re-opens an order's message for one more send; returns the reason the message was first sent with. */
    async reopenNotificationForResend(req: { orderId: string; template: string; channel: Channel; requestId: string; actor: string; reason: string }):
    Promise<{ reason?: string }> {
      return orm.em.fork().transactional(async (tx) => {
        const conn = tx.getConnection();
        const ctx = tx.getTransactionContext();
        const [row] = await conn.execute<OutboxRow[]>(
          `select id, status, last_error, payload, extract(epoch from now() - claimed_at)::float as claim_age_s
             from notifications where order_id = ? and template = ? and channel = ? for update`, [req.orderId, req.template, req.channel], 'all', ctx);
        const refuse = (message: string) => new DomainError(ErrorCode.ActionRefused, message, { orderId: req.orderId, template: req.template, channel: req.channel });
        if (!row) throw refuse(`order ${req.orderId} was never sent "${req.template}" by ${req.channel}; there is nothing to resend`);
        const reason = row.payload?.reason ?? undefined;
        if (row.payload?.resends?.some((r) => r.requestId === req.requestId)) return { reason };
        if (row.status === 'skipped') throw refuse(`the ${req.channel} "${req.template}" of order ${req.orderId} is never sent: ${row.last_error ?? 'skipped'}`);
        if (row.status === 'sending' && (row.claim_age_s ?? 0) < STALE_CLAIM_SECONDS) {
          throw refuse(`the ${req.channel} "${req.template}" of order ${req.orderId} is being sent right now; try again in a minute`);
        }
        await conn.execute(
          `update notifications set status = 'failed', last_error = ?,
              payload = jsonb_set(payload, '{resends}', coalesce(payload->'resends', '[]'::jsonb) || ?::jsonb)
            where id = ?`,
          [`resend requested by ${req.actor}: ${req.reason}`, JSON.stringify([{ requestId: req.requestId, by: req.actor, at: new Date().toISOString() }]), row.id],
          'run', ctx);
        logger.info({ orderId: req.orderId, template: req.template, channel: req.channel, actor: req.actor }, 'notification re-opened for a resend');
        return { reason };
      });
    },
  };
}
