/** Builds the Koa application from its dependencies; src/api/main.ts wires the real ones. */
import { randomUUID } from 'node:crypto';
import Koa from 'koa';
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import { RequestContext, type MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import type { Logger } from '../logger';
import { requireStaff } from './auth';
import { errorMiddleware } from './errors';
import { mount, type AnyRoute } from './http';
import { openApiDocument } from './openapi';
import { adminInventoryRoutes } from './routes/admin-inventory';
import { cartRoutes } from './routes/carts';
import { healthRoutes } from './routes/health';
import { productRoutes } from './routes/products';

export interface AppDeps {
  orm: MikroORM;
  temporal: { client?: Client; ping(): Promise<void> };
  staffTokenDigests: string[];
  logger: Logger;
  /** True once a SIGTERM arrived: /readyz answers not-ready so the load balancer drains this replica. */
  isShuttingDown?: () => boolean;
}

export function allRoutes(deps: AppDeps): AnyRoute[] {
  const staffOnly = requireStaff(deps.staffTokenDigests);
  return [...healthRoutes(deps), ...productRoutes, ...cartRoutes, ...adminInventoryRoutes(staffOnly)];
}

export function buildApp(deps: AppDeps): Koa {
  const app = new Koa();
  app.proxy = true;
  const routes = allRoutes(deps);
  const openapi = openApiDocument(routes, { title: 'Commerce API', version: '0.1.0' });
  const router = new Router();
  router.get('/openapi.json', (ctx) => {
    ctx.body = openapi;
  });
  mount(router, routes);

  app.use(async (ctx, next) => {
    const incoming = ctx.get('X-Request-Id');
    const requestId = /^[A-Za-z0-9._-]{8,128}$/.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = requestId;
    ctx.state.logger = deps.logger.child({ requestId });
    ctx.set('X-Request-Id', requestId);
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      ctx.state.logger.info({ method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(ms * 10) / 10 }, 'request');
    }
  });
  app.use(errorMiddleware);
  app.use(bodyParser({ enableTypes: ['json'], jsonLimit: '100kb', encoding: 'utf-8' }));
  app.use((ctx, next) => RequestContext.create(deps.orm.em, next));
  app.use(router.routes());
  app.use(router.allowedMethods());
  app.on('error', (err) => deps.logger.debug({ err }, 'koa reported an error after responding'));
  return app;
}
