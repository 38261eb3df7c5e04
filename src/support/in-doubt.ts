/**
 * Customer messages in doubt: an attempt claimed the outbox row ('sending') and never recorded the
 * provider's answer (the worker stopped mid-send, or the provider did not answer), so the message
 * may or may not have gone, and it is never sent again automatically. Support decides: an order's
 * message can be resent (`resend`), after asking the customer; an abandoned-cart reminder is left.
 */
import type { MikroORM } from '../db/orm';
import { STALE_CLAIM_SECONDS } from '../integrations/notifier';

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
  const rows = await orm.em.fork().getConnection().execute<{ order_id: string | null; cart_id: string | null; template: string; channel: string;
    occurrence: number; claimed_at: Date; attempts: number; last_error: string | null }[]>(
    `select order_id, cart_id, template, channel, occurrence, claimed_at, attempts, last_error
       from notifications
      where status = 'sending' and claimed_at < now() - make_interval(secs => ?)
      order by claimed_at
      limit ?`, [STALE_CLAIM_SECONDS, limit]);
  return rows.map((r) => ({ orderId: r.order_id, cartId: r.cart_id, template: r.template, channel: r.channel, occurrence: r.occurrence,
    claimedAt: new Date(r.claimed_at).toISOString(), attempts: r.attempts, note: r.last_error }));
}
