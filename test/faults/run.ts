/**
 * The fault suite (`npm run test:faults`; CI runs it with small counts, docs/robustness.md): the real
 * API and worker as processes of their own, on a PostgreSQL and a Temporal dev server (on its SQLite
 * file) of their own, all on loopback, e-mail through the real SendGrid SDK to a recording endpoint
 * and payments on the simulated provider slowed down (SIMULATED_PAYMENT_LATENCY) so a kill can land
 * while its call is in flight. Shoppers place orders through the REST API, retrying as a storefront
 * should (the same Idempotency-Key, after Retry-After), while the suite
 *   (a) SIGKILLs the worker again and again, while an authorization is in flight, and restarts it;
 *   (b) restarts PostgreSQL;
 *   (c) restarts the Temporal dev server on its database file;
 * then waits for every order to settle and prints a table. It exits 1 when an order was lost, a card
 * was held or charged twice, a message went twice, or stock does not add up.
 *
 * FAULTS_ORDERS (orders to accept, default 60), FAULTS_SHOPPERS (concurrent shoppers, 4),
 * FAULTS_WORKER_KILLS (5), FAULTS_PROVIDER_LATENCY (1500ms), FAULTS_DEADLINE (seconds for the whole run, 900).
 */
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client as PgClient } from 'pg';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/db/embedded';
import { closeOrm, createOrm, migrate } from '../../src/db/orm';
import { insertProducts } from '../../src/db/seed';
import { requireTool } from '../../src/temporal/binaries';
import { freePort, startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { startRecordingServer, type RecordingServer } from '../support/recording-server';
import { killService, startService, type Service } from '../support/processes';

const ORDERS = Number(process.env.FAULTS_ORDERS ?? 60);
const SHOPPERS = Number(process.env.FAULTS_SHOPPERS ?? 4);
const WORKER_KILLS = Number(process.env.FAULTS_WORKER_KILLS ?? 5);
const LATENCY = process.env.FAULTS_PROVIDER_LATENCY ?? '1500ms';
const DEADLINE_MS = Number(process.env.FAULTS_DEADLINE ?? 900) * 1000;

const STOCK = 100_000;
const SKUS = ['FAULT-MUG', 'FAULT-TEE'];
/** Settled: shipped (with auto-pack the warehouse ships at once), or rolled back for good. */
const SETTLED = ['shipped', 'delivered', 'cancelled', 'failed'];
const ADDRESS = { name: 'Ada Lovelace', line1: '12 Analytical St', city: 'London', postalCode: 'N1 9GU', country: 'GB' };

interface World {
  dir: string;
  pgPort: number;
  pg?: EmbeddedDatabase;
  databaseUrl: string;
  temporalPort: number;
  temporal?: DevServer;
  mail?: RecordingServer;
  worker?: Service;
  api?: Service;
  apiUrl: string;
  workerEnv: Record<string, string>;
}

interface FaultRecord { fault: string; detail: string; recoveredMs: number }

const started = Date.now();
const log = (line: string) => process.stdout.write(`[faults ${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pastDeadline = () => Date.now() - started > DEADLINE_MS;

/** One statement on a connection of its own: survives the database's restarts (retried while it is down). */
async function sql<T>(world: World, text: string, params: unknown[] = []): Promise<T[]> {
  for (let attempt = 1; ; attempt++) {
    const client = new PgClient({ connectionString: world.databaseUrl });
    try {
      await client.connect();
      return (await client.query(text, params)).rows as T[];
    } catch (err) {
      if (attempt >= 60) throw err;
      await sleep(500);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

async function startPostgres(world: World): Promise<void> {
  world.pg = await startEmbeddedPostgres({ dataDir: join(world.dir, 'pg'), port: world.pgPort, database: 'shop', persistent: true, durable: true });
}

async function startTemporal(world: World): Promise<void> {
  world.temporal = await startDevServer({ executable: requireTool('cli').path, dbFile: join(world.dir, 'temporal.db'),
    port: world.temporalPort, headless: true });
}

async function startWorker(world: World): Promise<void> {
  world.worker = startService('workers/main.ts', world.workerEnv);
  await world.worker.waitFor(/"msg":"worker polling"/, 120_000);
}

async function setUp(): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'commerce-faults-'));
  chmodSync(dir, 0o755); // PostgreSQL runs as its own system user when this runs as root
  const [pgPort, temporalPort, apiPort, metricsPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const world: World = { dir, pgPort, temporalPort, databaseUrl: `postgres://commerce:commerce@127.0.0.1:${pgPort}/shop`,
    apiUrl: `http://127.0.0.1:${apiPort}`, workerEnv: {} };
  await Promise.all([startPostgres(world), startTemporal(world)]);
  world.databaseUrl = world.pg!.url;
  const orm = await createOrm(world.databaseUrl);
  await migrate(orm);
  await insertProducts(orm.em.fork(), [{ handle: 'fault-mug', title: 'Fault mug', description: '', variants: [
    { sku: SKUS[0], title: 'Mug', prices: { USD: 1200 }, onHand: STOCK }] },
  { handle: 'fault-tee', title: 'Fault tee', description: '', variants: [{ sku: SKUS[1], title: 'Tee', prices: { USD: 2500 }, onHand: STOCK }] }]);
  await closeOrm(orm);
  // SendGrid's API as a recording endpoint: every e-mail the worker sends is counted by its outbox id.
  world.mail = await startRecordingServer(() => ({ status: 202, headers: { 'X-Message-Id': `sg-${randomUUID()}` } }));
  const common = { DATABASE_URL: world.databaseUrl, TEMPORAL_ADDRESS: world.temporal!.address, LOG_LEVEL: 'info',
    FULFILLMENT_AUTO_PACK: 'true', SENDGRID_API_KEY: 'SG.faults', SENDGRID_FROM_EMAIL: 'shop@example.com', SENDGRID_API_BASE: world.mail.url };
  world.workerEnv = { ...common, SIMULATED_PAYMENT_LATENCY: LATENCY, WORKER_METRICS_PORT: String(metricsPort), WORKER_SHUTDOWN_GRACE: '1s' };
  // Every shopper here shares one address: the abuse limits would stop them, which is not what this measures.
  const unlimited = Object.fromEntries(['CARTS_PER_IP', 'CHECKOUTS_PER_IP', 'DECLINES_PER_CART', 'DECLINES_PER_IP'].map((n) => [`RATE_LIMIT_${n}`, 'off']));
  world.api = startService('src/api/main.ts', { ...common, ...unlimited, HOST: '127.0.0.1', PORT: String(apiPort), API_DRAIN_DELAY: '0s' });
  await world.api.waitFor(/"msg":"API listening"/, 120_000);
  await startWorker(world);
  return world;
}

