/**
 * Customer accounts: sign-up, sign-in, profile, e-mail address and password. What must happen
 * together happens in one transaction here: an account with its first session and the e-mail that
 * confirms its address; a sign-in's session, password upgrade and guest cart; a new password and the
 * end of the other sessions; a spent link and what it unlocks.
 */
import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/postgresql';
import { DomainError, ErrorCode } from '../domain/errors';
import { issueLink, spendLink, spendOtherLinks, type NewLink } from './customer-links';
import { adoptGuestCart, openCartOf, type GuestCartOutcome } from './customer-carts';
import { claimGuestOrders } from './orders';
import { openSession, pruneSessionsOf, revokeSessionsOf, type NewSession, type OpenedSession } from './sessions';

/** A customers row (timestamps as text, as the ORM's connection reads them). */
export interface CustomerRow {
  id: string; email: string; name: string; password_hash: string; marketing_opt_in: boolean;
  email_verified_at: string | null; created_at: string; updated_at: string;
}

const COLUMNS = 'id, email, name, password_hash, marketing_opt_in, email_verified_at, created_at, updated_at';

/** For tests and demonstrations: a customer row as given (an account is made with registerCustomer). */
export async function createCustomer(em: EntityManager, c: { email: string; name: string; passwordHash: string; marketingOptIn?: boolean }): Promise<string> {
  const [row] = await em.execute<{ id: string }[]>(
    'insert into customers (email, password_hash, name, marketing_opt_in) values (?, ?, ?, ?) returning id',
    [c.email, c.passwordHash, c.name, c.marketingOptIn ?? false]);
  return row.id;
}

/**
 * E-mail addresses are matched without regard to case (the unique index is on lower(email)). An
 * account whose erasure was asked for is closed: it is not found, so it cannot sign in or reset its password.
 */
export async function customerByEmail(em: EntityManager, email: string): Promise<CustomerRow | undefined> {
  const [row] = await em.execute<CustomerRow[]>(`select ${COLUMNS} from customers where lower(email) = lower(?) and erasure_requested_at is null`, [email]);
  return row;
}

export async function customerById(em: EntityManager, id: string): Promise<CustomerRow | undefined> {
  const [row] = await em.execute<CustomerRow[]>(`select ${COLUMNS} from customers where id = ?`, [id]);
  return row;
}

export interface NewCustomer { email: string; name: string; passwordHash: string; marketingOptIn: boolean }

/** A new account, signed in, with the link that confirms its address waiting in the outbox; email_taken if the address has an account. */
export async function registerCustomer(em: EntityManager, c: NewCustomer, session: NewSession, link: Omit<NewLink, 'email'>, guestCartId?: string)
  : Promise<{ customer: CustomerRow; session: OpenedSession; outboxId: string; cart?: GuestCartOutcome }> {
  return em.transactional(async (tx) => {
    const [customer] = await withEmailTaken(c.email, () => tx.execute<CustomerRow[]>(
      `insert into customers (email, password_hash, name, marketing_opt_in) values (?, ?, ?, ?) returning ${COLUMNS}`,
      [c.email, c.passwordHash, c.name, c.marketingOptIn]));
    const opened = await openSession(tx, customer.id, session);
    const { outboxId } = await issueLink(tx, customer.id, { ...link, email: customer.email });
    const cart = guestCartId ? await adoptGuestCart(tx, customer.id, guestCartId) : undefined;
    return { customer, session: opened, outboxId, cart };
  });
}

export interface SignIn {
  session: NewSession;
  /** SESSION_IDLE_TIMEOUT: sessions idle longer are forgotten now. */
  idleMs: number;
  /** The password hashed again at the current cost, when the stored hash was made at another. */
  rehashed?: string;
  guestCartId?: string;
}

/** A new session for a customer whose password was checked, the hash upgraded and the guest cart brought along, together. */
export async function signInCustomer(em: EntityManager, customerId: string, s: SignIn)
  : Promise<{ session: OpenedSession; cart?: GuestCartOutcome; openCartId: string | null }> {
  return em.transactional(async (tx) => {
    if (s.rehashed) await tx.execute(`update customers set password_hash = ?, updated_at = now() where id = ?`, [s.rehashed, customerId]);
    await pruneSessionsOf(tx, customerId, s.idleMs);
    const session = await openSession(tx, customerId, s.session);
    const cart = s.guestCartId ? await adoptGuestCart(tx, customerId, s.guestCartId) : undefined;
    return { session, cart, openCartId: cart ? cart.cartId : (await openCartOf(tx, customerId)) ?? null };
  });
}

