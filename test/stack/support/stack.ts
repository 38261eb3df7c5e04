/**
 * What the stack tests share: where the running topology is (its state file, rewritten whenever a
 * process starts), a JSON client for its API processes, SQL on its shop database, a Temporal client,
 * `npm run support` as a real process, the processes' own log files, and a catalog of this file's own.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Pool } from 'pg';
import { Client, Connection } from '@temporalio/client';
import { createOrm, closeOrm } from '../../../src/db/orm';
import { insertProducts } from '../../../src/db/seed';
import { requestJson, type ApiResponse, type RequestOptions } from '../../support/api';
import { dataConverterOf } from '../../../src/temporal/codec';
import { payloadCodecFromConfig, payloadKeyEnvironment } from '../../../src/temporal/payload-keys';

export const CARRIER_SECRET = 'stack-test-carrier-webhook-secret-0123';
export const ADDRESS = { name: 'Ada Lovelace', line1: '12 St James Square', city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' };
const ROOT = resolve(__dirname, '..', '..', '..');

export interface ProcessState { name: string; service: string; pid?: number; log: string; restarts: number; running: boolean }
export interface StackState {
  api: string[]; temporalAddress: string; temporalUi: string; databaseUrl: string; temporalDatabaseUrl: string;
  workerMetrics: string[]; namespace: string; processes: ProcessState[];
}

export function stackDir(): string {
  const dir = process.env.STACK_TEST_DATA_DIR;
  if (!dir) throw new Error('STACK_TEST_DATA_DIR is not set: run these tests with `npm run test:stack`.');
  return dir;
}

/** The admin's staff key `npm run stack` made and registered (its banner shows it). */
export function staffKeyFile(): string {
  return join(stackDir(), 'staff-key');
}

/** Read afresh each time: a restarted process has a new pid. */
export function state(): StackState {
  return JSON.parse(readFileSync(join(stackDir(), 'stack.json'), 'utf8')) as StackState;
}

export function processOf(name: string): ProcessState {
  const found = state().processes.find((p) => p.name === name);
  if (!found) throw new Error(`no process ${name} in the stack`);
  return found;
}

/** Every line a process has written, across its restarts. */
export function logOf(name: string): string {
  return readFileSync(processOf(name).log, 'utf8');
}

export type Response = ApiResponse;

/** A request to one of the stack's processes; one that gets no answer in 30 s fails. */
export function request(base: string, method: string, path: string, opts: Omit<RequestOptions, 'timeoutMs'> = {}): Promise<Response> {
  return requestJson(base, method, path, { ...opts, timeoutMs: 30_000 });
}

let pool: Pool | undefined;
export async function sql<T = Record<string, unknown>>(query: string, params: unknown[] = []): Promise<T[]> {
  pool ??= new Pool({ connectionString: state().databaseUrl, max: 4 });
  return (await pool.query(query, params)).rows as T[];
}

let temporal: { client: Client; connection: Connection } | undefined;
export async function temporalClient(): Promise<Client> {
  if (!temporal) {
    const connection = await Connection.connect({ address: state().temporalAddress });
    // The stack's processes encrypt with the key it keeps in its data directory (src/stack/stack.ts): so does this client.
    const codec = payloadCodecFromConfig({ NODE_ENV: 'development' }, { DEV_DATA_DIR: stackDir() });
    temporal = { connection, client: new Client({ connection, namespace: state().namespace, dataConverter: dataConverterOf(codec) }) };
  }
  return temporal.client;
}

export async function closeClients(): Promise<void> {
  await pool?.end();
  await temporal?.connection.close();
  pool = undefined;
  temporal = undefined;
}

/** Products of this test file's own, `stock` units each; returns their SKUs. */
export async function addProducts(count: number, stock: number, priceAmount = 1500): Promise<string[]> {
  const tag = randomBytes(3).toString('hex').toUpperCase();
  const skus = Array.from({ length: count }, (_, i) => `STK-${tag}-${i + 1}`);
  const orm = await createOrm(state().databaseUrl, 1);
  try {
    await insertProducts(orm.em.fork(), skus.map((sku) => ({ handle: sku.toLowerCase(), title: `Stack test ${sku}`, description: 'A product of the stack tests',
      variants: [{ sku, title: 'One size', prices: { USD: priceAmount }, onHand: stock }] })));
  } finally {
    await closeOrm(orm);
  }
  return skus;
}

/** `total`: what the cart showed before checkout (lines, shipping and tax), in minor units: what the order must keep and charge. */
export interface Placed { orderId: string; accessToken: string; idempotencyKey: string; api: string; response: Response; total: number }

