/**
 * Customer notifications through an outbox: one row per order + template + channel + occurrence (a
 * unique key). Most messages go once per order (occurrence 1); a parcel status the customer is told
 * again (out for delivery a second time) is the next occurrence, a new row, sent once like the first.
 * An attempt first claims the row (pending or failed → sending, committed), then calls the
 * provider, then marks the row sent with the provider's message id; no transaction stays open
 * across the provider call. So:
 *   - two attempts at once: one claims and sends, the other waits for it and finds the row sent;
 *   - a retry after a successful send finds the row sent and does nothing;
 *   - a retry after a crash mid-send finds a stale claim: the message may have gone, so it is not
 *     sent again (never twice); the row stays 'sending' with a note, for support to resend by hand;
 *   - a provider's refusal marks the row failed with the error; one a retry can help (rate limit,
 *     outage) fails the attempt for the retry policy, one for good (a number Twilio will not text,
 *     an address SendGrid rejects) is answered 'refused': a message that cannot go never fails,
 *     cancels or rolls back the order it is about, and the other channel still goes.
 * A phone number that is not E.164 is never sent to: the row is 'skipped' with the reason.
 */
import type { ActivityDeps } from './deps';
import { sendClaimed } from './outbox';
import { NotifierError, STALE_CLAIM_SECONDS, type Channel } from '../src/integrations/notifier';
import { render, type MessageData, type Template } from '../src/domain/templates';
import { isE164 } from '../src/domain/phone';
import { DomainError, ErrorCode } from '../src/domain/errors';

interface OrderRow { id: string; email: string; phone: string | null; shipping_address: { name: string }; total_amount: string; currency: string }
interface OutboxRow { id: string; status: string; provider_message_id: string | null; claim_age_s: number | null }
interface OutboxKey { orderId: string; template: Template; channel: Channel; occurrence: number }

export interface NotificationResult {
  /**
   * in_doubt: an earlier attempt stopped mid-send, so the message may have gone; it is not sent again.
   * refused: the provider refused it for good; the row is 'failed' with the reason, for support to fix and resend.
   */
  status: 'sent' | 'already_sent' | 'skipped' | 'in_doubt' | 'refused';
  messageId?: string;
  reason?: string;
}

const CLAIM_POLL_MS = 100;
const SHIPPING_TEMPLATES: Template[] = ['shipped', 'out_for_delivery', 'delivered', 'shipment_exception', 'shipment_returned'];

