/**
 * The API's Prometheus metrics, served at GET /metrics: requests by route pattern (never the raw
 * path, which would make one series per order id) and status, orders placed, and how long a
 * checkout takes to answer. Orders confirmed, failed and cancelled are decided in the workflow and
 * written by activities, so the worker counts those (workers/metrics.ts).
 */
import type { Context, Middleware } from 'koa';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { route } from './http';

export const registry = new Registry();
collectDefaultMetrics({ register: registry });

const LABELS = ['method', 'route', 'status'] as const;

const httpRequests = new Counter({
  name: 'http_requests_total', help: 'HTTP requests answered, by method, route pattern and status',
  labelNames: LABELS, registers: [registry],
});

const httpDuration = new Histogram({
  name: 'http_request_duration_seconds', help: 'Time to answer an HTTP request, by method, route pattern and status',
  labelNames: LABELS, buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry],
});

/** New orders only: a checkout replayed with the same Idempotency-Key places nothing. */
export const ordersPlaced = new Counter({
  name: 'commerce_orders_placed_total', help: 'Orders placed through POST /carts/:id/checkout', registers: [registry],
});

/**
 * From request to answer, by the payment outcome in the answer. The answer waits for the payment
 * (update-with-start, capped at EARLY_RETURN_CAP_MS = 5 s), hence buckets up to 20 s.
 */
export const checkoutDuration = new Histogram({
  name: 'commerce_checkout_duration_seconds', help: 'Time to answer a checkout, by payment outcome (authorized, declined, requires_action, …)',
  labelNames: ['outcome'], buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13, 20], registers: [registry],
});

/** Outermost middleware: sees the final status, after the error middleware has mapped any error. */
export const httpMetrics: Middleware = async (ctx, next) => {
  const stop = httpDuration.startTimer();
  try {
    await next();
  } finally {
    const labels = { method: ctx.method, route: routePattern(ctx), status: String(ctx.status) };
    httpRequests.inc(labels);
    stop(labels);
  }
};

/** The pattern @koa/router matched, e.g. `/orders/:id`; unmatched paths share one label. */
export function routePattern(ctx: Context): string {
  return (ctx as Context & { _matchedRoute?: string })._matchedRoute ?? '(unmatched)';
}

/**
 * GET /metrics. With METRICS_TOKEN_SHA256 set, a scraper must send `Authorization: Bearer <token>`
 * (Prometheus: `authorization: { credentials: <token> }` in its scrape config); without it the
 * endpoint is open, for a private network only.
 */
export function metricsRoutes() {
  return [
    route({
      method: 'get', path: '/metrics', tag: 'operations', access: 'metrics',
      summary: 'Prometheus metrics of this API process (text exposition format); a bearer token when METRICS_TOKEN_SHA256 is set',
      responses: { 200: { description: 'Metrics in the Prometheus text format' }, 401: { description: 'METRICS_TOKEN_SHA256 is set and no matching bearer token was sent' } },
      handler: async (ctx) => {
        ctx.set('Content-Type', registry.contentType);
        ctx.body = await registry.metrics();
      },
    }),
  ];
}
