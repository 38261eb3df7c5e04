/**
 * Staff access, and access to one order. Staff tokens are configured only as SHA-256 digests (STAFF_TOKEN_SHA256), so a leaked
 * config file does not leak a token; the presented token is hashed and compared in constant time
 * against every digest (no early exit that would reveal which one came close).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, Middleware } from 'koa';
import { DomainError, ErrorCode } from '../domain/errors';
import { orderTokenMatches } from '../store/orders';
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

/**
 * The rule of every route about one order (GET /orders/:id, its cancel, its shipments): staff, or the
 * holder of the order's access token (checkout returned it); anyone else is told the order does not
 * exist, so order ids cannot be probed.
 */
export async function orderAccess(ctx: Context, staffTokenDigests: readonly string[], orderId: string): Promise<'customer' | 'staff'> {
  if (isStaff(ctx, staffTokenDigests)) return 'staff';
  const token = bearerToken(ctx);
  if (token && (await orderTokenMatches(emOf(ctx), orderId, token))) return 'customer';
  throw orderNotFound(orderId);
}

export function orderNotFound(id: string): DomainError {
  return new DomainError(ErrorCode.OrderNotFound,
    `Order ${id} does not exist, or this request does not carry its access token. `
    + 'Send the accessToken that checkout returned as "Authorization: Bearer <token>".', { id });
}

/**
 * Who a staff write is recorded as: the account the request authenticated as (ctx.state.actor, "staff"
 * for a shared staff token), narrowed by X-Support-Agent when it names a person: "staff:sam".
 */
export function staffActor(ctx: Context): { actor: string; requestId?: string } {
  const agent = ctx.get('X-Support-Agent');
  if (agent && !/^[\w.@-]{1,64}$/.test(agent)) {
    throw new DomainError(ErrorCode.ValidationFailed, 'X-Support-Agent must be 1 to 64 letters, digits or . _ @ -.', { in: 'headers' });
  }
  const base = (ctx.state.actor as string | undefined) ?? 'staff';
  return { actor: agent ? `${base}:${agent}` : base, requestId: ctx.state.requestId as string | undefined };
}
