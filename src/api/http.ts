/**
 * Routes are declared once with their zod schemas: the same declaration validates requests and
 * produces the OpenAPI document, so the two can never disagree.
 */
import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { z } from 'zod';
import { DomainError, ErrorCode } from '../domain/errors';
import { enforceAccess, enforceOrderToken, type Access, type AccessDeps } from './access';

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
  /** A multipart/form-data body the handler reads itself (a file upload): documented, not parsed here. */
  multipart?: { description: string; fields: Record<string, { description: string; binary?: boolean; required?: boolean }> };
  /** A file sent as the body itself, streamed by the handler (an import): its media types, documented, not parsed here. */
  upload?: { description: string; contentTypes: Record<string, string> };
  headers?: Record<string, { description: string; required: boolean }>;
  responses: Record<number, { description: string; schema?: z.ZodType; headers?: Record<string, string> }>;
  /** Extra middleware run before the handler (e.g. a rate limit). */
  before?: Middleware[];
  handler: (ctx: Context, input: { params: z.infer<P>; query: z.infer<Q>; body: z.infer<B> }) => Promise<void>;
}

export type AnyRoute = RouteSpec<z.ZodType, z.ZodType, z.ZodType>;

export function route<P extends z.ZodType = z.ZodObject, Q extends z.ZodType = z.ZodObject, B extends z.ZodType = z.ZodUndefined>(
  spec: RouteSpec<P, Q, B>,
): AnyRoute {
  return spec as unknown as AnyRoute;
}

/**
 * Mounts the routes; each request passes its route's access rule first, then its input is validated.
 * A route without an access rule is a programming error: the app refuses to start.
 */
export function mount(router: Router, routes: AnyRoute[], deps: AccessDeps = {}): void {
  for (const spec of routes) {
    const what = `${spec.method.toUpperCase()} ${spec.path}`;
    if (!spec.access) throw new Error(`${what} declares no access: say who may call it (access: 'public', { staff: [...] }, …; src/api/access.ts).`);
    if (typeof spec.access === 'object' && spec.access.orderToken && !spec.path.includes(':id')) throw new Error(`${what}: an order-token route needs the order as :id.`);
    router[spec.method](spec.path, async (ctx, next) => {
      await enforceAccess(ctx, spec.access, deps, what);
      await next();
    }, ...(spec.before ?? []), async (ctx: Context) => {
      const params = parse('path parameters', spec.params, ctx.params);
      await enforceOrderToken(ctx, spec.access, (params as { id?: string }).id ?? '');
      const query = parse('query', spec.query, ctx.query);
      const body = spec.body ? parseBody(ctx, spec.body) : undefined;
      await spec.handler(ctx, { params, query, body });
    });
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
