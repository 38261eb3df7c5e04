/** Builds the Koa application from its dependencies; src/api/main.ts wires the real ones. */
import { randomUUID } from 'node:crypto';
import Koa from 'koa';
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import { RequestContext } from '@mikro-orm/postgresql';
import { TASK_QUEUE } from '../contracts/temporal';
import { accountSettings } from '../accounts/settings';
import { PasswordHasher } from '../auth/passwords';
import type { AppDeps, AppOptions } from './deps';
import { errorMiddleware } from './errors';
import { methodsAllowed, mount, route, type AnyRoute } from './http';
import { httpMetrics, metricsRoutes } from './metrics';
import { documentedStatuses, openApiDocument } from './openapi';
import { accountRoutes } from './routes/accounts';
import { adminCatalogImageRoutes } from './routes/admin-catalog-images';
import { adminCatalogImportRoutes } from './routes/admin-catalog-imports';
import { adminCatalogProductRoutes } from './routes/admin-catalog-products';
import { adminCatalogTaxonomyRoutes } from './routes/admin-catalog-taxonomy';
import { adminInventoryRoutes } from './routes/admin-inventory';
import { adminPricingRoutes } from './routes/admin-pricing';
import { adminNoticeRoutes } from './routes/admin-notices';
import { adminOrderRoutes } from './routes/admin-orders';
import { adminStaffRoutes } from './routes/admin-staff';
import { carrierWebhookRoutes } from './routes/carrier-webhooks';
import { cartPricingRoutes } from './routes/cart-pricing';
import { cartRoutes } from './routes/carts';
import { checkoutRoutes } from './routes/checkout';
import { codecCors, codecRoutes } from './routes/codec';
import { healthRoutes } from './routes/health';
import { meRoutes } from './routes/me';
import { myAddressRoutes } from './routes/my-addresses';
import { myOrderRoutes } from './routes/my-orders';
import { orderRoutes } from './routes/orders';
import { privacyRoutes } from './routes/privacy';
import { productRoutes } from './routes/products';
import { shipmentRoutes } from './routes/shipments';
import { simulatedPaymentRoutes } from './routes/simulated-payments';
import { providerWebhookRoutes } from './routes/webhooks';
import { warehouseRoutes } from './routes/warehouse';
import { httpTracing } from './tracing';
import { RateLimits } from './rate-limits';
import { OrderTokens } from '../auth/order-tokens';
import { orderEventRoutes } from './routes/order-events';
import { storefrontConfigRoutes } from './routes/storefront-config';
import { storefront } from './storefront';
import { OrderEventHub } from './order-event-hub';

export type { AppDeps, AppOptions };

export function allRoutes(deps: AppDeps, hasher = new PasswordHasher(deps.accounts.argon2)): AnyRoute[] {
  return [
    ...healthRoutes(deps), ...metricsRoutes(), ...productRoutes(deps), ...cartRoutes(deps), ...cartPricingRoutes(), ...checkoutRoutes(deps), ...orderRoutes(deps),
    ...orderEventRoutes(deps), ...shipmentRoutes(), ...carrierWebhookRoutes(deps), ...providerWebhookRoutes(deps), ...storefrontConfigRoutes(deps),
    ...accountRoutes(deps, hasher), ...meRoutes(deps, hasher), ...myAddressRoutes, ...myOrderRoutes(deps),
    ...adminCatalogProductRoutes(deps.images), ...adminCatalogTaxonomyRoutes(), ...adminPricingRoutes(), ...adminCatalogImageRoutes(deps.images, deps.imageMaxBytes),
    ...adminCatalogImportRoutes(deps),
    ...adminInventoryRoutes(), ...warehouseRoutes(deps), ...adminOrderRoutes(deps), ...adminNoticeRoutes(), ...adminStaffRoutes(),
    ...codecRoutes(deps.payloadCodec), ...privacyRoutes(deps, hasher),
    // The simulated provider's 3-D Secure page: mounted only when it is the provider in use (never with Stripe; production refuses it unless allowed).
    ...(deps.simulatedPayments ? simulatedPaymentRoutes({ ...deps, simulatedPayments: deps.simulatedPayments }) : []),
  ];
}

