import { z } from 'zod';
import type { AnyRoute } from './http';
import { errorBodySchema } from './errors';

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
      ...(r.role ? { 'x-required-role': r.role } : {}),
      ...(r.access === 'staff' ? { security: [{ staffToken: [] }] } : {}),
      ...(r.access === 'order' ? { security: [{ orderToken: [] }, { staffToken: [] }] } : {}),
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
      },
    },
  };
}

function multipartBody(m: NonNullable<AnyRoute['multipart']>): Record<string, unknown> {
  const properties = Object.fromEntries(Object.entries(m.fields).map(([name, f]) =>
    [name, { type: 'string', description: f.description, ...(f.binary ? { format: 'binary' } : {}) }]));
  const required = Object.entries(m.fields).filter(([, f]) => f.required).map(([name]) => name);
  return { required: true, description: m.description, content: { 'multipart/form-data': { schema: { type: 'object', properties, required } } } };
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
