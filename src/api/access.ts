/**
 * Who may call a route: every route declares it (`access` in src/api/http.ts), and the router
 * enforces it here, before the handler runs, for every route alike.
 *
 * - 'public': anyone.
 * - 'webhook': a provider's signed call; the route checks the signature over the raw body itself.
 * - 'metrics': a scraper's bearer token whose SHA-256 is in METRICS_TOKEN_SHA256 (open when unset).
 * - { staff: roles }: a staff key (`staff_…`) whose account has one of the roles (admin: any).
 * - { orderToken: true, staff?: roles }: the order's access token (checkout returned it; the path's
 *   :id is the order), or a staff key with one of the roles. Anyone else is told the order does not
 *   exist, so order ids cannot be probed.
 *
 * A missing or unknown staff key answers 401, a key without the role 403, one error shape.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import { DomainError, ErrorCode } from '../domain/errors';
import { forbidden, looksLikeStaffKey, mayAct, type StaffPrincipal, type StaffRole } from '../domain/staff';
import { orderTokenMatches } from '../store/orders';
import { staffOfKey } from '../store/staff';
import { emOf } from './context';

export type Access = 'public' | 'webhook' | 'metrics' | { staff: readonly StaffRole[]; orderToken?: never } | { orderToken: true; staff?: readonly StaffRole[] };

export interface AccessDeps {
  /** SHA-256 digests of the tokens a metrics scraper may send (METRICS_TOKEN_SHA256); none: /metrics is open. */
  metricsTokenDigests?: readonly string[];
}

export function bearerToken(ctx: Context): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(ctx.get('Authorization'));
  return match?.[1];
}

/** Runs before the route's input is read: staff routes and /metrics answer 401 or 403 here. */
export async function enforceAccess(ctx: Context, access: Access, deps: AccessDeps, what: string): Promise<void> {
  if (access === 'public' || access === 'webhook') return;
  if (access === 'metrics') return enforceMetricsToken(ctx, deps.metricsTokenDigests ?? []);
  const staff = await staffOfRequest(ctx);
  if (staff === undefined && access.orderToken) return; // the order's token is checked once its id is read (enforceOrderToken)
  if (staff === undefined) throw unauthorized(ctx, 'This route is for staff: send your staff key as "Authorization: Bearer staff_…".');
  if (!access.staff || !mayAct(staff.roles, access.staff)) throw forbidden(staff, access.staff ?? [], what);
  ctx.state.staff = staff;
}

/** For { orderToken } routes called without a staff key: the bearer must be the order's access token. */
export async function enforceOrderToken(ctx: Context, access: Access, orderId: string): Promise<void> {
  if (typeof access !== 'object' || !access.orderToken || ctx.state.staff) return;
  const token = bearerToken(ctx);
  if (!token || !(await orderTokenMatches(emOf(ctx), orderId, token))) throw orderNotFound(orderId);
}

/** The staff account of the request's key; undefined without a staff key; 401 for a key that is unknown, revoked or disabled. */
async function staffOfRequest(ctx: Context): Promise<StaffPrincipal | undefined> {
  const token = bearerToken(ctx);
  if (!token || !looksLikeStaffKey(token)) return undefined;
  const staff = await staffOfKey(emOf(ctx), token);
  if (!staff) throw unauthorized(ctx, 'This staff key is not valid: it is unknown, revoked, or its account is disabled. Ask an admin for a new one.');
  ctx.state.logger = ctx.state.logger?.child({ staff: staff.name });
  return staff;
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
  if (typeof access === 'string') return access;
  const roles = access.staff ? `staff with ${[...access.staff.filter((r) => r !== 'admin'), 'admin'].join(' or ')}` : undefined;
  return [access.orderToken ? 'the order\'s access token' : undefined, roles].filter(Boolean).join(', or ');
}
