/**
 * Who may call a route: every route declares it (`access` in src/api/http.ts), and the router
 * enforces it here, before the handler runs, for every route alike.
 *
 * Every credential arrives as `Authorization: Bearer` (a staff key on the codec routes may come in their
 * cookie instead, see bearerToken), and is told apart by its prefix in one place
 * (callerOf): `sess_` a customer's session (looked up by its SHA-256, src/store/sessions.ts),
 * `staff_` a staff key (src/store/staff.ts), anything else perhaps an order's access token, which
 * only the routes about that order check.
 *
 * - 'public': anyone.
 * - 'customer': a signed-in customer (a live session); 401 otherwise.
 * - 'shopper': anyone; a signed-in customer reaches what is theirs (carts and checkout: the route
 *   asks customerIdOf, and answers anyone else's cart as a missing one).
 * - 'webhook': a provider's signed call; the route checks the signature over the raw body itself.
 * - 'metrics': a scraper's bearer token whose SHA-256 is in METRICS_TOKEN_SHA256 (open when unset).
 * - { staff: roles }: a staff key (`staff_…`) whose account has one of the roles (admin: any).
 * - { orderToken: true, staff?: roles }: the order's access token (checkout returned it; the path's
 *   :id is the order; the same on every replay of the checkout, until support revokes it:
 *   src/auth/order-tokens.ts), the session of the customer whose order it is, or a staff key with
 *   one of the roles. Anyone else, a revoked token included, is told the order does not exist, so
 *   order ids cannot be probed.
 *
 * A missing or unknown staff key answers 401, a key without the role 403, one error shape. A
 * session that has ended answers 401 wherever it is sent: it never quietly makes the caller a guest.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import { SESSION_TOKEN_PREFIX, sha256Hex } from '../auth/tokens';
import { DomainError, ErrorCode } from '../domain/errors';
import { forbidden, looksLikeStaffKey, mayAct, type StaffPrincipal, type StaffRole } from '../domain/staff';
import type { OrderTokens } from '../auth/order-tokens';
import { isOrderOfCustomer, orderAccessSecret } from '../store/orders';
import { liveSession } from '../store/sessions';
import { staffOfKey } from '../store/staff';
import { emOf } from './context';

export type Access = 'public' | 'webhook' | 'metrics' | 'customer' | 'shopper'
  | { staff: readonly StaffRole[]; orderToken?: never } | { orderToken: true; staff?: readonly StaffRole[] };

export interface AccessDeps {
  /** SHA-256 digests of the tokens a metrics scraper may send (METRICS_TOKEN_SHA256); none: /metrics is open. */
  metricsTokenDigests?: readonly string[];
  /** Derives and checks order access tokens (ORDER_TOKEN_KEY). */
  orderTokens: OrderTokens;
  /** A customer session unused this long has ended (SESSION_IDLE_TIMEOUT); 7 days when not given. */
  sessionIdleMs?: number;
}

export type Caller =
  | { kind: 'customer'; customerId: string; sessionId: string }
  | { kind: 'staff'; staff: StaffPrincipal }
  /** A bearer token that is neither a session nor a staff key: perhaps an order's access token. */
  | { kind: 'bearer'; token: string }
  | { kind: 'anonymous' };

const DEFAULT_SESSION_IDLE_MS = 7 * 86_400_000;

/** Lets the request's handlers ask who is calling (callerOf): worked out once, and only when asked. */
export function identifyCaller(ctx: Context, deps: AccessDeps): void {
  let caller: Promise<Caller> | undefined;
  ctx.state.caller ??= () => (caller ??= resolveCaller(ctx, deps.sessionIdleMs ?? DEFAULT_SESSION_IDLE_MS));
}

export function callerOf(ctx: Context): Promise<Caller> {
  return (ctx.state.caller as () => Promise<Caller>)();
}

/** The one place a bearer token is told apart by its prefix. */
async function resolveCaller(ctx: Context, sessionIdleMs: number): Promise<Caller> {
  const token = bearerToken(ctx);
  if (!token) return { kind: 'anonymous' };
  if (token.startsWith(SESSION_TOKEN_PREFIX)) {
    const session = await liveSession(emOf(ctx), sha256Hex(token), sessionIdleMs);
    if (!session) throw sessionEnded(ctx);
    return { kind: 'customer', ...session };
  }
  if (looksLikeStaffKey(token)) {
    const staff = await staffOfKey(emOf(ctx), token);
    if (!staff) throw unauthorized(ctx, 'This staff key is not valid: it is unknown, revoked, or its account is disabled. Ask an admin for a new one.');
    ctx.state.logger = ctx.state.logger?.child({ staff: staff.name });
    return { kind: 'staff', staff };
  }
  return { kind: 'bearer', token };
}

/** The signed-in customer's id, or null for anyone else ('shopper' routes: carts and checkout). */
export async function customerIdOf(ctx: Context): Promise<string | null> {
  const caller = await callerOf(ctx);
  return caller.kind === 'customer' ? caller.customerId : null;
}

/** The signed-in customer of a 'customer' route (the router let them through). */
export function customerOf(ctx: Context): { customerId: string; sessionId: string } {
  const customer = ctx.state.customer as { customerId: string; sessionId: string } | undefined;
  if (!customer) throw new Error(`${ctx.method} ${ctx.path} asked for the customer of a request that carries no session`);
  return customer;
}