export function notificationActivities({ orm, notifier, logger }: ActivityDeps) {
  const conn = () => orm.em.fork().getConnection();
  const row = async ({ orderId, template, channel, occurrence }: OutboxKey) => (await conn().execute<OutboxRow[]>(
    `select id, status, provider_message_id, extract(epoch from now() - claimed_at)::float as claim_age_s
       from notifications where order_id = ? and template = ? and channel = ? and occurrence = ?`, [orderId, template, channel, occurrence]))[0];

  return {
    /** occurrence: the how-manieth message of this template to this order (absent: 1, the only one for most). */
    async sendOrderNotification(req: { orderId: string; template: Template; channel: Channel; reason?: string; occurrence?: number }):
    Promise<NotificationResult> {
      const key: OutboxKey = { orderId: req.orderId, template: req.template, channel: req.channel, occurrence: req.occurrence ?? 1 };
      const log = logger.child(key);
      const [order] = await conn().execute<OrderRow[]>('select * from orders where id = ?', [req.orderId]);
      if (!order) throw new DomainError(ErrorCode.OrderNotFound, `Order ${req.orderId} does not exist.`, { orderId: req.orderId });
      const recipient = req.channel === 'email' ? order.email : order.phone;
      if (!recipient) return { status: 'skipped', reason: `order ${req.orderId} has no ${req.channel} recipient` };

      if (req.channel === 'sms' && !isE164(recipient)) {
        const reason = 'the phone number is not in E.164 form (e.g. +447700900123), so no SMS was sent';
        await conn().execute(
          `insert into notifications (order_id, template, channel, occurrence, recipient, status, last_error) values (?, ?, 'sms', ?, ?, 'skipped', ?)
           on conflict (order_id, template, channel, occurrence) where order_id is not null do nothing`,
          [key.orderId, key.template, key.occurrence, recipient, reason]);
        log.warn(`SMS skipped: ${reason}; the e-mail goes on its own`);
        return { status: 'skipped', reason };
      }

      const message = render(req.template, await messageData(req, order));
      await conn().execute(
        `insert into notifications (order_id, template, channel, occurrence, recipient, payload) values (?, ?, ?, ?, ?, ?)
         on conflict (order_id, template, channel, occurrence) where order_id is not null do nothing`,
        [key.orderId, key.template, key.channel, key.occurrence, recipient, JSON.stringify({ subject: message.subject, reason: req.reason ?? null })]);

      const [claimed] = await conn().execute<{ id: string }[]>(
        `update notifications set status = 'sending', claimed_at = now(), attempts = attempts + 1
          where order_id = ? and template = ? and channel = ? and occurrence = ? and status in ('pending', 'failed') returning id`,
        [key.orderId, key.template, key.channel, key.occurrence]);
      if (!claimed) return settled(key);

      const outcome = await sendClaimed(orm, notifier, claimed.id, { channel: req.channel, to: recipient, subject: message.subject,
        text: req.channel === 'sms' ? message.sms : message.text, html: message.html });
      if (outcome.status === 'in_doubt') {
        log.warn({ note: outcome.note }, 'notification in doubt: the provider did not answer; not retried, so it is never sent twice');
        return { status: 'in_doubt', reason: outcome.note };
      }
      if (outcome.status === 'refused') {
        await conn().execute(`update notifications set status = 'failed', last_error = ? where id = ?`, [outcome.detail, claimed.id]);
        if (outcome.error instanceof NotifierError && !outcome.error.retryable) {
          log.error({ err: outcome.error }, 'notification refused by the provider for good; not retried, the order goes on (support can resend once it is fixed)');
          return { status: 'refused', reason: outcome.detail };
        }
        log.warn({ err: outcome.error }, 'notification not sent; the activity retry policy decides whether it is tried again');
        throw outcome.error;
      }
      log.info({ messageId: outcome.messageId, provider: outcome.provider }, 'notification sent');
      return { status: 'sent', messageId: outcome.messageId };
    },
  };

  /** The row was not ours to send: wait out an attempt that is sending it now, then report what happened. */
  async function settled(key: OutboxKey): Promise<NotificationResult> {
    for (;;) {
      const current = await row(key);
      if (current.status === 'skipped') return { status: 'skipped' };
      if (current.status !== 'sending') return { status: 'already_sent', messageId: current.provider_message_id ?? undefined };
      if ((current.claim_age_s ?? 0) >= STALE_CLAIM_SECONDS) {
        const note = 'in doubt: the attempt sending this stopped before recording the outcome, so it may have been delivered; not sent again';
        await conn().execute(`update notifications set last_error = ? where id = ?`, [note, current.id]);
        logger.warn(key, `notification ${note}`);
        return { status: 'in_doubt', reason: note };
      }
      await new Promise((resolve) => setTimeout(resolve, CLAIM_POLL_MS));
    }
  }

  async function messageData(req: { orderId: string; template: Template; reason?: string }, order: OrderRow): Promise<MessageData> {
    const lines = await conn().execute<{ title: string; quantity: number }[]>(
      'select title, quantity from order_lines where order_id = ? order by sku', [req.orderId]);
    const data: MessageData = { orderId: order.id, customerName: order.shipping_address.name,
      total: { amount: Number(order.total_amount), currency: order.currency }, lines, reason: req.reason };
    if (SHIPPING_TEMPLATES.includes(req.template)) {
      const [shipment] = await conn().execute<{ carrier: string; tracking_number: string }[]>(
        'select carrier, tracking_number from shipments where order_id = ? order by created_at desc limit 1', [req.orderId]);
      if (shipment) data.shipment = { carrier: shipment.carrier, trackingNumber: shipment.tracking_number };
    }
    return data;
  }
}
