/**
 * Support's resend of a customer message. The outbox keeps one row per order + template + channel +
 * occurrence (activities/notifications.ts): a resend re-opens the latest occurrence of the template,
 * or the one support names (a parcel out for delivery twice has two), for one more send, and the ordinary
 * notification activity (rate-limited on the notification queue) sends it. The request id is kept
 * on the row, so a retried resend re-opens it once, and never sends a message the order was never sent.
 */
import type { ActivityDeps } from './deps';
import { DomainError, ErrorCode } from '../src/domain/errors';
import { STALE_CLAIM_SECONDS, type Channel } from '../src/integrations/notifier';


interface OutboxRow {
  id: string; occurrence: number; status: string; last_error: string | null;
  payload: { reason?: string | null; resends?: { requestId: string }[] }; claim_age_s: number | null;
}

export function supportActivities({ orm, logger }: ActivityDeps) {
  return {
    /**
     * Re-opens an order's message for one more send: the given occurrence, or the latest; returns the reason the
     * message was first sent with, and which occurrence it is (for the send that follows).
     */
    async reopenNotificationForResend(req: {
      orderId: string; template: string; channel: Channel; occurrence?: number; requestId: string; actor: string; reason: string;
    }): Promise<{ reason?: string; occurrence: number }> {
      return orm.em.fork().transactional(async (tx) => {
        const conn = tx.getConnection();
        const ctx = tx.getTransactionContext();
        const rows = await conn.execute<OutboxRow[]>(
          `select id, occurrence, status, last_error, payload, extract(epoch from now() - claimed_at)::float as claim_age_s
             from notifications where order_id = ? and template = ? and channel = ?${req.occurrence === undefined ? '' : ' and occurrence = ?'}
            order by occurrence desc for update`,
          [req.orderId, req.template, req.channel, ...(req.occurrence === undefined ? [] : [req.occurrence])], 'all', ctx);
        // A retried request re-opens what it re-opened the first time, even if a newer occurrence came since.
        const resent = (r: OutboxRow) => r.payload?.resends?.some((x) => x.requestId === req.requestId) ?? false;
        const row = rows.find(resent) ?? rows[0];
        const refuse = (message: string) => new DomainError(ErrorCode.ActionRefused, message,
          { orderId: req.orderId, template: req.template, channel: req.channel, occurrence: req.occurrence });
        const which = req.occurrence === undefined ? '' : ` (occurrence ${req.occurrence})`;
        if (!row) throw refuse(`order ${req.orderId} was never sent "${req.template}"${which} by ${req.channel}; there is nothing to resend`);
        const reason = row.payload?.reason ?? undefined;
        const occurrence = row.occurrence;
        if (resent(row)) return { reason, occurrence };
        if (row.status === 'skipped') throw refuse(`the ${req.channel} "${req.template}"${which} of order ${req.orderId} is never sent: ${row.last_error ?? 'skipped'}`);
        if (row.status === 'sending' && (row.claim_age_s ?? 0) < STALE_CLAIM_SECONDS) {
          throw refuse(`the ${req.channel} "${req.template}"${which} of order ${req.orderId} is being sent right now; try again in a minute`);
        }
        await conn.execute(
          `update notifications set status = 'failed', last_error = ?,
              payload = jsonb_set(payload, '{resends}', coalesce(payload->'resends', '[]'::jsonb) || ?::jsonb)
            where id = ?`,
          [`resend requested by ${req.actor}: ${req.reason}`, JSON.stringify([{ requestId: req.requestId, by: req.actor, at: new Date().toISOString() }]), row.id],
          'run', ctx);
        logger.info({ orderId: req.orderId, template: req.template, channel: req.channel, occurrence, actor: req.actor }, 'notification re-opened for a resend');
        return { reason, occurrence };
      });
    },
  };
}
