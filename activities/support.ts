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
import { reopenMessageForResend, type MessageRow } from '../src/store/notifications';
import { raiseOrderNotice } from '../src/store/support';
import { compensationFailedNotice } from '../src/domain/support';

export interface ResendReopenRequest {
  orderId: string; template: string; channel: Channel; occurrence?: number; requestId: string; actor: string; reason: string;
}

export function supportActivities({ orm, logger }: ActivityDeps) {
  return {
    /**
     * Re-opens an order's message for one more send: the given occurrence, or the latest; returns the reason the
     * message was first sent with, and which occurrence it is (for the send that follows).
     */
    async reopenNotificationForResend(req: ResendReopenRequest): Promise<{ reason?: string; occurrence: number }> {
      const { row, reopened } = await reopenMessageForResend(orm.em.fork(), req, (rows) => chooseForResend(req, rows));
      if (reopened) {
        logger.info({ orderId: req.orderId, template: req.template, channel: req.channel, occurrence: row.occurrence, actor: req.actor },
          'notification re-opened for a resend');
      }
      return { reason: row.payload?.reason ?? undefined, occurrence: row.occurrence };
    },
    /** A step of an order's rollback can never succeed: support gets a notice saying what failed and what to do (once per order and step). */
    async noticeRollbackStepFailed(req: { orderId: string; step: string; error: string }): Promise<void> {
      const raised = await raiseOrderNotice(orm.em.fork(), { kind: 'compensation_failed', orderId: req.orderId, subject: req.step,
        message: compensationFailedNotice(req.orderId, req.step, req.error) });
      logger.error({ orderId: req.orderId, step: req.step, error: req.error, raised }, 'rollback step failed for good; support notice raised');
    },
  };
}

/**
 * The row to send again, newest first: the one this request re-opened before (a retried request
 * re-opens what it re-opened the first time, even if a newer occurrence came since), else the latest.
 * Refused: a message never sent, one never sent by design (skipped), one being sent right now.
 */
function chooseForResend(req: ResendReopenRequest, rows: MessageRow[]) {
  const resent = (r: MessageRow) => r.payload?.resends?.some((x) => x.requestId === req.requestId) ?? false;
  const row = rows.find(resent) ?? rows[0];
  const refuse = (message: string) => new DomainError(ErrorCode.ActionRefused, message,
    { orderId: req.orderId, template: req.template, channel: req.channel, occurrence: req.occurrence });
  const which = req.occurrence === undefined ? '' : ` (occurrence ${req.occurrence})`;
  if (!row) throw refuse(`order ${req.orderId} was never sent "${req.template}"${which} by ${req.channel}; there is nothing to resend`);
  if (resent(row)) return { row };
  if (row.status === 'skipped') throw refuse(`the ${req.channel} "${req.template}"${which} of order ${req.orderId} is never sent: ${row.last_error ?? 'skipped'}`);
  if (row.status === 'sending' && (row.claim_age_s ?? 0) < STALE_CLAIM_SECONDS) {
    throw refuse(`the ${req.channel} "${req.template}"${which} of order ${req.orderId} is being sent right now; try again in a minute`);
  }
  return { row, reopen: { note: `resend requested by ${req.actor}: ${req.reason}`,
    resend: { requestId: req.requestId, by: req.actor, at: new Date().toISOString() } } };
}
