/**
 * Who is calling, and what they may reach. Every credential arrives as `Authorization: Bearer`, and
 * is told apart by its prefix here, in one place (callerOf): `sess_` a customer's session, looked up
 * by its SHA-256 (src/store/sessions.ts); anything else a staff token (configured only as SHA-256
 * digests, STAFF_TOKEN_SHA256, compared in constant time against every digest, with no early exit
 * that would reveal which one came close) or else, perhaps, an order's access token, which only the
 * routes about that order check.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, Middleware } from 'koa';
import { SESSION_TOKEN_PREFIX, sha256Hex } from '../auth/tokens';
import { DomainError, ErrorCode } from '../domain/errors';
import { isOrderOfCustomer, orderTokenMatches } from '../store/orders';
import { liveSession } from '../store/sessions';
import { emOf } from './context';

export function bearerToken(ctx: Context): string | undefined {
  const header = ctx.get('Authorization');
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1];
}

export function matchesAnyDigest(token: string, digests: readonly string[]): boolean {
  const presented = createHash('sha256').update(token, 'utf8').digest();
  let matched = false;
  for (const digest of digests) {
    const expected = Buffer.from(digest, 'hex');
    if (expected.length === presented.length && timingSafeEqual(expected, presented)) matched = true;
  }
  return matched;
}

export function parseDigests(value: string | undefined): string[] {
  return (value ?? '').split(',').map((d) => d.trim().toLowerCase()).filter((d) => d.length > 0);
}

/** The request carries a bearer token whose SHA-256 is one of `digests` (staff tokens, a metrics scraper's token). */
export function bearerMatches(ctx: Context, digests: readonly string[]): boolean {
  const token = bearerToken(ctx);
  return token !== undefined && matchesAnyDigest(token, digests);
}

export const isStaff = bearerMatches;

/** The one gate in front of every staff route (warehouse, support, admin). */
export function requireStaff(digests: readonly string[]): Middleware {
  return async (ctx, next) => {
    if (!isStaff(ctx, digests)) {
      ctx.set('WWW-Authenticate', 'Bearer realm="staff"');
      throw new DomainError(ErrorCode.Unauthorized, 'This route is for staff: send a valid staff token as "Authorization: Bearer <token>".');
    }
    ctx.state.actor = 'staff';
    await next();
  };
}

export type Caller =
  | { kind: 'customer'; customerId: string; sessionId: string }
  | { kind: 'staff' }
  /** A bearer token that is neither a session nor a staff token: perhaps an order's access token. */
  | { kind: 'bearer'; token: string }
  | { kind: 'anonymous' };

export interface CallerDeps { staffTokenDigests: readonly string[]; sessionIdleMs: number }

/** Middleware: lets any route ask who is calling (callerOf), worked out once per request and only when asked. */
export function identifyCaller(deps: CallerDeps): Middleware {
  return async (ctx, next) => {
    let caller: Promise<Caller> | undefined;
    ctx.state.caller = () => (caller ??= resolveCaller(ctx, deps));
    await next();
  };
}

export function callerOf(ctx: Context): Promise<Caller> {
  return (ctx.state.caller as () => Promise<Caller>)();
}

async function resolveCaller(ctx: Context, deps: CallerDeps): Promise<Caller> {
  const token = bearerToken(ctx);
  if (!token) return { kind: 'anonymous' };
  if (token.startsWith(SESSION_TOKEN_PREFIX)) {
    const session = await liveSession(emOf(ctx), sha256Hex(token), deps.sessionIdleMs);
    // A session that ended says so wherever it is sent, rather than quietly making the caller a guest.
    if (!session) throw signInAgain(ctx);
    return { kind: 'customer', ...session };
  }
  if (matchesAnyDigest(token, deps.staffTokenDigests)) return { kind: 'staff' };
  return { kind: 'bearer', token };
}

/** The signed-in customer's id, or null for a guest (carts, checkout: both may call). */
export async function customerIdOf(ctx: Context): Promise<string | null> {
  const caller = await callerOf(ctx);
  return caller.kind === 'customer' ? caller.customerId : null;
}

/** The signed-in customer (set by requireCustomer). */
export function customerOf(ctx: Context): { customerId: string; sessionId: string } {
  return ctx.state.customer as { customerId: string; sessionId: string };
}

/** The gate in front of every /me route: a live customer session. */
export const requireCustomer: Middleware = async (ctx, next) => {
  const caller = await callerOf(ctx);
  if (caller.kind !== 'customer') {
    ctx.set('WWW-Authenticate', 'Bearer realm="customer"');
    throw new DomainError(ErrorCode.Unauthorized, 'Sign in first: send your session token as "Authorization: Bearer <token>" (POST /auth/sign-in returns one).');
  }
  ctx.state.customer = { customerId: caller.customerId, sessionId: caller.sessionId };
  await next();
};

function signInAgain(ctx: Context): DomainError {
  ctx.set('WWW-Authenticate', 'Bearer realm="customer", error="invalid_token"');
  return new DomainError(ErrorCode.Unauthorized, 'This session has ended (signed out, expired, or idle too long): sign in again.');
}

/**
 * The rule of every route about one order (GET /orders/:id, its cancel, its shipments): staff, the
 * signed-in customer whose order it is, or the holder of the order's access token (checkout returned
 * it); anyone else is told the order does not exist, so order ids cannot be probed.
 */
export async function orderAccess(ctx: Context, orderId: string): Promise<'customer' | 'staff'> {
  const caller = await callerOf(ctx);
  if (caller.kind === 'staff') return 'staff';
  if (caller.kind === 'customer' && (await isOrderOfCustomer(emOf(ctx), orderId, caller.customerId))) return 'customer';
  if (caller.kind === 'bearer' && (await orderTokenMatches(emOf(ctx), orderId, caller.token))) return 'customer';
  throw orderNotFound(orderId);
}

export function orderNotFound(id: string): DomainError {
  return new DomainError(ErrorCode.OrderNotFound,
    `Order ${id} does not exist, or this request does not carry its access token. `
    + 'Send the accessToken that checkout returned as "Authorization: Bearer <token>".', { id });
}
