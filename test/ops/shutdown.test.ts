/**
 * A deploy or a scale-down sends SIGTERM. Nothing may be lost: the worker stops taking tasks, lets
 * the activity it is running finish, and exits 0, and a new worker carries the order on; the API
 * turns not-ready first, stops accepting, answers the request it is serving, closes its pools and
 * exits 0. Work is held "in flight" by a row lock the test owns (see lockInventoryRow), so the
 * processes run exactly the production code.
 */
import { Client, Connection } from '@temporalio/client';
import { createTestDatabase, required, type TestDatabase } from '../support/db';
import { startCheckoutWorker, type TestWorker } from '../support/api';
import { ADDRESS, checkoutInputOf, placeTestOrder, seedCheckoutCatalog } from '../support/checkout';
import { killService, lockInventoryRow, startService, until, type Service } from '../support/processes';
import { sample, scrape } from '../support/prometheus';
import { testDataConverter, uniqueTaskQueue } from '../support/temporal';
import { freePort } from '../../src/temporal/dev-server';
import { workflowIds } from '../../src/contracts/temporal';

const DONE = ['awaiting_fulfillment', 'shipped', 'delivered'];

let db: TestDatabase;
let connection: Connection;
let client: Client;
const services: Service[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  await seedCheckoutCatalog(db, 10);
  connection = await Connection.connect({ address: required('TEST_TEMPORAL_ADDRESS') });
  client = new Client({ connection, dataConverter: testDataConverter() });
});
afterAll(async () => {
  services.forEach(killService);
  await connection?.close();
  await db?.drop();
});

async function orderStatus(orderId: string): Promise<string> {
  const [row] = await db.orm.em.fork().getConnection().execute<{ status: string }[]>('select status from orders where id = ?', [orderId]);
  return row.status;
}

describe('SIGTERM on the worker', () => {
  it('lets the running activity finish, exits 0, and a new worker completes the order', async () => {
    const taskQueue = uniqueTaskQueue('sigterm');
    const env = { DATABASE_URL: db.url, TEMPORAL_ADDRESS: required('TEST_TEMPORAL_ADDRESS'), TEMPORAL_TASK_QUEUE: taskQueue,
      WORKER_SHUTDOWN_GRACE: '30s', WORKER_METRICS_HOST: '127.0.0.1' };
    const first = startService('workers/main.ts', { ...env, WORKER_METRICS_PORT: String(await freePort()) });
    services.push(first);
    await first.waitFor(/"msg":"worker polling"/);

    const lock = await lockInventoryRow(db.url, 'MUG-1');
    const placed = await placeTestOrder(db);
    const handle = await client.workflow.start('checkout', {
      workflowId: workflowIds.checkout(placed.orderId), taskQueue, args: [checkoutInputOf(placed)] });
    await until(async () => (await lock.waiting()) > 0, 'reserveStock to be running (blocked on the row lock)');

    first.process.kill('SIGTERM');
    await first.waitFor(/Stopping: no new tasks/);
    await new Promise((r) => setTimeout(r, 500));
    expect(first.hasExited()).toBe(false); // still waiting for its activity
    await lock.release();
    expect(await first.exited).toEqual({ code: 0, signal: null });

    // The activity finished on the stopping worker, on its first attempt: not abandoned and retried.
    const { events } = await handle.fetchHistory();
    const scheduled = events!.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'reserveStock')!;
    const started = events!.find((e) => Number(e.activityTaskStartedEventAttributes?.scheduledEventId) === Number(scheduled.eventId))!;
    expect(started.activityTaskStartedEventAttributes!.attempt).toBe(1);
    expect(events!.some((e) => Number(e.activityTaskCompletedEventAttributes?.scheduledEventId) === Number(scheduled.eventId))).toBe(true);
    expect(await orderStatus(placed.orderId)).toBe('pending'); // nothing ran after the stop: the rest waits in Temporal

    const metricsPort = await freePort();
    const second = startService('workers/main.ts', { ...env, WORKER_METRICS_PORT: String(metricsPort) });
    services.push(second);
    await until(async () => DONE.includes(await orderStatus(placed.orderId)), 'the order to reach awaiting_fulfillment');
    const reservations = await db.orm.em.fork().getConnection().execute<{ sku: string; quantity: number }[]>(
      'select sku, quantity from reservations where order_id = ? order by sku', [placed.orderId]);
    expect(reservations).toEqual([{ sku: 'MUG-1', quantity: 2 }, { sku: 'TEE-1', quantity: 1 }]); // reserved once, not twice

    // The new worker's metrics port: the SDK's own metrics, and ours beside them.
    // Another shop sold the last tees between this order and its reservation: reserveStock fails with out_of_stock.
    const tooMany = await placeTestOrder(db, { items: [{ sku: 'TEE-1', quantity: 5 }] });
    await db.orm.em.fork().getConnection().execute(`update inventory set on_hand = reserved where sku = 'TEE-1'`);
    await client.workflow.start('checkout', { workflowId: workflowIds.checkout(tooMany.orderId), taskQueue, args: [checkoutInputOf(tooMany)] });
    await until(async () => (await orderStatus(tooMany.orderId)) === 'failed', 'the out-of-stock order to fail');
    let text = '';
    await until(async () => {
      text = await scrape(`http://127.0.0.1:${metricsPort}/metrics`);
      return sample(text, 'commerce_order_status_changes', { status: 'failed' }) >= 1;
    }, 'the failed order to be counted', 10_000);
    expect(sample(text, 'commerce_order_status_changes', { status: 'confirmed', task_queue: taskQueue })).toBe(1);
    expect(sample(text, 'commerce_activity_failures', { activity_type: 'reserveStock', failure_type: 'out_of_stock', retryable: 'false' })).toBe(1);
    // The order's status writes after its payment run as local activities (confirmed, awaiting fulfillment); its reservation as an ordinary one.
    expect(sample(text, 'temporal_local_activity_execution_latency_count', { activity_type: 'setOrderStatus' })).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'temporal_activity_execution_latency_count', { activity_type: 'reserveStock' })).toBeGreaterThanOrEqual(1);

    second.process.kill('SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null });
  });

  it('does not wait past its grace period for an activity that cannot finish, and the order still completes on a new worker', async () => {
    const taskQueue = uniqueTaskQueue('sigterm-grace');
    const env = { DATABASE_URL: db.url, TEMPORAL_ADDRESS: required('TEST_TEMPORAL_ADDRESS'), TEMPORAL_TASK_QUEUE: taskQueue, WORKER_SHUTDOWN_GRACE: '1s' };
    const first = startService('workers/main.ts', env);
    services.push(first);
    await first.waitFor(/"msg":"worker polling"/);

    const placed = await placeTestOrder(db, { items: [{ sku: 'MUG-1', quantity: 2 }] }); // the test above sold the tees out
    const lock = await lockInventoryRow(db.url, 'MUG-1');
    try {
      await client.workflow.start('checkout', { workflowId: workflowIds.checkout(placed.orderId), taskQueue, args: [checkoutInputOf(placed)] });
      await until(async () => (await lock.waiting()) > 0, 'reserveStock to be running (blocked on the row lock)');

      // The activity is stuck in the database and never notices the cancellation the grace period ends
      // with: the worker gives up 10 s after the grace (shutdownForceTime) and exits within 5 s more, non-zero.
      const stoppedAt = Date.now();
      first.process.kill('SIGTERM');
      expect(await first.exited).toEqual({ code: 1, signal: null });
      expect(Date.now() - stoppedAt).toBeLessThan(1_000 + 10_000 + 5_000 + 3_000);
      expect(first.output()).toContain('The worker did not stop cleanly');
    } finally {
      await lock.release(); // the worker's connection went with its process: the blocked reservation rolled back
    }

    // Temporal retries the abandoned attempt on the next worker after its start-to-close timeout (30 s).
    const second = startService('workers/main.ts', { ...env, WORKER_SHUTDOWN_GRACE: '10s' });
    services.push(second);
    await until(async () => DONE.includes(await orderStatus(placed.orderId)), 'the order to complete on the new worker', 60_000);
    const reservations = await db.orm.em.fork().getConnection().execute<{ sku: string; quantity: number }[]>(
      'select sku, quantity from reservations where order_id = ? order by sku', [placed.orderId]);
    expect(reservations).toEqual([{ sku: 'MUG-1', quantity: 2 }]); // reserved once
    second.process.kill('SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null });
  }, 120_000);
});

