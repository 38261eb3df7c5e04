/**
 * Sending the message of an outbox row this attempt has claimed ('sending'), and recording what
 * happened: sent (with the provider's message id, and any delivery report that came first), or in
 * doubt (the provider may have it: the row stays claimed and is never sent again by itself). A
 * refusal is the caller's to record, since what else it undoes differs (an order's message is
 * retried by the activity's policy; a cart reminder un-marks its cart for the next sweep).
 */
import type { MikroORM } from '../src/db/orm';
import { NotifierError, type Notifier, type OutgoingMessage } from '../src/integrations/notifier';
import { markMessageSent, noteOnMessage } from '../src/store/notifications';

export type SendOutcome =
  | { status: 'sent'; provider: string; messageId: string }
  | { status: 'in_doubt'; note: string }
  | { status: 'refused'; error: unknown; detail: string };

/** `redact`: the message held a one-time link; once sent, its text and HTML leave the row (src/store/notifications.ts). */
export async function sendClaimed(orm: MikroORM, notifier: Notifier, outboxId: string, message: Omit<OutgoingMessage, 'idempotencyKey'>,
  redact = false): Promise<SendOutcome> {
  let sent;
  try {
    sent = await notifier.send({ ...message, idempotencyKey: outboxId });
  } catch (err) {
    if (err instanceof NotifierError && err.maybeSent) {
      const note = `in doubt: ${err.message}; it may have been delivered, so it is not sent again (support can resend)`.slice(0, 1000);
      await noteOnMessage(orm.em.fork(), outboxId, note);
      return { status: 'in_doubt', note };
    }
    return { status: 'refused', error: err, detail: String((err as Error).message ?? err).slice(0, 1000) };
  }
  await markMessageSent(orm.em.fork(), outboxId, sent.provider, sent.messageId, redact);
  return { status: 'sent', provider: sent.provider, messageId: sent.messageId };
}
