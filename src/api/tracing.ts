/**
 * The HTTP server span of each request, when tracing is on (src/telemetry/tracing.ts). It continues
 * a caller's W3C `traceparent`, and is the active span while the route runs, so the Temporal client
 * interceptor hangs the checkout workflow's spans under it. Without a tracer provider it is a no-op.
 */
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Middleware } from 'koa';
import { routePattern } from './metrics';

const tracer = trace.getTracer('commerce-api');

export const httpTracing: Middleware = async (ctx, next) => {
  const parent = propagation.extract(context.active(), ctx.headers);
  const span = tracer.startSpan(`${ctx.method}`, { kind: SpanKind.SERVER, attributes: {
    'http.request.method': ctx.method, 'url.path': ctx.path } }, parent);
  try {
    await context.with(trace.setSpan(parent, span), next);
  } finally {
    const route = routePattern(ctx);
    // Named by route pattern (low cardinality), as the semantic conventions ask.
    span.updateName(`${ctx.method} ${route}`);
    span.setAttributes({ 'http.route': route, 'http.response.status_code': ctx.status });
    if (ctx.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  }
};
