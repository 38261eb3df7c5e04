/**
 * One-time links e-mailed to a customer: confirm an address (verify_email) or choose a new password
 * (password_reset). Only the token's SHA-256 is stored. Each link has exactly one outbox row (its
 * rendered e-mail, sent once: activities/notifications.ts), and is spent by a conditional update, so
 * two clicks at once use it once.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { AccountTemplate } from '../domain/templates';
import type { MessagePayload } from './notifications';

export type LinkPurpose = AccountTemplate;

export interface NewLink {
  purpose: LinkPurpose;
  tokenHash: string;
  /** Where the link is e-mailed; for verify_email, the address it confirms. */
  email: string;
  ttlMs: number;
  /** The rendered e-mail (subject, text, html); it holds the link until sent (then it is redacted). */
  message: MessagePayload;
}

/** Writes the link and its outbox row (inside the caller's transaction); answers the row's id, which the sending workflow is named after. */
export async function issueLink(tx: EntityManager, customerId: string, link: NewLink): Promise<{ outboxId: string }> {
  const [row] = await tx.execute<{ id: string }[]>(
    `insert into notifications (customer_id, template, channel, recipient, payload) values (?, ?, 'email', ?, ?) returning id`,
    [customerId, link.purpose, link.email, JSON.stringify(link.message)]);
  await tx.execute(
    `insert into customer_links (token_hash, customer_id, purpose, email, notification_id, expires_at)
     values (?, ?, ?, ?, ?, now() + make_interval(secs => ?))`,
    [link.tokenHash, customerId, link.purpose, link.email, row.id, link.ttlMs / 1000]);
  return { outboxId: row.id };
}

export interface UsableLink { customerId: string; email: string }

/** The link's customer and address while it is unused and unexpired, without spending it (to check a new password first). */
export async function usableLink(em: EntityManager, tokenHash: string, purpose: LinkPurpose): Promise<UsableLink | undefined> {
  const [row] = await em.execute<{ customer_id: string; email: string }[]>(
    `select customer_id, email from customer_links where token_hash = ? and purpose = ? and used_at is null and expires_at > now()`,
    [tokenHash, purpose]);
  return row && { customerId: row.customer_id, email: row.email };
}

/** Spends the link (inside the caller's transaction): undefined when it is unknown, used or expired, so it works once. */
export async function spendLink(tx: EntityManager, tokenHash: string, purpose: LinkPurpose): Promise<UsableLink | undefined> {
  const [row] = await tx.execute<{ customer_id: string; email: string }[]>(
    `update customer_links set used_at = now()
      where token_hash = ? and purpose = ? and used_at is null and expires_at > now() returning customer_id, email`,
    [tokenHash, purpose]);
  return row && { customerId: row.customer_id, email: row.email };
}

/** Spends every other unused link of this purpose (a reset used makes older reset e-mails useless). */
export async function spendOtherLinks(tx: EntityManager, customerId: string, purpose: LinkPurpose): Promise<void> {
  await tx.execute(`update customer_links set used_at = now() where customer_id = ? and purpose = ? and used_at is null`, [customerId, purpose]);
}
