/**
 * The OpenAPI 3.1 document, built by zod-openapi from the same route declarations that validate
 * requests: request schemas are rendered as what a client may send (zod's input), response schemas as
 * what the API answers (its output), a schema used both ways gets a component of each.
 *
 * Every operation lists the statuses it really answers, and nothing else (no catch-all `default`):
 * the ones its declaration names, and those the router itself answers for it, derived from the
 * declaration (documentedStatuses): 400 for every route (the boundary checks every request, src/api/boundary.ts),
 * invalid JSON, too large and the wrong media type for a route with a body, 412/428 for one that takes
 * If-Match, 401/403/404 for its access rule. app.ts reports any status a route answers that its document does not list.
 */
import { z } from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiOverrideContext, type ZodOpenApiPathsObject, type ZodOpenApiResponseObject } from 'zod-openapi';
import type { AnyRoute } from './http';
import { describeAccess, type Access } from './access';
import { errorBodySchema } from './errors';

const SECURITY_SCHEMES = {
  staffKey: { type: 'http', scheme: 'bearer', description: 'A personal staff API key (staff_…), issued by an admin and shown once; the server keeps '
    + 'only its SHA-256. The roles a route needs are listed in its security requirement (admin may call every route). 401: no key, or one '
    + 'unknown, revoked or of a disabled account; 403: the key\'s account lacks the role.' },
  orderToken: { type: 'http', scheme: 'bearer', description: 'The order\'s access token, returned by checkout (the same on every replay of it) '
    + 'until support revokes it.' },
  customerSession: { type: 'http', scheme: 'bearer', description: 'A customer\'s session token (sess_…), returned by POST /auth/sign-up and '
    + 'POST /auth/sign-in; the server keeps only its SHA-256. It ends at sign-out, after SESSION_IDLE_TIMEOUT unused, or SESSION_MAX_AGE after sign-in.' },
  metricsToken: { type: 'http', scheme: 'bearer', description: 'A scraper\'s token whose SHA-256 is in METRICS_TOKEN_SHA256 (none needed when it is unset).' },
  stripeSignature: { type: 'apiKey', in: 'header', name: 'Stripe-Signature', description: 'Stripe\'s signature over the raw body (STRIPE_WEBHOOK_SECRET).' },
  twilioSignature: { type: 'apiKey', in: 'header', name: 'X-Twilio-Signature',
    description: 'Twilio\'s signature over the URL and the form fields (TWILIO_AUTH_TOKEN).' },
  carrierSignature: { type: 'apiKey', in: 'header', name: 'X-Carrier-Signature', description: 'The carrier\'s HMAC of the raw body (CARRIER_WEBHOOK_SECRET).' },
} as const;

/** What the boundary (src/api/boundary.ts) refuses in any text of a request, said once for the whole document and in every free-text schema. */
const TEXT_RULE = 'Text anywhere in a request (a parameter, a header read as data, the body at any depth) must not hold a NUL character '
  + '(U+0000) or an unpaired UTF-16 surrogate: PostgreSQL cannot store them, so they are refused with 400 validation_failed. '
  + 'Free-text request fields say so with the pattern ^[^\\u0000]*$ (JSON Schema cannot express the surrogate rule).';

/** What String.prototype.trim removes, as a character class of JSON Schema's (ECMA-262) regular expressions. */
const TRIMMED = '\\t\\n\\u000b\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff';

/**
 * A request's free text (a string with no format, pattern or fixed values) is declared without NUL, as the
 * boundary enforces; one the schema trims before its minimum length (z.string().trim().min(1)) must also hold
 * a character the trim keeps, or "   " would be valid to the document and refused by the route.
 */
function storableText({ jsonSchema, zodSchema, io }: ZodOpenApiOverrideContext): void {
  if (io !== 'input' || jsonSchema.type !== 'string') return;
  if (jsonSchema.pattern || jsonSchema.format || jsonSchema.enum || jsonSchema.const !== undefined) return;
  const checks = ((zodSchema as unknown as { _zod: { def: { checks?: { _zod: { def: { check: string; tx?: (v: string) => string } } }[] } } })
    ._zod.def.checks ?? []).map((c) => c._zod.def);
  const trimmed = checks.some((c) => c.check === 'overwrite' && c.tx?.(' x ') === 'x');
  jsonSchema.pattern = trimmed && Number(jsonSchema.minLength ?? 0) > 0 ? `^[^\\u0000]*[^\\u0000${TRIMMED}][^\\u0000]*$` : '^[^\\u0000]*$';
}

