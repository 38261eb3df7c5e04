/**
 * Routes are declared once with their zod schemas: the same declaration validates requests and
 * produces the OpenAPI document, so the two can never disagree.
 */
import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { z } from 'zod';
import { DomainError, ErrorCode } from '../domain/errors';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
/**
 * Who may call a route: anyone (public); staff; the holder of the order's access token, the order's
 * customer signed in, or staff (order); a signed-in customer (customer); anyone, a signed-in customer
 * reaching what is theirs (shopper: carts and checkout).
 */
export type Access = 'public' | 'staff' | 'order' | 'customer' | 'shopper';

export interface RouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  method: Method;
  path: string;
  summary: string;
  tag: string;
  access?: Access;
  params?: P;
  query?: Q;
  body?: B;
  headers?: Record<string, { description: string; required: boolean }>;
  responses: Record<number, { description: string; schema?: z.ZodType }>;
  /** Extra middleware run before the handler (e.g. the staff token check). */
  before?: Middleware[];
  handler: (ctx: Context, input: { params: z.infer<P>; query: z.infer<Q>; body: z.infer<B> }) => Promise<void>;
}

export type AnyRoute = RouteSpec<z.ZodType, z.ZodType, z.ZodType>;

export function route<P extends z.ZodType = z.ZodObject, Q extends z.ZodType = z.ZodObject, B extends z.ZodType = z.ZodUndefined>(
  spec: RouteSpec<P, Q, B>,
): AnyRoute {
  return spec as unknown as AnyRoute;
}

export function mount(router: Router, routes: AnyRoute[]): void {
  for (const spec of routes) {
    router[spec.method](spec.path, ...(spec.before ?? []), async (ctx: Context) => {
      const params = parse('path parameters', spec.params, ctx.params);
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
