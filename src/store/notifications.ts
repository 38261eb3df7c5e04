/**
 * The outbox of customer messages (the notifications table): one row per order + template +
 * channel + occurrence, or per cart + template + channel for an abandoned-cart reminder. A send
 * claims its row first (pending or failed → sending, committed), then calls the provider, then marks
 * the row sent; a row left 'sending' past STALE_CLAIM_SECONDS is in doubt and never sent again by
 * itself. How the activities use these: activities/notifications.ts and activities/outbox.ts.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { applyDeliveryReport } from './delivery-reports';

/** An order's message, as its unique key names it. */
export interface MessageKey { orderId: string; template: string; channel: string; occurrence: number }

/** What a message row carries beside its columns: the rendered message, the reason it was sent with, and support's resends. */
export interface MessagePayload {
  subject?: string; text?: string; html?: string; reason?: string | null;
  /** True once the text and HTML of a message that held a one-time link were dropped after sending. */
  redacted?: boolean;
  resends?: { requestId: string; by: string; at: string }[];
}

/** A notifications row, with how long ago it was claimed (seconds; null when never). */
export interface MessageRow {
  id: string; order_id: string | null; cart_id: string | null; customer_id: string | null; template: string; channel: string; occurrence: number; recipient: string;
  status: string; provider_message_id: string | null; payload: MessagePayload; attempts: number; last_error: string | null;
  claimed_at: string | null; claim_age_s: number | null;
}

const COLUMNS = `id, order_id, cart_id, customer_id, template, channel, occurrence, recipient, status, provider_message_id, payload, attempts, last_error,
  claimed_at, extract(epoch from now() - claimed_at)::float as claim_age_s`;

const KEY = 'order_id = ? and template = ? and channel = ? and occurrence = ?';
const keyArgs = (k: MessageKey) => [k.orderId, k.template, k.channel, k.occurrence];

export async function messageOf(em: EntityManager, key: MessageKey): Promise<MessageRow | undefined> {
  const [row] = await em.execute<MessageRow[]>(`select ${COLUMNS} from notifications where ${KEY}`, keyArgs(key));
  return row;
}

export async function messageById(em: EntityManager, id: string): Promise<MessageRow | undefined> {
  const [row] = await em.execute<MessageRow[]>(`select ${COLUMNS} from notifications where id = ?`, [id]);
  return row;
}

/** The order's message row, written once (a retry finds it); `payload` holds its subject and reason. */
export async function enqueueMessage(em: EntityManager, key: MessageKey, recipient: string, payload: MessagePayload): Promise<void> {
  await em.execute(
    `insert into notifications (order_id, template, channel, occurrence, recipient, payload) values (?, ?, ?, ?, ?, ?)
     on conflict (order_id, template, channel, occurrence) where order_id is not null do nothing`,
    [...keyArgs(key), recipient, JSON.stringify(payload)]);
}

/**
 * A message that is never sent, kept with the reason: 'skipped' by design (a phone number that is not
 * E.164), or 'failed' because its own data cannot be stored (the outbox keeps the row without it).
 */
export async function recordUnsentMessage(em: EntityManager, key: MessageKey, recipient: string, status: 'skipped' | 'failed', reason: string): Promise<void> {
  await em.execute(
    `insert into notifications (order_id, template, channel, occurrence, recipient, status, last_error) values (?, ?, ?, ?, ?, ?, ?)
     on conflict (order_id, template, channel, occurrence) where order_id is not null do nothing`,
    [...keyArgs(key), recipient, status, reason]);
}

/** Claims the order's message for this attempt (pending or failed → sending); undefined when it is not ours to send. */
export async function claimMessage(em: EntityManager, key: MessageKey): Promise<{ id: string } | undefined> {
  const [row] = await em.execute<{ id: string }[]>(
    `update notifications set status = 'sending', claimed_at = now(), attempts = attempts + 1
      where ${KEY} and status in ('pending', 'failed') returning id`, keyArgs(key));
  return row;
}

/** The same for a row named by its id (a claimed cart reminder), answering where to send what. */
export async function claimMessageById(em: EntityManager, id: string): Promise<Pick<MessageRow, 'recipient' | 'payload'> | undefined> {
  const [row] = await em.execute<Pick<MessageRow, 'recipient' | 'payload'>[]>(
    `update notifications set status = 'sending', claimed_at = now(), attempts = attempts + 1
      where id = ? and status in ('pending', 'failed') returning recipient, payload`, [id]);
  return row;
}

/**
 * The provider took it: sent, with its message id, and any delivery report that came first applied now.
 * `redact`: in the same update, drop the rendered text and HTML (a message whose body held a one-time
 * link); the subject and the record of sending stay.
 */
export async function markMessageSent(em: EntityManager, id: string, provider: string, messageId: string, redact = false): Promise<void> {
  await em.execute(`update notifications set status = 'sent', provider = ?, provider_message_id = ?, sent_at = now(), last_error = null,
      payload = case when ? then (payload - 'text' - 'html') || '{"redacted": true}'::jsonb else payload end where id = ?`,
    [provider, messageId, redact, id]);
  // A delivery report can beat this bookkeeping (the provider calls back within milliseconds).
  await applyDeliveryReport(em, provider, messageId);
}

/** The provider refused it: failed with the reason, sendable again by a retry or a resend. */
export async function markMessageFailed(em: EntityManager, id: string, error: string): Promise<void> {
  await em.execute(`update notifications set status = 'failed', last_error = ? where id = ?`, [error, id]);
}

/** A note on the row that changes nothing else (e.g. why a claimed message is in doubt). */
export async function noteOnMessage(em: EntityManager, id: string, note: string): Promise<void> {
  await em.execute(`update notifications set last_error = ? where id = ?`, [note, id]);
}

/** Messages claimed longer ago than `olderThanSeconds` and never settled, oldest first: in doubt. */
export async function messagesInDoubt(em: EntityManager, olderThanSeconds: number, limit: number): Promise<MessageRow[]> {
  return em.execute<MessageRow[]>(
    `select ${COLUMNS} from notifications
      where status = 'sending' and claimed_at < now() - make_interval(secs => ?)
      order by claimed_at limit ?`, [olderThanSeconds, limit]);
}

/**
 * Support's resend: locks the order's rows of this template and channel (the given occurrence, or
 * all, newest first), lets `choose` pick the row to send again (or refuse), and re-opens it
 * (failed, with a note and the resend recorded in its payload) unless `choose` says it already is.
 */
export async function reopenMessageForResend(em: EntityManager, q: { orderId: string; template: string; channel: string; occurrence?: number },
  choose: (rows: MessageRow[]) => { row: MessageRow; reopen?: { note: string; resend: { requestId: string; by: string; at: string } } })
  : Promise<{ row: MessageRow; reopened: boolean }> {
  return em.transactional(async (tx) => {
    const rows = await tx.execute<MessageRow[]>(
      `select ${COLUMNS} from notifications where order_id = ? and template = ? and channel = ?${q.occurrence === undefined ? '' : ' and occurrence = ?'}
        order by occurrence desc for update`,
      [q.orderId, q.template, q.channel, ...(q.occurrence === undefined ? [] : [q.occurrence])]);
    const { row, reopen } = choose(rows);
    if (reopen) {
      await tx.execute(
        `update notifications set status = 'failed', last_error = ?,
            payload = jsonb_set(payload, '{resends}', coalesce(payload->'resends', '[]'::jsonb) || ?::jsonb)
          where id = ?`,
        [reopen.note, JSON.stringify([reopen.resend]), row.id]);
    }
    return { row, reopened: reopen !== undefined };
  });
}
