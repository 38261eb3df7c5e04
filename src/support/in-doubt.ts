/**
 * Customer messages in doubt: an attempt claimed the outbox row ('sending') and never recorded the
 * provider's answer (the worker stopped mid-send, or the provider did not answer), so the message
 * may or may not have gone, and it is never sent again automatically. Support decides: an order's
 * message can be resent (`resend`), after asking the customer; an abandoned-cart reminder is left.
 */
import type { MikroORM } from '../db/orm';
import { STALE_CLAIM_SECONDS } from '../integrations/notifier';
import { messagesInDoubt } from '../store/notifications';

export interface InDoubtMessage {
  orderId: string | null;
  cartId: string | null;
  template: string;
  channel: string;
  /** Which one of the template it is: 1, or more for a message the order is sent again (out for delivery a second time). */
  occurrence: number;
  claimedAt: string;
  attempts: number;
  /** What the last attempt said, e.g. "in doubt: SendGrid did not answer: …". */
  note: string | null;
}

export async function inDoubtMessages(orm: MikroORM, limit = 100): Promise<InDoubtMessage[]> {
  const rows = await messagesInDoubt(orm.em.fork(), STALE_CLAIM_SECONDS, limit);
  return rows.map((r) => ({ orderId: r.order_id, cartId: r.cart_id, template: r.template, channel: r.channel, occurrence: r.occurrence,
    claimedAt: new Date(r.claimed_at as string).toISOString(), attempts: r.attempts, note: r.last_error }));
}
