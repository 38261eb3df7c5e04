/**
 * The load: shoppers checking out through the REST API, and the yardstick workflows started through a
 * Temporal client, driven the same two ways:
 * - closed loop (`concurrency` shoppers, each starting its next order once the last one is done):
 *   the throughput figure, with the system saturated;
 * - paced (a new order every 1/rate seconds whatever happens): the latency figure, at a load the
 *   system can carry, so the latency is the work and not the queue in front of it.
 *
 * "Done" is the end of the pipeline: the order's parcel dispatched (the row reads `shipped`; the
 * checkout workflow itself goes on, tracking the parcel), a yardstick workflow completed. The exact times of
 * each step are read afterwards from the workflow histories (history.ts); during the run a shopper
 * only needs to know when to start its next order. For a yardstick that is its result; for
 * a checkout the 202 already says the payment is authorized, and OrderWatcher then watches the
 * orders table with one indexed query every few milliseconds for all orders in flight. That costs
 * PostgreSQL far less than polling GET /orders/:id (a database read plus a workflow query that the
 * worker must answer, per order, per poll) or the workflow's `status` query (a worker round trip
 * per order per poll), which would both load the very processes being measured.
 */
import { randomUUID } from 'node:crypto';
import { Client as PgClient } from 'pg';
import type { Client } from '@temporalio/client';
import { bare, bareToHandOver, flat } from './bare-workflows';

export interface Timed {
  id: string; startedAt: number; answeredAt?: number; doneAt: number;
  /** The 202 came before the payment's outcome was known (the API's wait ran out). */
  outcomePending?: boolean;
}

const SHIPPING_ADDRESS = { name: 'Ada Lovelace', line1: '12 St James Square', city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' };
const WATCH_INTERVAL_MS = 10;
/** The order's parcel has left (the benchmark's end of the pipeline); tracking may already have moved it on. */
export const DISPATCHED = ['shipped', 'delivered', 'returned'];
/** Handed over to fulfillment, or further on: where the topology mode (topology.ts) ends, its warehouse never packing. */
export const HANDED_OVER = ['awaiting_fulfillment', ...DISPATCHED];
const FAILED = ['failed', 'cancelled'];
/** A checkout or bare workflow that is not done by then has stalled: the run stops with an error. */
const DONE_TIMEOUT_MS = 60_000;

/** Runs `count` jobs, `concurrency` at a time; returns what each returned and the wall time. */
export async function closedLoop<T>(count: number, concurrency: number, job: (i: number) => Promise<T>): Promise<{ results: T[]; wallMs: number }> {
  const results: T[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) results.push(await job(next++));
  }));
  return { results, wallMs: performance.now() - started };
}

/** Starts one job every 1000/rate ms, without waiting for the previous ones. */
export async function paced<T>(count: number, rate: number, job: (i: number) => Promise<T>): Promise<{ results: T[]; wallMs: number }> {
  const started = performance.now();
  const pending: Promise<T>[] = [];
  for (let i = 0; i < count; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(job(i));
  }
  const results = await Promise.all(pending);
  return { results, wallMs: performance.now() - started };
}

/** A shopper's cart, built before the measurement: the benchmark measures the checkout, not cart building. */
export async function buildCart(api: string, skus: string[]): Promise<string> {
  const cart = await json(api, 'POST', '/carts', { currency: 'USD' }, 201);
  for (const sku of skus) await json(api, 'POST', `/carts/${cart.id}/items`, { sku, quantity: 1 }, 200);
  return cart.id as string;
}

