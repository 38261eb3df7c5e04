/**
 * Customer sessions. Only a token's SHA-256 is stored (a leaked table opens no session). A session
 * works until it is revoked (sign-out, "sign out everywhere", a password change or reset), until its
 * absolute expiry (SESSION_MAX_AGE from sign-in), or until it has gone unused for SESSION_IDLE_TIMEOUT.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlRows, statement } from '../db/sql';

export interface NewSession {
  tokenHash: string;
  /** SESSION_MAX_AGE: the session ends this long after it began, however busy. */
  maxAgeMs: number;
  userAgent?: string;
}

export interface OpenedSession { id: string; expiresAt: string }

/** Opens a session for the customer (inside the caller's transaction: a sign-up or a sign-in). */
export async function openSession(tx: EntityManager, customerId: string, s: NewSession): Promise<OpenedSession> {
  const [row] = await tx.execute<{ id: string; expires_at: Date | string }[]>(
    `insert into customer_sessions (token_hash, customer_id, expires_at, user_agent)
     values (?, ?, now() + make_interval(secs => ?), ?) returning id, expires_at`,
    [s.tokenHash, customerId, s.maxAgeMs / 1000, s.userAgent?.slice(0, 300) ?? null]);
  return { id: row.id, expiresAt: new Date(row.expires_at).toISOString() };
}

/**
 * Marks a live session as used at most once a minute: every request of a signed-in customer reads
 * its session, and a write on each would double the cost of a cart write. The idle timeout is
 * therefore honoured to within a minute.
 */
const TOUCH_EVERY_SECONDS = 60;

/**
 * The session a token opens, and its customer: a plain read by the token's unique index on the fast
 * path (it runs before every signed-in request), answering whether the session needs marking used.
 * Undefined when the token is unknown, revoked, past its absolute expiry or idle past `idleMs`.
 */
const LIVE_SESSION = statement('customer_session_live', `
  select id, customer_id, last_used_at < now() - make_interval(secs => ${TOUCH_EVERY_SECONDS}) as stale from customer_sessions
   where token_hash = $1 and revoked_at is null and expires_at > now() and last_used_at > now() - make_interval(secs => $2)`);
const TOUCH_SESSION = statement('customer_session_touch', 'update customer_sessions set last_used_at = now() where id = $1');

export async function liveSession(em: EntityManager, tokenHash: string, idleMs: number): Promise<{ sessionId: string; customerId: string } | undefined> {
  const [row] = await sqlRows<{ id: string; customer_id: string; stale: boolean }>(em, LIVE_SESSION, [tokenHash, idleMs / 1000]);
  if (!row) return undefined;
  if (row.stale) await sqlRows(em, TOUCH_SESSION, [row.id]);
  return { sessionId: row.id, customerId: row.customer_id };
}

/** Ends one session (sign-out); false when it had already ended. */
export async function revokeSession(em: EntityManager, sessionId: string): Promise<boolean> {
  const rows = await em.execute(`update customer_sessions set revoked_at = now() where id = ? and revoked_at is null returning id`, [sessionId]);
  return rows.length > 0;
}

/** Ends every live session of the customer but `keep` (sign out everywhere; a new password); answers how many ended. */
export async function revokeSessionsOf(em: EntityManager, customerId: string, keep?: string): Promise<number> {
  const rows = await em.execute(
    `update customer_sessions set revoked_at = now() where customer_id = ? and revoked_at is null and id is distinct from ? returning id`,
    [customerId, keep ?? null]);
  return rows.length;
}

/** Forgets the customer's sessions that can no longer be used (at each sign-in, so the table holds only what may still work). */
export async function pruneSessionsOf(tx: EntityManager, customerId: string, idleMs: number): Promise<void> {
  await tx.execute(
    `delete from customer_sessions where customer_id = ?
        and (revoked_at is not null or expires_at <= now() or last_used_at <= now() - make_interval(secs => ?))`,
    [customerId, idleMs / 1000]);
}
