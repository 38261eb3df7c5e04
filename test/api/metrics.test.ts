/**
 * GET /metrics: what an operator's dashboard reads. Requests are counted by route pattern (never the
 * raw path, which would make one series per order), orders placed once per order (not per retry),
 * and the checkout's answer time by payment outcome.
 */
import { randomUUID } from 'node:crypto';
import { type TestDatabase } from '../support/db';
import { startApiWorld, startTestApi, stopApiWorld, STAFF_TOKEN, type TestApi, type TestWorker } from '../support/api';
import { sha256Hex } from '../../src/auth/tokens';
import { ADDRESS } from '../support/checkout';
import { sample, scrape } from '../support/prometheus';

let db: TestDatabase;
let worker: TestWorker;
let api: TestApi;

beforeAll(async () => {
  ({ db, worker, api } = await startApiWorld({ stock: 100 }));
});
afterAll(async () => {
  await stopApiWorld({ api, worker, db });
});

describe('GET /metrics', () => {
  it('counts requests by route pattern and status, orders placed once per order, and times the checkout', async () => {
    const before = await scrape(`${api.url}/metrics`);
    const cart = await api.request('POST', '/carts');
    await api.request('POST', `/carts/${cart.body.id}/items`, { body: { sku: 'MUG-1', quantity: 1 } });
    const key = randomUUID();
    const payload = { body: { email: 'ada@example.com', shippingAddress: ADDRESS, paymentMethod: 'pm_card_visa' }, headers: { 'Idempotency-Key': key } };
    const placed = await api.request('POST', `/carts/${cart.body.id}/checkout`, payload);
    expect(placed.status).toBe(202);
    const replayed = await api.request('POST', `/carts/${cart.body.id}/checkout`, payload);
    expect(replayed.body.orderId).toBe(placed.body.orderId);
    const missing = randomUUID();
    expect((await api.request('GET', `/orders/${missing}`, { headers: { Authorization: `Bearer ${STAFF_TOKEN}` } })).status).toBe(404);
    expect((await api.request('GET', '/no/such/thing')).status).toBe(404);

    const res = await fetch(`${api.url}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const after = await res.text();
    const moved = (name: string, labels: Record<string, string> = {}) => sample(after, name, labels) - sample(before, name, labels);

    expect(moved('commerce_orders_placed_total')).toBe(1);
    expect(moved('http_requests_total', { method: 'POST', route: '/carts/:id/checkout', status: '202' })).toBe(2);
    expect(moved('http_requests_total', { method: 'POST', route: '/carts/:id/items', status: '200' })).toBe(1);
    expect(moved('http_requests_total', { method: 'GET', route: '/orders/:id', status: '404' })).toBe(1);
    expect(moved('http_requests_total', { method: 'GET', route: '(unmatched)', status: '404' })).toBe(1);
    expect(moved('http_request_duration_seconds_count', { route: '/carts/:id/checkout' })).toBe(2);
    expect(moved('commerce_checkout_duration_seconds_count', { outcome: 'authorized' })).toBe(2);
    expect(sample(after, 'commerce_checkout_duration_seconds_sum', { outcome: 'authorized' })).toBeGreaterThan(0);
    // One series per pattern: no raw path, so no order id or cart id, ever becomes a label.
    for (const id of [placed.body.orderId, cart.body.id, missing]) expect(after).not.toContain(id);
    expect(after).toMatch(/^process_cpu_seconds_total /m);
  });
});

describe('GET /metrics with METRICS_TOKEN_SHA256 set', () => {
  it('answers only a scraper with its bearer token; anyone else gets 401 and no metrics', async () => {
    const token = 'scraper-token-0123456789abcdef';
    const guarded = await startTestApi(db.orm, { taskQueue: worker.taskQueue, app: { metricsTokenDigests: [sha256Hex(token)] } });
    try {
      for (const headers of [{} as Record<string, string>, { Authorization: `Bearer ${STAFF_TOKEN}` }, { Authorization: `Bearer ${token}x` }, { Authorization: token }]) {
        const res = await guarded.request('GET', '/metrics', { headers });
        expect(res.status).toBe(401);
        expect(res.body.error.code).toBe('unauthorized');
        expect(JSON.stringify(res.body)).not.toContain('http_requests_total');
      }
      const ok = await fetch(`${guarded.url}/metrics`, { headers: { Authorization: `Bearer ${token}` } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toMatch(/^http_requests_total\{/m);
    } finally {
      await guarded.close();
    }
  });
});