async function tearDown(world: World | undefined): Promise<void> {
  if (!world) return;
  killService(world.api);
  killService(world.worker);
  await world.temporal?.stop().catch(() => undefined);
  await world.pg?.stop().catch(() => undefined);
  await world.mail?.close();
  rmSync(world.dir, { recursive: true, force: true });
}

type Answer = { status: number; body: Record<string, unknown> | undefined; retryAfter: number };

async function call(world: World, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  try {
    const res = await fetch(world.apiUrl + path, { method, signal: AbortSignal.timeout(60_000),
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) as Record<string, unknown> : undefined, retryAfter: Number(res.headers.get('retry-after') ?? 1) };
  } catch {
    return { status: 0, body: undefined, retryAfter: 1 }; // no answer (connection refused or reset, timed out)
  }
}

/** As a storefront should: a request that got no answer, or a 5xx, is sent again unchanged (the same Idempotency-Key) after Retry-After. */
async function persistently(world: World, what: string, send: () => Promise<Answer>, ok: (a: Answer) => boolean): Promise<Answer> {
  for (;;) {
    const answer = await send();
    if (ok(answer)) return answer;
    if (answer.status > 0 && answer.status < 500) throw new Error(`${what} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    if (pastDeadline()) throw new Error(`${what}: no answer before the deadline (last ${answer.status})`);
    await sleep(Math.min(answer.retryAfter, 5) * 1000);
  }
}

interface Shop { accepted: Map<string, { declined: boolean }>; retried: number; cards: number }

/** One order through the REST API: a cart, a line, a checkout; answers the order id once the API accepted it (202). */
async function placeOne(world: World, shop: Shop, n: number): Promise<void> {
  const cart = await persistently(world, 'POST /carts', () => call(world, 'POST', '/carts', { currency: 'USD' }), (a) => a.status === 201);
  const cartId = String(cart.body!.id);
  await persistently(world, 'add item', () => call(world, 'POST', `/carts/${cartId}/items`, { sku: SKUS[n % 2], quantity: 1 + (n % 3) }),
    (a) => a.status === 200);
  // One order in ten is declined: its rollback (stock released, customer told) runs under the same faults.
  const declined = n % 10 === 9;
  const key = `faults-${randomUUID()}`;
  let attempts = 0;
  const placed = await persistently(world, 'checkout', () => {
    attempts += 1;
    return call(world, 'POST', `/carts/${cartId}/checkout`, { email: `shopper${n}@example.com`, shippingAddress: ADDRESS,
      paymentMethod: declined ? 'pm_card_chargeDeclined' : 'pm_card_visa' }, { 'Idempotency-Key': key });
  }, (a) => a.status === 202);
  shop.retried += attempts - 1;
  shop.accepted.set(String(placed.body!.orderId), { declined });
}

/** Shoppers place orders until the faults are over and enough were accepted. */
async function shoppers(world: World, shop: Shop, faultsOver: () => boolean): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: SHOPPERS }, async () => {
    while ((!faultsOver() || shop.accepted.size < ORDERS) && !pastDeadline()) {
      await placeOne(world, shop, next++);
    }
  }));
}

/** Time until the system takes an order and authorizes its payment again, after a fault ended. */
async function recovery(world: World, since: number): Promise<number> {
  const cart = await persistently(world, 'probe cart', () => call(world, 'POST', '/carts', { currency: 'USD' }), (a) => a.status === 201);
  const cartId = String(cart.body!.id);
  await persistently(world, 'probe item', () => call(world, 'POST', `/carts/${cartId}/items`, { sku: SKUS[0], quantity: 1 }), (a) => a.status === 200);
  const key = `probe-${randomUUID()}`;
  await persistently(world, 'probe checkout', () => call(world, 'POST', `/carts/${cartId}/checkout`,
    { email: 'probe@example.com', shippingAddress: ADDRESS, paymentMethod: 'pm_card_visa' }, { 'Idempotency-Key': key }),
  (a) => a.status === 202 && (a.body?.payment as { status?: string } | undefined)?.status === 'authorized');
  return Date.now() - since;
}

async function inFlightAuthorizations(world: World): Promise<number> {
  const [row] = await sql<{ n: number }>(world, `select count(*)::int as n from payments where status = 'pending'`);
  return row.n;
}

async function faults(world: World, shop: Shop): Promise<FaultRecord[]> {
  const records: FaultRecord[] = [];
  while (shop.accepted.size < Math.max(2, ORDERS / 10) && !pastDeadline()) await sleep(200);
  for (let k = 1; k <= WORKER_KILLS; k++) {
    // Wait (a little) for an authorization in flight: the kill lands between the request and the answer.
    const waitUntil = Date.now() + 15_000;
    let inFlight = await inFlightAuthorizations(world);
    while (inFlight === 0 && Date.now() < waitUntil) {
      await sleep(50);
      inFlight = await inFlightAuthorizations(world);
    }
    world.worker!.process.kill('SIGKILL');
    await world.worker!.exited;
    log(`worker SIGKILLed (${k}/${WORKER_KILLS}) with ${inFlight} authorization(s) in flight`);
    await sleep(1000);
    const restarted = Date.now();
    await startWorker(world);
    records.push({ fault: `worker SIGKILL ${k}`, detail: `${inFlight} authorization(s) in flight`, recoveredMs: await recovery(world, restarted) });
    await sleep(2000);
  }
  await world.pg!.stop();
  log('PostgreSQL stopped');
  await sleep(3000);
  let restarted = Date.now();
  await startPostgres(world);
  log('PostgreSQL started again');
  records.push({ fault: 'PostgreSQL restart', detail: 'down 3 s, then started on its data directory', recoveredMs: await recovery(world, restarted) });
  await sleep(2000);
  await world.temporal!.stop();
  log('Temporal dev server stopped');
  await sleep(3000);
  restarted = Date.now();
  await startTemporal(world);
  log('Temporal dev server started again on its database file');
  records.push({ fault: 'Temporal restart', detail: 'down 3 s, then started on its SQLite file', recoveredMs: await recovery(world, restarted) });
  return records;
}

interface Outcome { settled: number; lost: string[]; byStatus: Record<string, number> }

async function settle(world: World, orderIds: string[]): Promise<Outcome> {
  for (;;) {
    const rows = await sql<{ id: string; status: string }>(world, 'select id, status from orders where id = any($1::uuid[])', [orderIds]);
    const byStatus: Record<string, number> = {};
    for (const r of rows) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
    const settled = rows.filter((r) => SETTLED.includes(r.status));
    const found = new Set(rows.map((r) => r.id));
    const missing = orderIds.filter((id) => !found.has(id));
    if (settled.length === orderIds.length || pastDeadline()) {
      return { settled: settled.length, byStatus, lost: [...missing, ...rows.filter((r) => !SETTLED.includes(r.status)).map((r) => `${r.id} (${r.status})`)] };
    }
    await sleep(1000);
  }
}

async function ledger(world: World) {
  const [dupAuth] = await sql<{ n: number }>(world, `select count(*)::int as n from (select metadata->>'orderId' from simulated_payment_intents
    group by 1 having count(*) > 1) d`);
  const [dupCapture] = await sql<{ n: number }>(world, `select count(*)::int as n from (select metadata->>'orderId' from simulated_payment_intents
    group by 1 having count(*) filter (where amount_captured > 0) > 1 or sum(amount_captured) > max(amount)) d`);
  const [notVoided] = await sql<{ n: number }>(world, `select count(*)::int as n from simulated_payment_intents i join orders o on o.id::text = i.metadata->>'orderId'
    where o.status in ('cancelled', 'failed') and i.status = 'requires_capture'`);
  const stock = await sql<{ sku: string; on_hand: number; reserved: number; held: number; left: number }>(world, `select i.sku, i.on_hand, i.reserved,
      coalesce(sum(r.quantity) filter (where r.status = 'reserved'), 0)::int as held,
      coalesce(sum(r.quantity) filter (where r.status = 'committed'), 0)::int as left
    from inventory i left join reservations r on r.sku = i.sku where i.sku = any($1) group by i.sku, i.on_hand, i.reserved order by i.sku`, [SKUS]);
  const stockOk = stock.every((s) => s.reserved === s.held && s.on_hand === STOCK - s.left);
  const sends = new Map<string, number>();
  for (const req of world.mail!.requests) {
    const id = /"outbox_id":"([^"]+)"/.exec(req.body)?.[1] ?? `?${sends.size}`;
    sends.set(id, (sends.get(id) ?? 0) + 1);
  }
  const [inDoubt] = await sql<{ n: number }>(world, `select count(*)::int as n from notifications where last_error like 'in doubt%' or status = 'sending'`);
  return { dupAuth: dupAuth.n, dupCapture: dupCapture.n, notVoided: notVoided.n, stock, stockOk,
    dupMessages: [...sends.values()].filter((n) => n > 1).length, messages: sends.size, inDoubt: inDoubt.n };
}

function table(rows: [string, string | number, string?][]): string {
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v, note]) => `  ${k.padEnd(w)}  ${String(v).padStart(8)}${note ? `  ${note}` : ''}`).join('\n');
}

async function main(): Promise<number> {
  let world: World | undefined;
  try {
    world = await setUp();
    log(`up: API ${world.apiUrl}, worker, PostgreSQL on ${world.pgPort}, Temporal on ${world.temporal!.address}; `
      + `${ORDERS} orders by ${SHOPPERS} shoppers, ${WORKER_KILLS} worker kills, provider latency ${LATENCY}`);
    const shop: Shop = { accepted: new Map(), retried: 0, cards: 0 };
    let over = false;
    const load = shoppers(world, shop, () => over);
    const records = await faults(world, shop).finally(() => { over = true; });
    await load;
    log(`${shop.accepted.size} orders accepted; waiting for every one to settle`);
    const settledAt = Date.now();
    const outcome = await settle(world, [...shop.accepted.keys()]);
    const books = await ledger(world);
    const declined = [...shop.accepted.values()].filter((o) => o.declined).length;
    const pass = outcome.lost.length === 0 && books.dupAuth === 0 && books.dupCapture === 0 && books.dupMessages === 0 && books.stockOk && books.notVoided === 0;
    process.stdout.write(`\nFault suite: ${pass ? 'PASSED' : 'FAILED'}\n${table([
      ['orders accepted (202)', shop.accepted.size, `${declined} with a declined card`],
      ['orders settled', outcome.settled, Object.entries(outcome.byStatus).map(([s, n]) => `${s} ${n}`).join(', ')],
      ['orders lost', outcome.lost.length, outcome.lost.slice(0, 5).join(' ') || 'must be 0'],
      ['checkout requests retried', shop.retried, 'same Idempotency-Key after no answer or a 5xx'],
      ['duplicate authorizations', books.dupAuth, 'orders with more than one hold: must be 0'],
      ['duplicate captures', books.dupCapture, 'orders charged more than once or more than the hold: must be 0'],
      ['holds left on rolled-back orders', books.notVoided, 'must be 0'],
      ['e-mails sent', books.messages],
      ['duplicate e-mails', books.dupMessages, 'outbox ids sent more than once: must be 0'],
      ['e-mails in doubt', books.inDoubt, 'a kill between send and record: reported, never sent twice'],
      ['stock consistent', books.stockOk ? 'yes' : 'NO', books.stock.map((s) => `${s.sku}: on hand ${s.on_hand} = ${STOCK} - ${s.left} shipped, `
        + `reserved ${s.reserved} = ${s.held} held`).join('; ')],
      ['settled after the last fault', `${((Date.now() - settledAt) / 1000).toFixed(1)} s`],
    ])}\n\nTime to recover (until a new order is taken and its payment authorized):\n${table(records.map((r) =>
      [r.fault, `${(r.recoveredMs / 1000).toFixed(1)} s`, r.detail]))}\n\n`);
    return pass ? 0 : 1;
  } catch (err) {
    process.stderr.write(`Fault suite could not run to the end: ${err instanceof Error ? err.stack : String(err)}\n`);
    if (world?.worker) process.stderr.write(`--- worker output (last 4000 characters)\n${world.worker.output().slice(-4000)}\n`);
    if (world?.api) process.stderr.write(`--- API output (last 4000 characters)\n${world.api.output().slice(-4000)}\n`);
    return 1;
  } finally {
    await tearDown(world);
  }
}

main().then((code) => process.exit(code), (err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
