/**
 * With OTEL_EXPORTER_OTLP_ENDPOINT set, one checkout is one trace: the API's HTTP span, the Temporal
 * client's update-with-start, the checkout workflow, its payment child and every activity, across
 * the API and worker processes, each span the child of the one that caused it. A small OTLP/HTTP
 * receiver stands in for the collector.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestDatabase, required, type TestDatabase } from '../support/db';
import { ADDRESS, seedCheckoutCatalog } from '../support/checkout';
import { killService, startService, until, type Service } from '../support/processes';
import { sample, scrape } from '../support/prometheus';
import { uniqueTaskQueue } from '../support/temporal';
import { freePort } from '../../src/temporal/dev-server';

interface Span { traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number; service: string }

let db: TestDatabase;
let collector: Server;
const spans: Span[] = [];
const services: Service[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  await seedCheckoutCatalog(db, 10);
  collector = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => { body += chunk.toString(); });
    req.on('end', () => {
      if (req.url === '/v1/traces') spans.push(...otlpSpans(JSON.parse(body)));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((ok) => collector.listen(0, '127.0.0.1', ok));
});
afterAll(async () => {
  services.forEach(killService);
  await new Promise((ok) => collector?.close(ok));
  await db?.drop();
});

describe('tracing', () => {
  it('follows one checkout from the HTTP request through the workflows to each activity, in one trace (and the worker counts it confirmed, then cancelled)', async () => {
    const env = {
      DATABASE_URL: db.url, TEMPORAL_ADDRESS: required('TEST_TEMPORAL_ADDRESS'), TEMPORAL_TASK_QUEUE: uniqueTaskQueue('traced'),
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}`,
      OTEL_BSP_SCHEDULE_DELAY: '100', // export within 0.1 s instead of 5 s
      FULFILLMENT_AUTO_PACK: 'false', // the order waits for the warehouse, so it can be cancelled and its saga ends
    };
    const port = await freePort();
    const metricsPort = await freePort();
    const worker = startService('workers/main.ts', { ...env, WORKER_METRICS_PORT: String(metricsPort) });
    const api = startService('src/api/main.ts', { ...env, HOST: '127.0.0.1', PORT: String(port), API_DRAIN_DELAY: '0s' });
    services.push(worker, api);
    await Promise.all([worker.waitFor(/"msg":"worker polling"/), api.waitFor(/"msg":"API listening"/)]);

    const url = `http://127.0.0.1:${port}`;
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const cart = (await (await post('/carts', {})).json()) as { id: string };
    await post(`/carts/${cart.id}/items`, { sku: 'MUG-1', quantity: 1 });
    // The storefront's own trace continues here (W3C trace context), so the whole checkout is findable by its id.
    const traceId = randomBytes(16).toString('hex');
    const res = await post(`/carts/${cart.id}/checkout`, { email: 'ada@example.com', shippingAddress: ADDRESS, paymentMethod: 'pm_card_visa' },
      { 'Idempotency-Key': `traced-${Date.now()}`, traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` });
    expect(res.status).toBe(202);
    const placed = (await res.json()) as { orderId: string; accessToken: string };

    const trace = () => spans.filter((s) => s.traceId === traceId);
    const named = (name: string) => trace().find((s) => s.name === name);
    const parentName = (name: string) => trace().find((s) => s.spanId === named(name)!.parentSpanId)?.name;
    const SO_FAR = ['POST /carts/:id/checkout', 'UpdateWithStartWorkflow:awaitPaymentOutcome', 'HandleUpdate:awaitPaymentOutcome',
      'StartActivity:reserveStock', 'RunActivity:reserveStock', 'StartChildWorkflow:payment', 'RunWorkflow:payment',
      'StartActivity:authorizePayment', 'RunActivity:authorizePayment', 'RunActivity:setOrderStatus',
      'StartActivity:sendOrderNotification', 'RunActivity:sendOrderNotification', 'StartChildWorkflow:fulfillment'];
    await until(() => SO_FAR.every((name) => !!named(name)), 'every span of the checkout so far');
    const http = named('POST /carts/:id/checkout')!;
    expect(http.service).toBe('commerce-api');
    expect(named('RunActivity:reserveStock')!.service).toBe('commerce-worker');
    // Each step under the one that started it: the client's call under the request, an activity's run
    // under its scheduling, a child workflow under its start.
    expect(parentName('UpdateWithStartWorkflow:awaitPaymentOutcome')).toBe('POST /carts/:id/checkout');
    expect(parentName('HandleUpdate:awaitPaymentOutcome')).toBe('UpdateWithStartWorkflow:awaitPaymentOutcome');
    expect(parentName('RunActivity:reserveStock')).toBe('StartActivity:reserveStock');
    expect(parentName('RunWorkflow:payment')).toBe('StartChildWorkflow:payment');
    expect(parentName('StartActivity:authorizePayment')).toBe('RunWorkflow:payment');
    expect(parentName('RunActivity:authorizePayment')).toBe('StartActivity:authorizePayment');
    expect(parentName('RunActivity:sendOrderNotification')).toBe('StartActivity:sendOrderNotification');
    // The checkout workflow's own span (RunWorkflow:checkout) is exported when the saga ends; until
    // then the steps it started share a parent that is not exported yet.
    const checkoutRun = named('StartActivity:reserveStock')!.parentSpanId;
    for (const name of ['StartChildWorkflow:payment', 'StartActivity:sendOrderNotification', 'StartChildWorkflow:fulfillment']) {
      expect({ name, parent: named(name)!.parentSpanId }).toEqual({ name, parent: checkoutRun });
    }

    // End the saga: the order waits for the warehouse, so it can be cancelled; its compensations run.
    const cancel = await post(`/orders/${placed.orderId}/cancel`, { reason: 'changed my mind' }, { authorization: `Bearer ${placed.accessToken}` });
    expect(cancel.status).toBe(200);
    const byId = () => new Map(trace().map((s) => [s.spanId, s]));
    const pathToRoot = (span: Span, spans = byId()): string[] => {
      const parent = span.parentSpanId ? spans.get(span.parentSpanId) : undefined;
      return parent ? [...pathToRoot(parent, spans), span.name] : [span.name];
    };
    const unrooted = () => trace().map((s) => pathToRoot(s)).filter((path) => path[0] !== 'POST /carts/:id/checkout');
    await until(() => !!named('RunWorkflow:checkout') && !!named('RunActivity:voidOrRefundPayment') && unrooted().length === 0,
      'the ended saga\'s span, its compensations, and every span rooted at the HTTP request');
    // Now the whole checkout is one tree: the HTTP request → the client's update-with-start → the
    // workflow → each activity and child workflow, including the compensations the cancel ran.
    expect(named('RunWorkflow:checkout')!.spanId).toBe(checkoutRun);
    expect(parentName('RunWorkflow:checkout')).toBe('UpdateWithStartWorkflow:awaitPaymentOutcome');
    // The worker's /metrics counted the order's life: confirmed, then cancelled.
    const metrics = await scrape(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(['confirmed', 'cancelled', 'failed'].map((status) => sample(metrics, 'commerce_order_status_changes', { status })))
      .toEqual([1, 1, 0]);
    expect(pathToRoot(named('RunActivity:reserveStock')!))
      .toEqual(['POST /carts/:id/checkout', 'UpdateWithStartWorkflow:awaitPaymentOutcome', 'RunWorkflow:checkout', 'StartActivity:reserveStock', 'RunActivity:reserveStock']);
    expect(pathToRoot(named('RunActivity:authorizePayment')!)).toEqual(['POST /carts/:id/checkout', 'UpdateWithStartWorkflow:awaitPaymentOutcome',
      'RunWorkflow:checkout', 'StartChildWorkflow:payment', 'RunWorkflow:payment', 'StartActivity:authorizePayment', 'RunActivity:authorizePayment']);
    expect(pathToRoot(named('RunActivity:voidOrRefundPayment')!)).toEqual(['POST /carts/:id/checkout', 'UpdateWithStartWorkflow:awaitPaymentOutcome',
      'RunWorkflow:checkout', 'StartActivity:voidOrRefundPayment', 'RunActivity:voidOrRefundPayment']);

    api.process.kill('SIGTERM');
    worker.process.kill('SIGTERM');
    expect(await api.exited).toEqual({ code: 0, signal: null });
    expect(await worker.exited).toEqual({ code: 0, signal: null });
  });
});

/** The spans of an OTLP/JSON export request (ids are hex strings in the JSON encoding). */
function otlpSpans(body: {
  resourceSpans?: { resource?: { attributes?: { key: string; value: { stringValue?: string } }[] };
    scopeSpans?: { spans?: Omit<Span, 'service'>[] }[] }[];
}): Span[] {
  return (body.resourceSpans ?? []).flatMap((rs) => {
    const service = rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
    return (rs.scopeSpans ?? []).flatMap((ss) => (ss.spans ?? []).map((s) => ({ ...s, service })));
  });
}