/** POST /carts/:id/checkout with a new Idempotency-Key and Stripe's test Visa; then waits until its parcel is dispatched. */
export async function checkout(api: string, cartId: string, watcher: OrderWatcher): Promise<Timed> {
  const startedAt = Date.now();
  const placed = await json(api, 'POST', `/carts/${cartId}/checkout`,
    { email: 'bench@example.com', shippingAddress: SHIPPING_ADDRESS, paymentMethod: 'pm_card_visa' }, 202, { 'Idempotency-Key': randomUUID() });
  const answeredAt = Date.now();
  // 'pending': the API's wait for the outcome ran out (a saturated machine); the order goes on, and that answer is counted.
  if (!['authorized', 'pending'].includes(placed.payment?.status)) throw new Error(`checkout of cart ${cartId} answered payment ${JSON.stringify(placed.payment)}`);
  await watcher.done(placed.orderId);
  return { id: placed.orderId, startedAt, answeredAt, doneAt: Date.now(), ...(placed.payment.status === 'pending' ? { outcomePending: true } : {}) };
}

/** Starts a yardstick workflow (the structural mirror, or `flat` with `steps` activities) and waits for its result. */
export async function bareRun(client: Client, taskQueue: string, shape: { flatSteps?: number; toHandOver?: boolean }, runId: string, i: number): Promise<Timed> {
  const id = `${runId}-${i}`;
  const startedAt = Date.now();
  const timeout = `${DONE_TIMEOUT_MS}ms`;
  const handle = shape.flatSteps !== undefined
    ? await client.workflow.start(flat, { workflowId: `flat-${id}`, taskQueue, args: [id, shape.flatSteps], workflowExecutionTimeout: timeout })
    : await client.workflow.start(shape.toHandOver ? bareToHandOver : bare, { workflowId: `bare-${id}`, taskQueue, args: [id], workflowExecutionTimeout: timeout });
  await handle.result();
  return { id, startedAt, doneAt: Date.now() };
}

/** Tells each waiting shopper when its order was dispatched (or failed), with one query for all. */
export class OrderWatcher {
  private readonly waiting = new Map<string, { resolve: () => void; reject: (err: Error) => void; since: number }>();
  private timer?: NodeJS.Timeout;
  private polls = 0;

  private constructor(private readonly pg: PgClient, private readonly endStatuses: string[]) {}

  /** `endStatuses`: the statuses that end an order's run (dispatched, or HANDED_OVER for the topology mode). */
  static async connect(databaseUrl: string, endStatuses: string[] = DISPATCHED): Promise<OrderWatcher> {
    const pg = new PgClient({ connectionString: databaseUrl });
    await pg.connect();
    return new OrderWatcher(pg, endStatuses);
  }

  get queries(): number {
    return this.polls;
  }

  done(orderId: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.set(orderId, { resolve, reject, since: Date.now() });
      this.timer ??= setTimeout(() => void this.poll(), WATCH_INTERVAL_MS);
    });
  }

  private async poll(): Promise<void> {
    this.polls += 1;
    try {
      const { rows } = await this.pg.query<{ id: string; status: string }>(
        `select id::text, status from orders where id = any($1::uuid[]) and status = any($2::text[])`,
        [[...this.waiting.keys()], [...this.endStatuses, ...FAILED]]);
      for (const { id, status } of rows) {
        const waiter = this.waiting.get(id);
        this.waiting.delete(id);
        if (this.endStatuses.includes(status)) waiter?.resolve();
        else waiter?.reject(new Error(`order ${id} ended ${status}`));
      }
      for (const [id, waiter] of this.waiting) {
        if (Date.now() - waiter.since > DONE_TIMEOUT_MS) {
          this.waiting.delete(id);
          waiter.reject(new Error(`order ${id} did not reach ${this.endStatuses[0]} within ${DONE_TIMEOUT_MS / 1000} s`));
        }
      }
    } catch (err) {
      for (const waiter of this.waiting.values()) waiter.reject(err as Error);
      this.waiting.clear();
    }
    this.timer = this.waiting.size > 0 ? setTimeout(() => void this.poll(), WATCH_INTERVAL_MS) : undefined;
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    await this.pg.end();
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the bench reads arbitrary JSON answers
async function json(api: string, method: string, path: string, body: unknown, expected: number, headers: Record<string, string> = {}): Promise<any> {
  const res = await fetch(`${api}${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  if (res.status !== expected) throw new Error(`${method} ${path} answered ${res.status} (expected ${expected}): ${text.slice(0, 500)}`);
  return JSON.parse(text);
}