/** What a client should do on a 503 or a 429: when to come back (src/api/errors.ts sets it). */
const RETRY_AFTER = { 'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer' as const } } };

/** The statuses the router answers for a route by itself, beside the ones it declares, with what each means. */
function routerResponses(r: AnyRoute): Record<number, string> {
  const answers: Record<number, string> = {
    400: 'Bad input: a parameter, the query, a header or the body fails validation, or carries text that cannot be stored '
      + '(a NUL or an unpaired surrogate); nothing was done (validation_failed, invalid_json)',
  };
  if (r.body) {
    answers[413] = 'The body is larger than 100 kB (payload_too_large)';
    answers[415] = 'The body is not application/json (unsupported_media_type)';
  }
  if (r.rawBody) answers[413] = 'The body is larger than 1 MB (payload_too_large)';
  if (r.headers?.['If-Match']) {
    answers[412] = 'If-Match names another version than the current one: someone changed it meanwhile; read it again (version_mismatch)';
    answers[428] = 'No If-Match: a change must say which version it was made against (if_match_required)';
  }
  Object.assign(answers, accessResponses(r.access));
  return answers;
}

const SESSION_ENDED = 'A session token (sess_…) that has ended: sign in again';

function accessResponses(access: Access): Record<number, string> {
  if (access === 'metrics') return { 401: 'A token is required (METRICS_TOKEN_SHA256 is set) and this one is not among them' };
  if (access === 'customer') return { 401: 'No session, or one that has ended: sign in (again)' };
  if (access === 'shopper') return { 401: SESSION_ENDED };
  if (typeof access !== 'object') return {};
  const staff = { 401: 'No staff key, or one unknown, revoked or of a disabled account', 403: 'The key\'s account lacks the role' };
  if (!access.orderToken) return staff;
  return { 401: 'An unknown or revoked staff key, or a session token (sess_…) that has ended', 403: 'A staff key without the role',
    404: 'No such order, or the request carries neither its access token (or the token was revoked) nor its customer\'s session: '
      + 'the same answer, so ids cannot be probed' };
}

/** Every status the route answers: what its document lists. */
export function documentedStatuses(r: AnyRoute): Set<number> {
  return new Set([...Object.keys(r.responses), ...Object.keys(routerResponses(r))].map(Number));
}

/** Builds the OpenAPI 3.1 document from the same route declarations that validate requests. */
export function openApiDocument(routes: AnyRoute[], info: { title: string; version: string }): Record<string, unknown> {
  const paths: ZodOpenApiPathsObject = {};
  for (const r of routes) {
    const path = r.path.replace(/:(\w+)/g, '{$1}');
    paths[path] ??= {};
    paths[path][r.method] = operationOf(r, path);
  }
  const document = createDocument({ openapi: '3.1.0', info: { ...info, description: TEXT_RULE }, paths, components: { securitySchemes: SECURITY_SCHEMES } },
    { allowEmptySchema: { custom: true, any: true, unknown: true }, override: storableText });
  return document as unknown as Record<string, unknown>;
}

function operationOf(r: AnyRoute, path: string): ZodOpenApiOperationObject {
  const headers = Object.entries(r.headers ?? {});
  return {
    summary: r.summary,
    tags: [r.tag],
    operationId: `${r.method}${path.replace(/[{}]/g, '').replace(/[^a-zA-Z0-9]+(\w)/g, (_, c: string) => c.toUpperCase())}`,
    requestParams: {
      ...(r.params instanceof z.ZodObject ? { path: r.params } : {}),
      ...(r.query instanceof z.ZodObject ? { query: r.query } : {}),
      ...(headers.length ? { header: z.object(Object.fromEntries(headers.map(([name, h]) => {
        const value = (h.pattern ? z.string().regex(h.pattern) : z.string().min(1)).meta({ description: h.description });
        return [name, h.required ? value : value.optional()];
      }))) } : {}),
    },
    ...(r.body ? { requestBody: { required: !r.body.safeParse(undefined).success, content: { 'application/json': { schema: r.body } } } } : {}),
    ...(r.multipart ? { requestBody: multipartBody(r.multipart) } : {}),
    ...(r.upload ? { requestBody: uploadBody(r.upload) } : {}),
    ...(r.access !== 'public' ? { description: `Who may call it: ${describeAccess(r.access)}.` } : {}),
    ...securityOf(r.access, r.path),
    responses: responsesOf(r),
  };
}