/** A cart built and checked out through one API process; the checkout retried with the same key until accepted (as a storefront does). */
export async function placeOrder(api: string, items: { sku: string; quantity: number }[],
  opts: { paymentMethod?: string; phone?: string; retryForMs?: number; onRetry?: () => void } = {}): Promise<Placed> {
  const retry = { forMs: opts.retryForMs ?? 0, onRetry: opts.onRetry };
  const cart = await retrying(() => request(api, 'POST', '/carts'), [201], retry);
  for (const item of items) await retrying(() => request(api, 'POST', `/carts/${cart.body.id}/items`, { body: item }), [200], retry);
  await retrying(() => request(api, 'PUT', `/carts/${cart.body.id}/shipping-address`, { body: ADDRESS }), [200], retry);
  const { options } = (await retrying(() => request(api, 'GET', `/carts/${cart.body.id}/shipping-options`), [200], retry)).body;
  const priced = options.length > 0
    ? await retrying(() => request(api, 'PUT', `/carts/${cart.body.id}/shipping-method`, { body: { methodId: options[0].id } }), [200], retry)
    : await retrying(() => request(api, 'GET', `/carts/${cart.body.id}`), [200], retry);
  const idempotencyKey = randomUUID();
  const response = await retrying(() => request(api, 'POST', `/carts/${cart.body.id}/checkout`, {
    headers: { 'Idempotency-Key': idempotencyKey },
    body: { email: 'ada@example.com', paymentMethod: opts.paymentMethod ?? 'pm_card_visa', ...(opts.phone ? { phone: opts.phone } : {}) },
  }), [202], retry);
  return { orderId: response.body.orderId, accessToken: response.body.accessToken, idempotencyKey, api, response, total: priced.body.pricing.total.amount };
}

/** Repeats a request that got no answer or a 5xx (the server restarting) for up to `forMs`; any other answer is final. */
async function retrying(send: () => Promise<Response>, expected: number[], retry: { forMs: number; onRetry?: () => void }): Promise<Response> {
  const deadline = Date.now() + retry.forMs;
  for (;;) {
    const res = await send().catch((err: Error) => ({ status: 0, headers: new Headers(), body: err.message }) as Response);
    if (expected.includes(res.status)) return res;
    if ((res.status === 0 || res.status >= 500) && Date.now() < deadline) {
      retry.onRetry?.();
      await new Promise((r) => setTimeout(r, 250));
      continue;
    }
    throw new Error(`expected ${expected.join('/')} and got ${res.status}: ${JSON.stringify(res.body)}`);
  }
}

/** Waits until every order's row has one of `statuses`; fails naming the ones that did not. */
export async function waitForOrders(orderIds: string[], statuses: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await sql<{ id: string; status: string }>('select id::text, status from orders where id = any($1::uuid[])', [orderIds]);
    const behind = rows.filter((r) => !statuses.includes(r.status));
    if (behind.length === 0 && rows.length === orderIds.length) return;
    if (Date.now() > deadline) {
      throw new Error(`${behind.length} of ${orderIds.length} orders did not reach ${statuses.join('/')} within ${timeoutMs / 1000} s: `
        + JSON.stringify(behind.slice(0, 10)));
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function until(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Gave up after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface SupportRun { code: number; out: string; err: string; json: any } // eslint-disable-line @typescript-eslint/no-explicit-any

/** `npm run support -- <args> --json` as a process of its own, pointed at the stack the way an operator points it: by environment. */
export function support(...args: string[]): Promise<SupportRun> {
  const { databaseUrl, temporalAddress, namespace } = state();
  return new Promise((done) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli/support.ts', ...args, '--json'], {
      cwd: ROOT, timeout: 60_000,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: databaseUrl, TEMPORAL_ADDRESS: temporalAddress,
        TEMPORAL_NAMESPACE: namespace, STAFF_KEY_FILE: staffKeyFile(), LOG_LEVEL: 'warn',
        // The stack's payload key, as an operator gives the CLI production's PAYLOAD_KEYS: its updates and queries are encrypted like everyone's.
        ...payloadKeyEnvironment(stackDir()) },
    }, (err, stdout, stderr) => {
      let json: unknown;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = undefined;
      }
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: stdout, err: stderr, json });
    });
  });
}

/** One Prometheus counter's total over all its label sets, as a process's /metrics exposes it. */
export async function metricTotal(url: string, name: string): Promise<number> {
  const text = await (await fetch(url, { signal: AbortSignal.timeout(10_000) })).text();
  return text.split('\n').filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
}
