/**
 * Signing up and signing in. A wrong password and an unknown e-mail address get the same answer
 * after the same work (an unknown address costs a password check against a dummy hash), so neither
 * the answer nor its timing tells whether an address has an account. A password hashed at another
 * cost than the configured one is hashed again at sign-in, the one moment we hold it.
 */
import { newSessionToken, sha256Hex } from '../auth/tokens';
import { DomainError, ErrorCode } from '../domain/errors';
import { acceptablePassword, normalizePassword } from '../domain/passwords';
import type { GuestCartOutcome } from '../store/customer-carts';
import { customerByEmail, registerCustomer, signInCustomer, type CustomerRow } from '../store/customers';
import type { OpenedSession } from '../store/sessions';
import type { AccountContext } from './context';
import { newLink, startAccountMessage } from './links';

export interface SignedIn {
  customer: CustomerRow;
  /** The session's token is shown here once; only its hash is kept. */
  session: OpenedSession & { token: string };
  /** What became of the guest cart sent along, if one was. */
  cart?: GuestCartOutcome;
  /** The customer's open cart afterwards, if they have one. */
  openCartId: string | null;
}

export interface SignUpRequest { email: string; password: string; name: string; marketingOptIn: boolean; cartId?: string; userAgent?: string }

/** A new account, signed in; the e-mail that confirms its address is queued (verificationEmail says whether it could be). */
export async function signUp(a: AccountContext, req: SignUpRequest): Promise<SignedIn & { verificationEmail: 'queued' | 'not_queued' }> {
  const passwordHash = await a.hasher.hash(acceptablePassword(req.password, req.email));
  const token = newSessionToken();
  const made = await registerCustomer(a.em, { email: req.email, name: req.name, passwordHash, marketingOptIn: req.marketingOptIn },
    { tokenHash: sha256Hex(token), maxAgeMs: a.settings.sessionMaxAgeMs, userAgent: req.userAgent },
    newLink('verify_email', a.settings, req.name), req.cartId);
  const queued = await startAccountMessage(a.messages, { outboxId: made.outboxId, template: 'verify_email', customerId: made.customer.id });
  return { customer: made.customer, session: { ...made.session, token }, cart: made.cart, openCartId: made.cart?.cartId ?? null,
    verificationEmail: queued ? 'queued' : 'not_queued' };
}

export interface SignInRequest { email: string; password: string; cartId?: string; userAgent?: string }

export async function signIn(a: AccountContext, req: SignInRequest): Promise<SignedIn> {
  const password = normalizePassword(req.password);
  const customer = await customerByEmail(a.em, req.email);
  const ok = customer ? await a.hasher.verify(customer.password_hash, password) : await a.hasher.verifyNothing(password);
  if (!customer || !ok) throw invalidCredentials();
  const rehashed = a.hasher.needsRehash(customer.password_hash) ? await a.hasher.hash(password) : undefined;
  const token = newSessionToken();
  const done = await signInCustomer(a.em, customer.id, {
    session: { tokenHash: sha256Hex(token), maxAgeMs: a.settings.sessionMaxAgeMs, userAgent: req.userAgent },
    idleMs: a.settings.sessionIdleMs, rehashed, guestCartId: req.cartId,
  });
  return { customer, session: { ...done.session, token }, cart: done.cart, openCartId: done.openCartId };
}

/** The one answer to a wrong password and to an address without an account. */
export function invalidCredentials(): DomainError {
  return new DomainError(ErrorCode.InvalidCredentials, 'The e-mail address or the password is not right.');
}
