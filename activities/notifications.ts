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
 *     cancels or rolls back the order it is about, and the other channel still goes;
 *   - a message whose own data the database refuses (a NUL in the reason it is sent with) is recorded
 *     'failed' without it and answered 'refused' too, instead of failing the same way on every retry.
 * A message that can never go raises a support notice (message_failed) saying what to do.
 * A phone number that is not E.164 is never sent to: the row is 'skipped' with the reason.
 *
 * A message about a customer's account (a verification or password-reset link) is written to its row
 * by the API, already rendered; sendAccountMessage sends that row the same way, and marks it sent and
 * drops its text and HTML in one update, so the outbox keeps no usable link once the e-mail has gone.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { ActivityDeps } from './deps';
import { sendClaimed, type SendOutcome } from './outbox';
import { NotifierError, STALE_CLAIM_SECONDS, type Channel } from '../src/integrations/notifier';
import { render, type MessageData, type Template } from '../src/domain/templates';
import { isE164 } from '../src/domain/phone';
import { DomainError, ErrorCode } from '../src/domain/errors';
import type { Logger } from '../src/logger';
import { breakdownOfOrder, linesOfOrder, orderById, type OrderRow } from '../src/store/orders';
import { shipmentOfOrder } from '../src/store/shipments';
import { claimMessage, claimMessageById, enqueueMessage, markMessageFailed, messageById, messageOf, noteOnMessage, recordUnsentMessage,
  type MessageKey, type MessageRow } from '../src/store/notifications';
import { dataRejection } from '../src/store/errors';
import { raiseOrderNotice } from '../src/store/support';
import { messageFailedNotice } from '../src/domain/support';

export interface NotificationResult {
  /**
   * in_doubt: an earlier attempt stopped mid-send, so the message may have gone; it is not sent again.
   * refused: the provider refused it for good; the row is 'failed' with the reason, for support to fix and resend.
   */
  status: 'sent' | 'already_sent' | 'skipped' | 'in_doubt' | 'refused';
  messageId?: string;
  reason?: string;
}

/** occurrence: the how-manieth message of this template to this order (absent: 1, the only one for most). */
export interface NotificationRequest { orderId: string; template: Template; channel: Channel; reason?: string; occurrence?: number }

const CLAIM_POLL_MS = 100;
const SHIPPING_TEMPLATES: Template[] = ['shipped', 'out_for_delivery', 'delivered', 'shipment_exception', 'shipment_returned'];

export function notificationActivities(deps: ActivityDeps) {
  return {
    sendOrderNotification: (req: NotificationRequest): Promise<NotificationResult> => sendOrderNotification(deps, req),
    /** Sends the account e-mail already rendered in this outbox row (it holds a one-time link), once, then redacts the link from the row. */
    sendAccountMessage: (req: { outboxId: string }): Promise<NotificationResult> => sendAccountMessage(deps, req.outboxId),
  };
}

async function sendOrderNotification({ orm, notifier, logger }: ActivityDeps, req: NotificationRequest): Promise<NotificationResult> {
  const em = () => orm.em.fork();
  const key: MessageKey = { orderId: req.orderId, template: req.template, channel: req.channel, occurrence: req.occurrence ?? 1 };
  const log = logger.child(key);
  const order = await orderById(em(), req.orderId);
  if (!order) throw new DomainError(ErrorCode.OrderNotFound, `Order ${req.orderId} does not exist.`, { orderId: req.orderId });
  const recipient = req.channel === 'email' ? order.email : order.phone;
  if (!recipient) return { status: 'skipped', reason: `order ${req.orderId} has no ${req.channel} recipient` };

  if (req.channel === 'sms' && !isE164(recipient)) {
    const reason = 'the phone number is not in E.164 form (e.g. +447700900123), so no SMS was sent';
    await recordUnsentMessage(em(), key, recipient, 'skipped', reason);
    log.warn(`SMS skipped: ${reason}; the e-mail goes on its own`);
    return { status: 'skipped', reason };
  }

  const message = render(req.template, await messageData(orm.em.fork(), req, order));
  try {
    await enqueueMessage(em(), key, recipient, { subject: message.subject, reason: req.reason ?? null });
  } catch (err) {
    const rejected = dataRejection(err);
    if (!rejected) throw err;
    // Its own data (the reason it was sent with, say) cannot be stored: every attempt would fail the same way.
    const reason = `the message could not be kept in the outbox (SQLSTATE ${rejected.sqlState}: ${rejected.message}), so it was not sent`;
    await recordUnsentMessage(em(), key, recipient, 'failed', reason);
    return givenUp(orm.em.fork(), key, reason, log);
  }
  const claimed = await claimMessage(em(), key);
  if (!claimed) return settled(orm.em.fork(), () => messageOf(orm.em.fork(), key), log);

  const outcome = await sendClaimed(orm, notifier, claimed.id, { channel: req.channel, to: recipient, subject: message.subject,
    text: req.channel === 'sms' ? message.sms : message.text, html: message.html });
  return afterSend(orm.em.fork(), key, claimed.id, outcome, log);
}