describe('SIGTERM on the API', () => {
  let worker: TestWorker | undefined;
  afterAll(async () => worker?.stop());

  it('goes not-ready, stops accepting, answers the request in flight, closes its pools and exits 0', async () => {
    worker = await startCheckoutWorker(db);
    const port = await freePort();
    const api = startService('src/api/main.ts', { DATABASE_URL: db.url, TEMPORAL_ADDRESS: required('TEST_TEMPORAL_ADDRESS'),
      TEMPORAL_TASK_QUEUE: worker.taskQueue, HOST: '127.0.0.1', PORT: String(port), API_DRAIN_DELAY: '1s' });
    services.push(api);
    await api.waitFor(/"msg":"API listening"/);
    const url = `http://127.0.0.1:${port}`;
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

    const cart = (await (await post('/carts', {})).json()) as { id: string };
    expect((await post(`/carts/${cart.id}/items`, { sku: 'MUG-1', quantity: 1 })).status).toBe(200);
    const lock = await lockInventoryRow(db.url, 'MUG-1');
    let settled = false;
    const inFlight = post(`/carts/${cart.id}/checkout`, { email: 'ada@example.com', shippingAddress: ADDRESS, paymentMethod: 'pm_card_visa' },
      { 'Idempotency-Key': `sigterm-${Date.now()}` }).finally(() => { settled = true; });
    await until(async () => (await lock.waiting()) > 0, 'the checkout to be in flight (its reservation blocked on the row lock)');

    api.process.kill('SIGTERM');
    await api.waitFor(/API draining/);
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(503);
    expect(ready.headers.get('connection')).toBe('close');

    await api.waitFor(/API listener closed/, 5000); // after API_DRAIN_DELAY
    const refused = await fetch(`${url}/healthz`).then(() => 'answered', (err: Error & { cause?: { code?: string } }) => err.cause?.code);
    expect(refused).toBe('ECONNREFUSED');
    expect(settled).toBe(false);
    expect(api.hasExited()).toBe(false);

    await lock.release();
    const answer = await inFlight;
    expect(answer.status).toBe(202);
    const { orderId } = (await answer.json()) as { orderId: string };
    expect(await api.exited).toEqual({ code: 0, signal: null });
    expect(api.output()).toContain('Temporal connection and database pool closed');
    await until(async () => DONE.includes(await orderStatus(orderId)), 'the order placed during shutdown to reach awaiting_fulfillment');
  });
});