function multipartBody(m: NonNullable<AnyRoute['multipart']>) {
  const properties = Object.fromEntries(Object.entries(m.fields).map(([name, f]) =>
    [name, { type: 'string' as const, description: f.description, ...(f.binary ? { format: 'binary' } : {}) }]));
  const required = Object.entries(m.fields).filter(([, f]) => f.required).map(([name]) => name);
  return { required: true, description: m.description, content: { 'multipart/form-data': { schema: { type: 'object' as const, properties, required } } } };
}

/** A file sent as the body itself: each media type it may come as, a string of that type. */
function uploadBody(u: NonNullable<AnyRoute['upload']>) {
  // As multipart/form-data, the file is the form's field "file"; otherwise it is the body itself.
  const schemaOf = (type: string, description: string) => type === 'multipart/form-data'
    ? { type: 'object' as const, description, properties: { file: { type: 'string' as const, format: 'binary' } }, required: ['file'] }
    : { type: 'string' as const, description };
  const content = Object.fromEntries(Object.entries(u.contentTypes).map(([type, description]) => [type, { schema: schemaOf(type, description) }]));
  return { required: true, description: u.description, content };
}

/** The route's own answers, then the router's; an error status answers the one error shape, a 503 or 429 says when to retry. */
function responsesOf(r: AnyRoute): Record<string, ZodOpenApiResponseObject> {
  const responses: Record<string, ZodOpenApiResponseObject> = {};
  type Declared = AnyRoute['responses'][number];
  const own = Object.entries(r.responses).map(([status, res]): [number, Declared] => [Number(status), res]);
  const router = Object.entries(routerResponses(r)).map(([status, description]): [number, Declared] => [Number(status), { description }]);
  for (const [status, res] of [...router, ...own]) {
    const schema = res.schema ?? (status >= 400 ? errorBodySchema : undefined);
    const named = Object.fromEntries(Object.entries(res.headers ?? {}).map(([name, description]) => [name, { description, schema: { type: 'string' as const } }]));
    const headers = { ...named, ...(status === 503 || status === 429 ? RETRY_AFTER : {}) };
    responses[String(status)] = { description: res.description, ...(schema ? { content: { [res.contentType ?? 'application/json']: { schema } } } : {}),
      ...(Object.keys(headers).length ? { headers } : {}) };
  }
  return responses;
}

/**
 * OpenAPI 3.1 lets a bearer scheme's requirement list role names: a staff route lists the roles that
 * may call it (admin always may), so a client can read who may call what from the document.
 */
/** Each provider's webhook signs its own way, in its own header. */
const WEBHOOK_SCHEMES: Record<string, string> = { '/webhooks/stripe': 'stripeSignature', '/webhooks/twilio': 'twilioSignature', '/webhooks/carrier': 'carrierSignature' };

function securityOf(access: Access, path: string): { security?: Record<string, string[]>[]; 'x-staff-roles'?: string[] } {
  if (access === 'public') return {};
  if (access === 'webhook') {
    const scheme = WEBHOOK_SCHEMES[path];
    if (!scheme) throw new Error(`${path}: a webhook route needs its signature scheme in WEBHOOK_SCHEMES (src/api/openapi.ts)`);
    return { security: [{ [scheme]: [] }] };
  }
  if (access === 'metrics') return { security: [{ metricsToken: [] }, {}] };
  if (access === 'customer') return { security: [{ customerSession: [] }] };
  // Anyone; a customer's own cart needs their session.
  if (access === 'shopper') return { security: [{}, { customerSession: [] }] };
  const roles = access.staff ? [...new Set([...access.staff, 'admin'])] : undefined;
  return {
    security: [...(access.orderToken ? [{ orderToken: [] }, { customerSession: [] }] : []), ...(roles ? [{ staffKey: roles }] : [])],
    ...(roles ? { 'x-staff-roles': roles } : {}),
  };
}