/**
 * A message that can never go (refused for good by the provider, or its data refused by the database):
 * answered 'refused' so the order goes on without it, and support gets a notice saying what to do.
 */
async function givenUp(em: EntityManager, key: MessageKey, reason: string, log: Logger): Promise<NotificationResult> {
  await raiseOrderNotice(em, { kind: 'message_failed', orderId: key.orderId, subject: `${key.template}/${key.channel}/${key.occurrence}`,
    message: messageFailedNotice(key.orderId, key.template, key.channel, reason) });
  log.error({ reason }, 'notification can never be sent; recorded failed, support notice raised, the order goes on');
  return { status: 'refused', reason };
}

/**
 * What the send came to: sent, in doubt (not sent again), refused for good (answered; an order's message raises a notice),
 * or refused for now (thrown, for the retry policy). key: the order message's, none for an account message.
 */
async function afterSend(em: EntityManager, key: MessageKey | undefined, outboxId: string, outcome: SendOutcome, log: Logger): Promise<NotificationResult> {
  if (outcome.status === 'in_doubt') {
    log.warn({ note: outcome.note }, 'notification in doubt: the provider did not answer; not retried, so it is never sent twice');
    return { status: 'in_doubt', reason: outcome.note };
  }
  if (outcome.status === 'refused') {
    await markMessageFailed(em, outboxId, outcome.detail);
    if (outcome.error instanceof NotifierError && !outcome.error.retryable) {
      if (key) return givenUp(em, key, outcome.detail, log);
      log.error({ err: outcome.error }, 'account e-mail refused by the provider for good; not retried (the customer can ask for a new link)');
      return { status: 'refused', reason: outcome.detail };
    }
    log.warn({ err: outcome.error }, 'notification not sent; the activity retry policy decides whether it is tried again');
    throw outcome.error;
  }
  log.info({ messageId: outcome.messageId, provider: outcome.provider }, 'notification sent');
  return { status: 'sent', messageId: outcome.messageId };
}

async function sendAccountMessage({ orm, notifier, logger }: ActivityDeps, outboxId: string): Promise<NotificationResult> {
  const log = logger.child({ outboxId });
  const claimed = await claimMessageById(orm.em.fork(), outboxId);
  if (!claimed) {
    if (!(await messageById(orm.em.fork(), outboxId))) return { status: 'skipped', reason: `there is no outbox row ${outboxId}` };
    return settled(orm.em.fork(), () => messageById(orm.em.fork(), outboxId), log);
  }
  const { subject = '', text = '', html = '' } = claimed.payload;
  const outcome = await sendClaimed(orm, notifier, outboxId, { channel: 'email', to: claimed.recipient, subject, text, html }, true);
  return afterSend(orm.em.fork(), undefined, outboxId, outcome, log);
}

/** The row was not ours to send: wait out an attempt that is sending it now, then report what happened. */
async function settled(em: EntityManager, read: () => Promise<MessageRow | undefined>, logger: Logger): Promise<NotificationResult> {
  for (;;) {
    const current = (await read())!;
    if (current.status === 'skipped') return { status: 'skipped' };
    if (current.status !== 'sending') return { status: 'already_sent', messageId: current.provider_message_id ?? undefined };
    if ((current.claim_age_s ?? 0) >= STALE_CLAIM_SECONDS) {
      const note = 'in doubt: the attempt sending this stopped before recording the outcome, so it may have been delivered; not sent again';
      await noteOnMessage(em, current.id, note);
      logger.warn(`notification ${note}`);
      return { status: 'in_doubt', reason: note };
    }
    await new Promise((resolve) => setTimeout(resolve, CLAIM_POLL_MS));
  }
}

async function messageData(em: EntityManager, req: { orderId: string; template: Template; reason?: string }, order: OrderRow): Promise<MessageData> {
  const rows = await linesOfOrder(em, req.orderId);
  const lines = rows.map((l) => ({ title: l.title, quantity: l.quantity }));
  const data: MessageData = { orderId: order.id, customerName: order.shipping_address.name,
    total: { amount: Number(order.total_amount), currency: order.currency }, lines, reason: req.reason, breakdown: breakdownOfOrder(order, rows) };
  if (SHIPPING_TEMPLATES.includes(req.template)) {
    const shipment = await shipmentOfOrder(em, req.orderId);
    if (shipment) data.shipment = { carrier: shipment.carrier, trackingNumber: shipment.tracking_number };
  }
  return data;
}
