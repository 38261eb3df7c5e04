import { z } from 'zod';
import type { AnyRoute } from './http';
import { describeAccess, type Access } from './access';
import { errorBodySchema } from './errors';

const SECURITY_SCHEMES = {
  staffKey: { type: 'http', scheme: 'bearer', description: 'A personal staff API key (staff_…), issued by an admin and shown once; the server keeps '
    + 'only its SHA-256. The roles a route needs are listed in its security requirement (admin may call every route). 401: no key, or one '
    + 'unknown, revoked or of a disabled account; 403: the key\'s account lacks the role.' },
  orderToken: { type: 'http', scheme: 'bearer', description: 'The order access token returned once by checkout.' },
  customerSession: { type: 'http', scheme: 'bearer', description: 'A customer\'s session token (sess_…), returned by POST /auth/sign-up and '
    + 'POST /auth/sign-in; the server keeps only its SHA-256. It ends at sign-out, after SESSION_IDLE_TIMEOUT unused, or SESSION_MAX_AGE after sign-in.' },
  metricsToken: { type: 'http', scheme: 'bearer', description: 'A scraper\'s token whose SHA-256 is in METRICS_TOKEN_SHA256 (none needed when it is unset).' },
  providerSignature: { type: 'apiKey', in: 'header', name: 'Stripe-Signature',
    description: 'A provider\'s signature over the raw body (Stripe-Signature, X-Twilio-Signature, X-Carrier-Signature), checked by the route.' },
};

/** Builds the OpenAPI 3.1 document from the same route declarations that validate requests. */
export function openApiDocument(routes: AnyRoute[], info: { title: string; version: string }): Record<string, unknown> {
  const schemas: Record<string, unknown> = {};
  // Named schemas (zod .meta({ id })) become shared components instead of being repeated inline.
  const toSchema = (schema: z.ZodType): unknown => {
    const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
    const { $schema: _dialect, $defs, ...rest } = json;
    const rewrite = (v: unknown) => JSON.parse(JSON.stringify(v).replace(/"#\/\$defs\//g, '"#/components/schemas/'));
    for (const [name, def] of Object.entries(($defs ?? {}) as Record<string, unknown>)) schemas[name] = rewrite(def);
    return rewrite(rest);
  };
  const objectParams = (schema: z.ZodType | undefined, location: 'path' | 'query'): unknown[] => {
    if (!schema || !(schema instanceof z.ZodObject)) return [];
    const json = toSchema(schema) as { properties?: Record<string, { description?: string }>; required?: string[] };
    return Object.entries(json.properties ?? {}).map(([name, s]) => ({
      name,
      in: location,
      required: location === 'path' || (json.required ?? []).includes(name),
      schema: s,
      ...(s.description ? { description: s.description } : {}),
    }));
  };
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = r.path.replace(/:(\w+)/g, '{$1}');
    const parameters = [
      ...objectParams(r.params, 'path'),
      ...objectParams(r.query, 'query'),
      ...Object.entries(r.headers ?? {}).map(([name, h]) => ({ name, in: 'header', required: h.required, description: h.description, schema: { type: 'string' } })),
    ];
    const responses = responsesOf(r, toSchema);
    paths[path] ??= {};
    paths[path][r.method] = {
      summary: r.summary,
      tags: [r.tag],
      operationId: `${r.method}${path.replace(/[{}]/g, '').replace(/[^a-zA-Z0-9]+(\w)/g, (_, c: string) => c.toUpperCase())}`,
      ...(parameters.length ? { parameters } : {}),
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: toSchema(r.body) } } } } : {}),
      ...(r.multipart ? { requestBody: multipartBody(r.multipart) } : {}),
      ...(r.upload ? { requestBody: uploadBody(r.upload) } : {}),
      ...(r.access !== 'public' ? { description: `Who may call it: ${describeAccess(r.access)}.` } : {}),
      ...securityOf(r.access),
      responses: { ...responses, ...accessResponses(r.access) },
    };
  }
  return {
    openapi: '3.1.0',
    info,
    paths,
    components: {
      schemas,
      securitySchemes: SECURITY_SCHEMES,
    },
  };
}

function multipartBody(m: NonNullable<AnyRoute['multipart']>): Record<string, unknown> {
  const properties = Object.fromEntries(Object.entries(m.fields).map(([name, f]) =>
    [name, { type: 'string', description: f.description, ...(f.binary ? { format: 'binary' } : {}) }]));
  const required = Object.entries(m.fields).filter(([, f]) => f.required).map(([name]) => name);
  return { required: true, description: m.description, content: { 'multipart/form-data': { schema: { type: 'object', properties, required } } } };
}

function uploadBody(u: NonNullable<AnyRoute['upload']>): Record<string, unknown> {
  const content = Object.fromEntries(Object.entries(u.contentTypes).map(([type, description]) => [type, { schema: { type: 'string', description } }]));
  return { required: true, description: u.description, content };
}

function responsesOf(r: AnyRoute, toSchema: (schema: z.ZodType) => unknown): Record<string, unknown> {
  const responses: Record<string, unknown> = {};
  for (const [status, res] of Object.entries(r.responses)) {
    const headers = res.headers && Object.fromEntries(Object.entries(res.headers).map(([name, description]) => [name, { description, schema: { type: 'string' } }]));
    responses[status] = { description: res.description, ...(res.schema ? { content: { 'application/json': { schema: toSchema(res.schema) } } } : {}),
      ...(headers ? { headers } : {}) };
  }
  responses.default = { description: 'An error; see the code field.', content: { 'application/json': { schema: toSchema(errorBodySchema) } } };
  return responses;
}

/**
 * OpenAPI 3.1 lets a bearer scheme's requirement list role names: a staff route lists the roles that
 * may call it (admin always may), so a client can read who may call what from the document.
 */
function securityOf(access: Access): { security?: Record<string, string[]>[]; 'x-staff-roles'?: string[] } {
  if (access === 'public') return {};
  if (access === 'webhook') return { security: [{ providerSignature: [] }] };
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

function accessResponses(access: Access): Record<string, unknown> {
  if (access === 'customer') return { 401: { description: 'No session, or one that has ended: sign in (again)' } };
  if (typeof access !== 'object') return {};
  if (access.orderToken) return { 401: { description: 'An unknown or revoked staff key' }, 403: { description: 'A staff key without the role' } };
  return { 401: { description: 'No staff key, or one unknown, revoked or of a disabled account' }, 403: { description: 'The key\'s account lacks the role' } };
}