const OPENAPI_INFO = { title: 'Commerce API', version: '0.1.0' };

function openApiRoute(document: () => Record<string, unknown>): AnyRoute {
  return route({
    method: 'get', path: '/openapi.json', tag: 'operations', access: 'public', summary: 'This document: every route, its input, its answers and who may call it',
    responses: { 200: { description: 'OpenAPI 3.1' } },
    handler: async (ctx) => {
      ctx.body = document();
    },
  });
}

/** The OpenAPI document an app built from `deps` serves at /openapi.json (the storefront's client types are generated from it). */
export function apiDocument(deps: AppDeps): Record<string, unknown> {
  return openApiDocument([...allRoutes(deps), openApiRoute(() => ({}))], OPENAPI_INFO);
}

export function buildApp(options: AppOptions): Koa {
  // Secrets and URLs come from the validated config (src/api/server.ts passes them); a webhook whose secret is absent answers 503.
  const deps: AppDeps = { ...options, taskQueue: options.taskQueue ?? TASK_QUEUE, paymentActionTimeout: options.paymentActionTimeout ?? '15 minutes',
    limits: new RateLimits(options.orm, options.rateLimits), orderTokens: options.orderTokens ?? new OrderTokens(),
    accounts: options.accounts ?? accountSettings(), orderEvents: options.orderEvents ?? new OrderEventHub(options.orm, options.logger) };
  const app = new Koa();
  // X-Forwarded-For is believed only as far as the proxies we run: its last TRUST_PROXY_HOPS entries were written by them;
  // anything to their left came from the client and could be forged (src/api/rate-limits.ts, clientIp).
  app.proxy = (deps.trustProxyHops ?? 0) > 0;
  app.maxIpsCount = deps.trustProxyHops ?? 0;
  let openapi: Record<string, unknown> = {};
  const routes = [...allRoutes(deps), openApiRoute(() => openapi)];
  openapi = openApiDocument(routes, OPENAPI_INFO);
  const access = { metricsTokenDigests: deps.metricsTokenDigests, orderTokens: deps.orderTokens, sessionIdleMs: deps.accounts.sessionIdleMs };
  // Routes that read their body as sent (provider webhooks: the signature covers the bytes) go ahead of the JSON parser.
  // A status a route answers that its document does not list is a bug of the declaration: said loudly (tests fail on it).
  const answered = (spec: AnyRoute, status: number) => {
    if (documentedStatuses(spec).has(status)) return;
    const report = deps.onUndeclaredStatus ?? ((what: string, s: number) => deps.logger.error({ route: what, status: s },
      'a route answered a status its OpenAPI document does not list: add it to the route\'s responses'));
    report(`${spec.method.toUpperCase()} ${spec.path}`, status);
  };
  const rawRouter = new Router();
  mount(rawRouter, routes.filter((r) => r.rawBody), access, answered);
  const router = new Router();
  mount(router, routes.filter((r) => !r.rawBody), access, answered);

  app.use(httpTracing);
  app.use(httpMetrics);
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
  app.use(codecCors(deps.codecCorsOrigins ?? []));
  if (deps.storefrontDir) app.use(storefront(deps.storefrontDir, deps.logger));
  app.use(methodsAllowed([rawRouter, router]));
  app.use(rawRouter.routes());
  // DELETE too: closing an account (DELETE /me) carries the password.
  app.use(bodyParser({ enableTypes: ['json'], jsonLimit: '100kb', encoding: 'utf-8', parsedMethods: ['POST', 'PUT', 'PATCH', 'DELETE'] }));
  app.use((ctx, next) => RequestContext.create(deps.orm.em, next));
  app.use(router.routes());
  app.on('error', (err) => deps.logger.debug({ err }, 'koa reported an error after responding'));
  return app;
}
