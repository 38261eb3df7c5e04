/**
 * Customer notifications through an outbox: one row per order + template + channel (a unique
 * key), written before the send and marked sent with the provider's message id after. The row is
 * locked while sending, so two attempts of the same activity never both send, and a retry after
 * a successful send finds the row sent and does nothing.
 */
import type { ActivityDeps } from './index';
import type { Channel } from '../src/integrations/notifier';
import { render, type Template } from '../src/domain/templates';
import { DomainError, ErrorCode } from '../src/domain/errors';

interface OrderRow { id: string; email: string; phone: string | null; shipping_address: { name: string }; total_amount: string; currency: string }
interface OutboxRow { id: string; status: string; provider_message_id: string | null }

export interface NotificationResult {
  status: 'sent' | 'already_sent' | 'skipped';
  messageId?: string;
  reason?: string;
}

export function notificationActivities({ orm, notifier, logger }: ActivityDeps) {
  return {
    async sendOrderNotification(req: { orderId: string; template: Template; channel: Channel; reason?: string }): Promise<NotificationResult> {
      const em = orm.em.fork();
      const conn = em.getConnection();
      const [order] = await conn.execute<OrderRow[]>('select * from orders where id = ?', [req.orderId]);
      if (!order) throw new DomainError(ErrorCode.OrderNotFound, `Order ${req.orderId} does not exist.`, { orderId: req.orderId });
      const recipient = req.channel === 'email' ? order.email : order.phone;
      if (!recipient) return { status: 'skipped', reason: `order ${req.orderId} has no ${req.channel} recipient` };

      const lines = await conn.execute<{ title: string; quantity: number }[]>(
        'select title, quantity from order_lines where order_id = ? order by sku', [req.orderId]);
      const message = render(req.template, { orderId: order.id, customerName: order.shipping_address.name,
        total: { amount: Number(order.total_amount), currency: order.currency }, lines, reason: req.reason });

      return em.transactional(async (tx) => {
        const c = tx.getConnection();
        const ctx = tx.getTransactionContext();
        await c.execute(
          `insert into notifications (order_id, template, channel, recipient, payload) values (?, ?, ?, ?, ?)
           on conflict (order_id, template, channel) where order_id is not null do nothing`,
          [req.orderId, req.template, req.channel, recipient, JSON.stringify({ subject: message.subject, reason: req.reason ?? null })], 'run', ctx);
        const [row] = await c.execute<OutboxRow[]>(
          `select id, status, provider_message_id from notifications where order_id = ? and template = ? and channel = ? for update`,
          [req.orderId, req.template, req.channel], 'all', ctx);
        if (row.status !== 'pending' && row.status !== 'failed') {
          return { status: 'already_sent', messageId: row.provider_message_id ?? undefined };
        }
        await c.execute(`update notifications set attempts = attempts + 1 where id = ?`, [row.id], 'run', ctx);
        const sent = await notifier.send({ channel: req.channel, to: recipient, subject: message.subject,
          text: req.channel === 'sms' ? message.sms : message.text, html: message.html, idempotencyKey: row.id });
        await c.execute(`update notifications set status = 'sent', provider = ?, provider_message_id = ?, sent_at = now() where id = ?`,
          [sent.provider, sent.messageId, row.id], 'run', ctx);
        logger.info({ orderId: req.orderId, template: req.template, channel: req.channel, messageId: sent.messageId }, 'notification sent');
        return { status: 'sent', messageId: sent.messageId };
      });
    },
  };
}
