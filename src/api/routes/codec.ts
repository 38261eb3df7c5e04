/**
 * The codec endpoint of the Temporal Web UI and CLI (docs/privacy.md): `POST /codec/decode` and
 * `POST /codec/encode` take and give `{"payloads":[{"metadata":{k: base64},"data": base64}]}`
 * (Temporal's remote codec protocol) and run them through the payload codec every client and worker
 * of the engine uses (src/temporal/codec.ts). The Temporal server only ever holds ciphertext; staff
 * who may see customer data read it in plain text in their browser.
 *
 * Who may decode: staff with the support role (and admins). A history holds everything an order's
 * workflows were given (names, addresses, e-mail addresses, support's notes) and the codec cannot
 * show part of a payload, so it is all or nothing: the warehouse role, which needs the lines and the
 * parcel but not the customer's contact details, is refused, as are catalog staff.
 *
 * How the key arrives: `Authorization: Bearer staff_…` (the Temporal CLI: `--codec-auth`), or the
 * HttpOnly cookie `POST /codec/session` sets from that header (the Web UI: it sends cookies with
 * "Include cross-origin credentials"; its "Pass access token" sends the UI's own identity-provider
 * token, which is not a staff key). Browsers reach it only from CODEC_CORS_ORIGINS.
 */
import type { Context, Middleware } from 'koa';
import { z } from 'zod';
import type { PayloadCodec, Payload } from '@temporalio/common';
import { DomainError, ErrorCode } from '../../domain/errors';
import type { StaffRole } from '../../domain/staff';
import { bearerToken, CODEC_COOKIE, staffOf } from '../access';
import { route } from '../http';
import { NOT_CONFIGURED_ENCRYPTION, signInPage } from './codec-page';

/** The roles that may read decrypted payloads (admin: always). */
export const CODEC_ROLES: readonly StaffRole[] = ['support'];
/** How long the UI's cookie lasts: a working day; then staff paste their key again. */
const COOKIE_MAX_AGE_MS = 8 * 3_600_000;

const base64 = z.string().max(4_000_000).regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64');
const jsonPayload = z.object({ metadata: z.record(z.string(), base64).nullish(), data: base64.nullish() });
const payloadsBody = z.object({ payloads: z.array(jsonPayload).max(1000) });
/** What the UI and the CLI send: Payloads in protobuf's JSON, which leaves out an empty list (the CLI's query with no argument sends `{}`). */
const payloadsRequest = z.object({ payloads: z.array(jsonPayload).max(1000).default([]) });
type JsonPayload = z.infer<typeof jsonPayload>;

export function codecRoutes(codec: PayloadCodec | undefined) {
  const convert = (direction: 'encode' | 'decode') => route({
    method: 'post', path: `/codec/${direction}`, tag: 'privacy', access: { staff: CODEC_ROLES }, body: payloadsRequest,
    summary: direction === 'decode'
      ? 'Temporal remote codec: decrypt payloads for the Web UI or the CLI (support and admin staff)'
      : 'Temporal remote codec: encrypt payloads the Web UI or the CLI sends (a signal, an update), as the workers will read them',
    headers: { 'X-Namespace': { description: 'Sent by the Temporal UI and CLI; every namespace of this engine shares its keys', required: false } },
    responses: {
      200: { description: 'The same number of payloads, in order', schema: payloadsBody },
      422: { description: 'A payload does not decrypt with any key in PAYLOAD_KEYS' },
      503: { description: 'Payload encryption is off (no PAYLOAD_KEYS)' },
    },
    handler: async (ctx, { body }) => {
      if (!codec) throw new DomainError(ErrorCode.NotConfigured, NOT_CONFIGURED_ENCRYPTION);
      const payloads = body.payloads.map(fromJson);
      let converted: Payload[];
      try {
        converted = direction === 'decode' ? await codec.decode(payloads) : await codec.encode(payloads);
      } catch (err) {
        throw new DomainError(ErrorCode.PayloadUndecryptable, (err as Error).message);
      }
      ctx.state.logger?.info({ direction, payloads: payloads.length, staff: staffOf(ctx).name, namespace: ctx.get('X-Namespace') || undefined }, 'codec');
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { payloads: converted.map(toJson) };
    },
  });
  return [
    convert('decode'),
    convert('encode'),
    // The cookie is set from a support (or admin) key sent in Authorization, and cleared by anyone.
    ...(['post', 'delete'] as const).map((method) => route({
      method, path: '/codec/session', tag: 'privacy', access: method === 'post' ? { staff: CODEC_ROLES } : 'public',
      summary: method === 'post' ? 'Keep the staff key sent in Authorization in an HttpOnly cookie for the codec routes, so the Temporal UI can decode'
        : 'Forget the codec cookie (the UI shows ciphertext again)',
      responses: { 204: { description: method === 'post' ? 'The cookie is set (8 hours, path /codec, SameSite=Strict)' : 'The cookie is cleared' } },
      handler: async (ctx) => {
        ctx.cookies.set(CODEC_COOKIE, method === 'post' ? bearerToken(ctx) : null,
          { ...cookieOptions(ctx), ...(method === 'post' ? { maxAge: COOKIE_MAX_AGE_MS } : {}) });
        ctx.status = 204;
      },
    })),
    route({
      method: 'get', path: '/codec', tag: 'privacy', access: 'public',
      summary: 'A page where staff paste their key once, so the Temporal UI on this browser decodes through /codec',
      responses: { 200: { description: 'HTML' } },
      handler: async (ctx) => {
        ctx.type = 'html';
        ctx.set('Content-Security-Policy', "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'");
        ctx.body = signInPage();
      },
    }),
  ];
}

/**
 * CORS for the codec routes: only the Temporal UI's origins (CODEC_CORS_ORIGINS) may call them from
 * a browser, with credentials (the cookie), the content type and the namespace the UI sends.
 * Preflights are answered here, before the router (which would ask them for a staff key).
 */
export function codecCors(allowedOrigins: readonly string[]): Middleware {
  const allowed = new Set(allowedOrigins);
  return async (ctx: Context, next) => {
    if (!ctx.path.startsWith('/codec/')) return next();
    const origin = ctx.get('Origin');
    ctx.vary('Origin');
    const permitted = origin !== '' && allowed.has(origin);
    if (permitted) {
      ctx.set('Access-Control-Allow-Origin', origin);
      ctx.set('Access-Control-Allow-Credentials', 'true');
    }
    if (ctx.method !== 'OPTIONS') return next();
    if (permitted) {
      ctx.set('Access-Control-Allow-Methods', 'POST');
      ctx.set('Access-Control-Allow-Headers', 'content-type, x-namespace, authorization');
      ctx.set('Access-Control-Max-Age', '600');
    }
    // Without the headers above a browser refuses the call; other clients do not preflight.
    ctx.status = 204;
  };
}

/** Sent only to /codec, never readable by scripts, never on a cross-site request, only over HTTPS when the API is. */
function cookieOptions(ctx: Context) {
  return { httpOnly: true, sameSite: 'strict' as const, path: '/codec', secure: ctx.secure, overwrite: true };
}

/** The origins CORS allows: CODEC_CORS_ORIGINS, comma-separated. */
export function parseOrigins(value: string | undefined): string[] {
  return (value ?? '').split(',').map((o) => o.trim().replace(/\/$/, '')).filter(Boolean);
}

function fromJson(p: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: Buffer.from(p.data ?? '', 'base64'),
  };
}

function toJson(p: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')])),
    data: Buffer.from(p.data ?? []).toString('base64'),
  };
}
