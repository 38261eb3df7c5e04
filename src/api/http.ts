/**
 * Routes are declared once with their zod schemas: the same declaration validates requests and
 * produces the OpenAPI document, so the two can never disagree.
 */
import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { z } from 'zod';
import { DomainError, ErrorCode } from '../domain/errors';
import { enforceAccess, enforceOrderToken, type Access, type AccessDeps } from './access';
import { refuseUnstorable, refuseUnstorableRequest } from './boundary';
import { httpStatusOf } from './errors';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
export type { Access };

export interface RouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  method: Method;
  path: string;
  summary: string;
  tag: string;
  /** Who may call it, enforced by the router before the handler (src/api/access.ts); required of every route. */
  access: Access;
  params?: P;
  query?: Q;
  body?: B;
  /**
   * The handler needs the body's bytes exactly as sent (a provider signs them): the router reads them
   * (at most RAW_BODY_LIMIT_BYTES), checks the text they carry at the boundary (src/api/boundary.ts)
   * as JSON or as a form, and hands them over as `raw`. Such routes are mounted ahead of the JSON parser.
   */
  rawBody?: 'json' | 'form';
  /**
   * A multipart/form-data body the handler reads itself (a file upload): documented, not parsed here. Its
   * files are bytes, not text (the boundary does not look into them); a text field a handler kept would need it.
   */
  multipart?: { description: string; fields: Record<string, { description: string; binary?: boolean; required?: boolean }> };
  /** Headers read as data; pattern: the form the route accepts, stated in the document. */
  headers?: Record<string, { description: string; required: boolean; pattern?: RegExp }>;
  responses: Record<number, { description: string; schema?: z.ZodType; headers?: Record<string, string> }>;
  /** Extra middleware run before the handler (e.g. a rate limit). */
  before?: Middleware[];
  handler: (ctx: Context, input: { params: z.infer<P>; query: z.infer<Q>; body: z.infer<B>; raw: Buffer }) => Promise<void>;
}

export type AnyRoute = RouteSpec<z.ZodType, z.ZodType, z.ZodType>;

export function route<P extends z.ZodType = z.ZodObject, Q extends z.ZodType = z.ZodObject, B extends z.ZodType = z.ZodUndefined>(
  spec: RouteSpec<P, Q, B>,
): AnyRoute {
  return spec as unknown as AnyRoute;
}

/** Provider webhooks run to tens of kB; far more is not a provider. */
export const RAW_BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * Mounts the routes. Each request passes the boundary first (text the database cannot store is
 * refused, wherever it is: src/api/boundary.ts), then its route's access rule, then its input is
 * validated. A route without an access rule is a programming error: the app refuses to start.
 */
export function mount(router: Router, routes: AnyRoute[], deps: AccessDeps, answered?: (spec: AnyRoute, status: number) => void): void {
  for (const spec of routes) {
    const what = `${spec.method.toUpperCase()} ${spec.path}`;
    if (!spec.access) throw new Error(`${what} declares no access: say who may call it (access: 'public', { staff: [...] }, …; src/api/access.ts).`);
    if (typeof spec.access === 'object' && spec.access.orderToken && !spec.path.includes(':id')) throw new Error(`${what}: an order-token route needs the order as :id.`);
    router[spec.method](spec.path, async (ctx, next) => {
      try {
        refuseUnstorableRequest(ctx, Object.keys(spec.headers ?? {}));
        if (spec.body) refuseUnstorable('body', (ctx.request as { body?: unknown }).body);
        if (spec.rawBody) ctx.state.rawBody = await readRawBody(ctx, spec.rawBody);
        await enforceAccess(ctx, spec.access, deps, what);
        await next();
      } catch (err) {
        answered?.(spec, statusOfError(err));
        throw err;
      }
      answered?.(spec, ctx.status);
    }, ...(spec.before ?? []), async (ctx: Context) => {
      const params = parse('path parameters', spec.params, ctx.params);
      await enforceOrderToken(ctx, spec.access, deps, (params as { id?: string }).id ?? '');
      const query = parse('query', spec.query, ctx.query);
      const body = spec.body ? parseBody(ctx, spec.body) : undefined;
      await spec.handler(ctx, { params, query, body, raw: (ctx.state.rawBody as Buffer | undefined) ?? Buffer.alloc(0) });
    });
  }
}

/** The status the error middleware (src/api/errors.ts) will answer an error with. */
function statusOfError(err: unknown): number {
  if (err instanceof DomainError) return httpStatusOf(err.code);
  const status = (err as { status?: number }).status;
  return status === 413 || status === 415 || status === 400 ? status : 500;
}

/** The body as sent, for a route that checks a signature over it; its text passes the boundary first. */
async function readRawBody(ctx: Context, format: 'json' | 'form'): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > RAW_BODY_LIMIT_BYTES) throw Object.assign(new Error('request entity too large'), { status: 413 });
    chunks.push(chunk);
  }
  const raw = Buffer.concat(chunks);
  const text = raw.toString('utf8');
  refuseUnstorable('body', text);
  if (format === 'form') refuseUnstorable('body', Object.fromEntries(new URLSearchParams(text)));
  else refuseUnstorable('body', parsedOrUndefined(text));
  return raw;
}

/** A body that is not JSON at all is the signature check's to refuse (it cannot be a provider's). */
function parsedOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function parseBody(ctx: Context, schema: z.ZodType): unknown {
  if (ctx.request.length && !ctx.request.is('application/json')) {
    throw new DomainError(ErrorCode.UnsupportedMediaType, 'Send the request body as application/json.', {
      contentType: ctx.request.type,
    });
  }
  return parse('body', schema, (ctx.request as { body?: unknown }).body ?? {});
}

function parse(where: string, schema: z.ZodType | undefined, value: unknown): never {
  if (!schema) return {} as never;
  const result = schema.safeParse(value);
  if (result.success) return result.data as never;
  const issues = result.error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message, code: i.code }));
  const first = issues[0];
  throw new DomainError(ErrorCode.ValidationFailed, `Invalid ${where}: ${first.path}: ${first.message}.`, { in: where, issues });
}

/**
 * A path the API serves, asked with a method it does not serve there (TRACE, PUT on a list, any
 * method at all): 405 with the Allow header listing what it does serve, answered before anything
 * reads the request; OPTIONS answers 204 with the same Allow. Paths it does not serve at all fall
 * through to the 404 of the error middleware. Built from the routers, so it knows every route.
 */
export function methodsAllowed(routers: Router[]): Middleware {
  return async (ctx, next) => {
    const served = routers.some((r) => r.match(ctx.path, ctx.method).route);
    if (served) return next();
    const methods = new Set(routers.flatMap((r) => r.match(ctx.path, ctx.method).path.flatMap((layer) => layer.methods)));
    if (methods.size === 0) return next();
    methods.add('OPTIONS');
    const allow = [...methods].sort().join(', ');
    ctx.set('Allow', allow);
    if (ctx.method === 'OPTIONS') {
      ctx.status = 204;
      return;
    }
    throw new DomainError(ErrorCode.MethodNotAllowed, `${ctx.method} is not allowed on ${ctx.path}; it serves ${allow}.`, { allow });
  };
}