/**
 * Changes the name and the marketing choice as given and, with `newEmail`, the address: unconfirmed
 * until the link e-mailed to it (written in the same transaction) is opened. All or nothing:
 * email_taken if another account has the new address.
 */
export async function updateAccount(em: EntityManager, id: string, patch: { name?: string; marketingOptIn?: boolean },
  newEmail?: { email: string; link: Omit<NewLink, 'email'> }): Promise<{ customer: CustomerRow; outboxId?: string }> {
  return em.transactional(async (tx) => {
    const [profiled] = await tx.execute<CustomerRow[]>(
      `update customers set name = coalesce(?, name), marketing_opt_in = coalesce(?, marketing_opt_in), updated_at = now()
        where id = ? returning ${COLUMNS}`, [patch.name ?? null, patch.marketingOptIn ?? null, id]);
    if (!newEmail) return { customer: profiled };
    const [customer] = await withEmailTaken(newEmail.email, () => tx.execute<CustomerRow[]>(
      `update customers set email = ?, email_verified_at = null where id = ? returning ${COLUMNS}`, [newEmail.email, id]));
    const { outboxId } = await issueLink(tx, id, { ...newEmail.link, email: customer.email });
    return { customer, outboxId };
  });
}

/** A link (a new verification e-mail, a password reset) and its outbox row, on their own. */
export async function issueAccountLink(em: EntityManager, customerId: string, link: NewLink): Promise<{ outboxId: string }> {
  return em.transactional((tx) => issueLink(tx, customerId, link));
}

/** The new password, and every other session of the customer ended with it; answers how many ended. */
export async function changePassword(em: EntityManager, id: string, passwordHash: string, keepSessionId: string): Promise<number> {
  return em.transactional(async (tx) => {
    await tx.execute(`update customers set password_hash = ?, updated_at = now() where id = ?`, [passwordHash, id]);
    return revokeSessionsOf(tx, id, keepSessionId);
  });
}

export const invalidLinkError = (): DomainError => new DomainError(ErrorCode.InvalidLink,
  'This link is not valid: it has already been used, it has expired, or it was not sent for this. Ask for a new one.');

/**
 * A password reset: the link spent (once), the new password set, every session ended and the
 * customer's other reset links spent. Opening a link sent to the account's address also confirms
 * the address (and brings the guest orders placed with it into the account).
 */
export async function resetPassword(em: EntityManager, tokenHash: string, passwordHash: string): Promise<{ customerId: string }> {
  return em.transactional(async (tx) => {
    const link = await spendLink(tx, tokenHash, 'password_reset');
    if (!link) throw invalidLinkError();
    await tx.execute(`update customers set password_hash = ?, updated_at = now() where id = ?`, [passwordHash, link.customerId]);
    await spendOtherLinks(tx, link.customerId, 'password_reset');
    await revokeSessionsOf(tx, link.customerId);
    await confirmEmail(tx, link.customerId, link.email);
    return { customerId: link.customerId };
  });
}

/** The address the link was sent to is confirmed (if it is still the account's), and the guest orders placed with it join the account. */
export async function verifyEmail(em: EntityManager, tokenHash: string): Promise<{ customerId: string; ordersAdded: number }> {
  return em.transactional(async (tx) => {
    const link = await spendLink(tx, tokenHash, 'verify_email');
    const confirmed = link && (await confirmEmail(tx, link.customerId, link.email));
    if (!link || confirmed === undefined) throw invalidLinkError();
    return { customerId: link.customerId, ordersAdded: confirmed };
  });
}

/** Confirms `email` as the customer's (undefined when it is no longer their address) and answers how many guest orders joined the account. */
async function confirmEmail(tx: EntityManager, customerId: string, email: string): Promise<number | undefined> {
  const rows = await tx.execute(
    `update customers set email_verified_at = coalesce(email_verified_at, now()), updated_at = now()
      where id = ? and lower(email) = lower(?) returning id`, [customerId, email]);
  return rows.length > 0 ? claimGuestOrders(tx, customerId, email) : undefined;
}

async function withEmailTaken<T>(email: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (err instanceof UniqueConstraintViolationException && /customers_email_idx/.test(err.message)) {
      throw new DomainError(ErrorCode.EmailTaken, `${email} already has an account: sign in, or reset the password if it is forgotten.`, { email });
    }
    throw err;
  }
}
