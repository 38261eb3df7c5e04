/**
 * Changing a password: signed in, with the current one (the other sessions end), or by a one-time
 * link e-mailed on request (every session ends). A reset request answers the same whether the
 * address has an account or not; only an account's owner gets an e-mail.
 */
import { sha256Hex } from '../auth/tokens';
import { DomainError, ErrorCode } from '../domain/errors';
import { acceptablePassword, normalizePassword } from '../domain/passwords';
import { usableLink } from '../store/customer-links';
import { changePassword, customerByEmail, customerById, invalidLinkError, issueAccountLink, resetPassword } from '../store/customers';
import type { AccountContext } from './context';
import { newLink, startAccountMessage } from './links';

/** Checks the current password of a signed-in customer before a change that needs it (a new password, a new e-mail address). */
export async function confirmCurrentPassword(a: AccountContext, customerId: string, password: string): Promise<void> {
  const customer = await customerById(a.em, customerId);
  if (!customer || !(await a.hasher.verify(customer.password_hash, normalizePassword(password)))) {
    throw new DomainError(ErrorCode.CurrentPasswordWrong, 'The current password is not right; nothing was changed.');
  }
}

/** Sets a new password and ends every other session of the customer; answers how many ended. */
export async function changeOwnPassword(a: AccountContext, c: { customerId: string; sessionId: string }, current: string, next: string): Promise<number> {
  await confirmCurrentPassword(a, c.customerId, current);
  const customer = (await customerById(a.em, c.customerId))!;
  const passwordHash = await a.hasher.hash(acceptablePassword(next, customer.email));
  return changePassword(a.em, c.customerId, passwordHash, c.sessionId);
}

/** E-mails a reset link if the address has an account; does nothing otherwise (the caller answers alike). */
export async function requestPasswordReset(a: AccountContext, email: string): Promise<void> {
  const customer = await customerByEmail(a.em, email);
  if (!customer) return;
  const { outboxId } = await issueAccountLink(a.em, customer.id, { ...newLink('password_reset', a.settings, customer.name), email: customer.email });
  await startAccountMessage(a.messages, { outboxId, template: 'password_reset', customerId: customer.id });
}

/** The new password set by the link's token, which is then spent; every session of the account ends. */
export async function confirmPasswordReset(a: AccountContext, token: string, password: string): Promise<void> {
  const tokenHash = sha256Hex(token);
  // Looked at first, not spent: a password the rules refuse leaves the link usable for a better one.
  const link = await usableLink(a.em, tokenHash, 'password_reset');
  const customer = link && (await customerById(a.em, link.customerId));
  if (!customer) throw invalidLinkError();
  const passwordHash = await a.hasher.hash(acceptablePassword(password, customer.email));
  await resetPassword(a.em, tokenHash, passwordHash);
}
