import { z } from 'zod';
import type { Access, AnyRoute } from './http';
import { errorBodySchema } from './errors';

/** Each access rule as OpenAPI security requirements (alternatives; `{}` means none is needed). */
const SECURITY: Record<Exclude<Access, 'public'>, Record<string, string[]>[]> = {
  staff: [{ staffToken: [] }],
  order: [{ orderToken: [] }, { customerSession: [] }, { staffToken: [] }],
  customer: [{ customerSession: [] }],
  shopper: [{}, { customerSession: [] }],
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
    const responses: Record<string, unknown> = {};
    for (const [status, res] of Object.entries(r.responses)) {
      responses[status] = { description: res.description, ...(res.schema ? { content: { 'application/json': { schema: toSchema(res.schema) } } } : {}) };
    }
    responses.default = { description: 'An error; see the code field.', content: { 'application/json': { schema: toSchema(errorBodySchema) } } };
    paths[path] ??= {};
    paths[path][r.method] = {
      summary: r.summary,
      tags: [r.tag],
      operationId: `${r.method}${path.replace(/[{}]/g, '').replace(/[^a-zA-Z0-9]+(\w)/g, (_, c: string) => c.toUpperCase())}`,
      ...(parameters.length ? { parameters } : {}),
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: toSchema(r.body) } } } } : {}),
      ...(r.access && r.access !== 'public' ? { security: SECURITY[r.access] } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info,
    paths,
    components: {
      schemas,
      securitySchemes: {
        staffToken: { type: 'http', scheme: 'bearer', description: 'A staff token; the server keeps only its SHA-256 (STAFF_TOKEN_SHA256).' },
        orderToken: { type: 'http', scheme: 'bearer', description: 'The order access token returned once by checkout.' },
        customerSession: { type: 'http', scheme: 'bearer', description: 'A customer\'s session token (sess_…), returned by POST /auth/sign-up and '
          + 'POST /auth/sign-in; the server keeps only its SHA-256. It ends at sign-out, after SESSION_IDLE_TIMEOUT unused or SESSION_MAX_AGE in all.' },
      },
    },
  };
}
