/**
 * With OTEL_EXPORTER_OTLP_ENDPOINT set, one checkout is one trace: the API's HTTP span, the Temporal
 * client's update-with-start, the checkout workflow, its payment child and every activity, across
 * the API and worker processes. A small OTLP/HTTP receiver stands in for the collector.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestDatabase, required, type TestDatabase } from '../support/db';
import { ADDRESS, seedCheckoutCatalog } from '../support/checkout';
import { killService, startService, until, type Service } from '../support/processes';
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
  it('follows one checkout from the HTTP request through the workflows to each activity, in one trace', async () => {
    const env = {
      DATABASE_URL: db.url, TEMPORAL_ADDRESS: required('TEST_TEMPORAL_ADDRESS'), TEMPORAL_TASK_QUEUE: uniqueTaskQueue('traced'),
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}`,
      OTEL_BSP_SCHEDULE_DELAY: '100', // export within 0.1 s instead of 5 s
    };
    const port = await freePort();
    const worker = startService('workers/main.ts', env);
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

    const trace = () => spans.filter((s) => s.traceId === traceId);
    const named = (name: string) => trace().find((s) => s.name === name);
    // The checkout workflow's own span (RunWorkflow:checkout) ends, and is exported, when the order's
    // saga does; everything it started so far hangs off it.
    const checkoutRun = () => named('StartActivity:reserveStock')?.parentSpanId;
    const orphans = () => {
      const ids = new Set([...trace().map((s) => s.spanId), checkoutRun()]);
      return trace().filter((s) => s.name !== 'POST /carts/:id/checkout' && !ids.has(s.parentSpanId)).map((s) => s.name);
    };
    await until(() => !!named('RunActivity:sendOrderNotification') && orphans().length === 0, 'every span of the checkout so far');
    for (const name of ['POST /carts/:id/checkout', 'UpdateWithStartWorkflow:awaitPaymentOutcome', 'HandleUpdate:awaitPaymentOutcome',
      'StartActivity:reserveStock', 'RunActivity:reserveStock', 'StartChildWorkflow:payment', 'RunWorkflow:payment',
      'RunActivity:authorizePayment', 'RunActivity:setOrderStatus', 'RunActivity:sendOrderNotification']) {
      expect({ name, inTrace: !!named(name) }).toEqual({ name, inTrace: true });
    }
    const http = named('POST /carts/:id/checkout')!;
    expect(http.service).toBe('commerce-api');
    expect(named('UpdateWithStartWorkflow:awaitPaymentOutcome')!.parentSpanId).toBe(http.spanId);
    expect(named('HandleUpdate:awaitPaymentOutcome')!.parentSpanId).toBe(named('UpdateWithStartWorkflow:awaitPaymentOutcome')!.spanId);
    expect(named('StartChildWorkflow:payment')!.parentSpanId).toBe(checkoutRun());
    expect(named('RunActivity:reserveStock')!.service).toBe('commerce-worker');

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