function sessionEnded(ctx: Context): DomainError {
  ctx.set('WWW-Authenticate', 'Bearer realm="customer", error="invalid_token"');
  return new DomainError(ErrorCode.Unauthorized, 'This session has ended (signed out, expired, or idle too long): sign in again.');
}

async function enforceCustomer(ctx: Context): Promise<void> {
  const caller = await callerOf(ctx);
  if (caller.kind !== 'customer') {
    ctx.set('WWW-Authenticate', 'Bearer realm="customer"');
    throw new DomainError(ErrorCode.Unauthorized, 'Sign in first: send your session token as "Authorization: Bearer sess_…" (POST /auth/sign-in returns one).');
  }
  ctx.state.customer = { customerId: caller.customerId, sessionId: caller.sessionId };
}

/** The cookie the Temporal UI's codec calls carry (POST /codec/session sets it): a staff key, read on /codec/ paths only. */
export const CODEC_COOKIE = 'codec_staff_key';

export function bearerToken(ctx: Context): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(ctx.get('Authorization'));
  if (match) return match[1];
  // A browser cannot add a header to the UI's codec calls, only send a cookie (src/api/routes/codec.ts).
  const cookie = ctx.path.startsWith('/codec/') ? ctx.cookies.get(CODEC_COOKIE) : undefined;
  return cookie && looksLikeStaffKey(cookie) ? cookie : undefined;
}

/** Runs before the route's input is read: staff routes and /metrics answer 401 or 403 here. */
export async function enforceAccess(ctx: Context, access: Access, deps: AccessDeps, what: string): Promise<void> {
  identifyCaller(ctx, deps);
  if (access === 'public' || access === 'webhook' || access === 'shopper') return;
  if (access === 'metrics') return enforceMetricsToken(ctx, deps.metricsTokenDigests ?? []);
  if (access === 'customer') return enforceCustomer(ctx);
  const staff = await staffOfRequest(ctx);
  if (staff === undefined && access.orderToken) return; // the order's token is checked once its id is read (enforceOrderToken)
  if (staff === undefined) throw unauthorized(ctx, 'This route is for staff: send your staff key as "Authorization: Bearer staff_…".');
  if (!access.staff || !mayAct(staff.roles, access.staff)) throw forbidden(staff, access.staff ?? [], what);
  ctx.state.staff = staff;
}

/** For { orderToken } routes called without a staff key: the order's access token, or the session of the customer whose order it is. */
export async function enforceOrderToken(ctx: Context, access: Access, deps: AccessDeps, orderId: string): Promise<void> {
  if (typeof access !== 'object' || !access.orderToken || ctx.state.staff) return;
  const caller = await callerOf(ctx);
  const em = emOf(ctx);
  if (caller.kind === 'customer' && (await isOrderOfCustomer(em, orderId, caller.customerId))) return;
  if (caller.kind === 'bearer') {
    const secret = await orderAccessSecret(em, orderId);
    if (secret && deps.orderTokens.matches(orderId, secret, caller.token)) return;
  }
  throw orderNotFound(orderId);
}

/** The staff account of the request's key; undefined without a staff key; 401 for a key that is unknown, revoked or disabled. */
async function staffOfRequest(ctx: Context): Promise<StaffPrincipal | undefined> {
  const caller = await callerOf(ctx);
  return caller.kind === 'staff' ? caller.staff : undefined;
}

/** The staff account the router let through (a staff route's handler always has one). */
export function staffOf(ctx: Context): StaffPrincipal {
  const staff = ctx.state.staff as StaffPrincipal | undefined;
  if (!staff) throw new Error(`${ctx.method} ${ctx.path} asked for the staff account of a request that carries none`);
  return staff;
}

export function orderNotFound(id: string): DomainError {
  return new DomainError(ErrorCode.OrderNotFound,
    `Order ${id} does not exist, or this request does not carry its access token. `
    + 'Send the accessToken that checkout returned as "Authorization: Bearer <token>".', { id });
}

function unauthorized(ctx: Context, message: string): DomainError {
  ctx.set('WWW-Authenticate', 'Bearer realm="staff"');
  return new DomainError(ErrorCode.Unauthorized, message);
}

/** METRICS_TOKEN_SHA256 set: the bearer's SHA-256 is compared in constant time with every digest (no early exit). */
function enforceMetricsToken(ctx: Context, digests: readonly string[]): void {
  if (digests.length === 0) return;
  const token = bearerToken(ctx);
  if (token !== undefined && matchesAnyDigest(token, digests)) return;
  throw new DomainError(ErrorCode.Unauthorized, 'Metrics need the scraper\'s bearer token: send "Authorization: Bearer <token>" '
    + 'with a token whose SHA-256 is in METRICS_TOKEN_SHA256.');
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

/** How the OpenAPI document and error messages name an access rule. */
export function describeAccess(access: Access): string {
  if (access === 'customer') return 'a signed-in customer (their session)';
  if (access === 'shopper') return 'anyone; a customer\'s own cart only with their session';
  if (typeof access === 'string') return access;
  const roles = access.staff ? `staff with ${[...access.staff.filter((r) => r !== 'admin'), 'admin'].join(' or ')}` : undefined;
  return [access.orderToken ? 'the order\'s access token, the session of the customer whose order it is' : undefined, roles].filter(Boolean).join(', or ');
}
