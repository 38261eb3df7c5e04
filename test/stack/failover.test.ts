/**
 * What only the production topology can show: orders keep flowing through both API processes while
 * a worker process is killed outright (SIGKILL: no drain, its activities die with it) and while the
 * Temporal server is stopped and started again on its PostgreSQL. Every order the API accepted (202)
 * must ship, and nothing may be lost or done twice: one order per Idempotency-Key, one payment and one
 * capture of the right amount at the provider, one reservation per line, stock down by exactly what
 * shipped, each message sent once.
 *
 * A storefront retries a checkout that got no answer or a 5xx with the same Idempotency-Key (the
 * API's 503 says to), so orders placed while the server is down are accepted once it is back.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { Client as PgClient } from 'pg';
import { tsToMs } from '@temporalio/common/lib/time';
import {
  addProducts, closeClients, logOf, placeOrder, processOf, sql, state, temporalClient, until, waitForOrders, type Placed,
} from './support/stack';
import { temporalServing } from '../../src/stack/services';

afterAll(closeClients);

/** A SIGKILLed worker's activities come back after their start-to-close timeout (30 s for database steps), then run elsewhere. */
const SHIPPED_WITHIN_MS = 150_000;
const FLOW_RATE_PER_S = 3;
/** How long the Temporal server stays down, and how many orders the flow across that outage places (at 3/s, 12 s of them). */
const SERVER_DOWN_MS = 20_000;
const ORDERS_ACROSS_OUTAGE = 36;

interface Flow { placed: Placed[]; retried: number; done: Promise<void> }

/** `count` orders, one every 1/FLOW_RATE_PER_S s, alternating the API processes, each of one or two SKUs; retries as a storefront does. */
function orderFlow(skus: string[], count: number): Flow {
  const flow: Flow = { placed: [], retried: 0, done: Promise.resolve() };
  const apis = state().api;
  flow.done = (async () => {
    const pending: Promise<void>[] = [];
    for (let i = 0; i < count; i++) {
      const items = [{ sku: skus[i % skus.length], quantity: 1 + (i % 2) }, ...(i % 3 === 0 ? [{ sku: skus[(i + 1) % skus.length], quantity: 1 }] : [])];
      pending.push(placeOrder(apis[i % apis.length], items, { retryForMs: 90_000, onRetry: () => { flow.retried += 1; } })
        .then((placed) => { flow.placed.push(placed); }));
      await new Promise((r) => setTimeout(r, 1000 / FLOW_RATE_PER_S));
    }
    await Promise.all(pending);
  })();
  return flow;
}

/** Whether a process runs: not gone, and not a zombie its paused parent has yet to reap (kill(pid, 0) counts those). */
function runningProcess(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** The worker process whose database connection has the given client port (ss maps a local socket to its process). */
function processOwningPort(port: number): number | undefined {
  const line = execFileSync('ss', ['-tnpH', 'state', 'established', `( sport = :${port} )`], { encoding: 'utf8' });
  const pid = /pid=(\d+)/.exec(line)?.[1];
  return pid ? Number(pid) : undefined;
}

async function blockedWorkerPids(): Promise<number[]> {
  const rows = await sql<{ client_port: number }>(`select client_port from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`);
  return rows.map((r) => processOwningPort(r.client_port)).filter((pid): pid is number => pid !== undefined);
}

/** Nothing lost or doubled, for orders that have all shipped: rows of the shop, the provider's ledger, and the messages actually sent. */
async function expectEachOrderDoneOnce(placed: Placed[], stockBefore: Map<string, number>): Promise<void> {
  const ids = placed.map((p) => p.orderId);
  expect(new Set(ids).size).toBe(placed.length);
  const orders = await sql<{ id: string; idempotency_key: string; total_amount: string }>(
    'select id::text, idempotency_key, total_amount from orders where idempotency_key = any($1)', [placed.map((p) => p.idempotencyKey)]);
  expect(orders.map((o) => o.id).sort()).toEqual([...ids].sort());
  const total = new Map(orders.map((o) => [o.id, o.total_amount]));

  const payments = await sql<{ order_id: string; status: string; amount: string; captured_amount: string }>(
    'select order_id::text, status, amount, captured_amount from payments where order_id = any($1::uuid[])', [ids]);
  expect(payments.length).toBe(ids.length);
  for (const p of payments) expect(p).toEqual({ order_id: p.order_id, status: 'captured', amount: total.get(p.order_id), captured_amount: total.get(p.order_id) });
  const intents = await sql<{ order_id: string; status: string; amount_captured: string }>(
    `select metadata->>'orderId' as order_id, status, amount_captured from simulated_payment_intents where metadata->>'orderId' = any($1)`, [ids]);
  expect(intents.length).toBe(ids.length);
  for (const i of intents) expect(i).toEqual({ order_id: i.order_id, status: 'succeeded', amount_captured: total.get(i.order_id) });

  const lines = await sql<{ order_id: string; sku: string; quantity: number }>('select order_id::text, sku, quantity from order_lines where order_id = any($1::uuid[])', [ids]);
  const reservations = await sql<{ order_id: string; sku: string; quantity: number; status: string }>(
    'select order_id::text, sku, quantity, status from reservations where order_id = any($1::uuid[])', [ids]);
  const key = (r: { order_id: string; sku: string; quantity: number }) => `${r.order_id}/${r.sku}/${r.quantity}`;
  expect(reservations.map(key).sort()).toEqual(lines.map(key).sort());
  expect(reservations.filter((r) => r.status !== 'committed')).toEqual([]);
  const shippedQuantity = new Map<string, number>();
  for (const l of lines) shippedQuantity.set(l.sku, (shippedQuantity.get(l.sku) ?? 0) + l.quantity);
  for (const [sku, before] of stockBefore) {
    expect(await sql('select sku, on_hand, reserved from inventory where sku = $1', [sku])).toEqual([{ sku, on_hand: before - (shippedQuantity.get(sku) ?? 0), reserved: 0 }]);
  }
  expect(await sql('select count(*)::int as n from shipments where order_id = any($1::uuid[])', [ids])).toEqual([{ n: ids.length }]);

  // Messages: one outbox row per order, template and channel (order_confirmed and shipped, by e-mail: no phone given); the
  // "shipped" e-mail follows the status, through the notification queue's rate limit, so it may still be on its way.
  const settled = `select id::text, order_id::text, template, channel, status from notifications
    where order_id = any($1::uuid[]) and status in ('sent', 'sending', 'failed')`;
  await until(async () => (await sql(settled, [ids])).length >= ids.length * 2, 'every order\'s two messages settled', 60_000);
  const messages = await sql<{ id: string; order_id: string; template: string; channel: string; status: string }>(settled, [ids]);
  expect(await sql('select count(*)::int as n from notifications where order_id = any($1::uuid[])', [ids])).toEqual([{ n: ids.length * 2 }]);
  // What the provider was asked to send: the simulated notifier's own line, in whichever worker's log (a killed one's
  // included), under the message's idempotency key, its outbox row's id (activities/outbox.ts).
  const sends = new Map<string, number>();
  for (const name of state().processes.filter((p) => p.service === 'worker').map((p) => p.name)) {
    for (const line of logOf(name).split('\n').filter((l) => l.startsWith('{'))) {
      const entry = JSON.parse(line) as { msg?: string; messageId?: string };
      if (entry.messageId && entry.msg?.startsWith('simulated ')) sends.set(entry.messageId, (sends.get(entry.messageId) ?? 0) + 1);
    }
  }
  for (const m of messages) {
    const sent = sends.get(`sim-${m.channel}-${m.id}`) ?? 0;
    // 'sending' is a send cut off by the kill: it may or may not have gone, and is never sent again by itself (support resends it).
    expect({ ...m, sent }).toEqual({ ...m, sent: m.status === 'sent' ? 1 : m.status === 'sending' ? Math.min(sent, 1) : 0 });
  }
}

interface ActivityStart { orderId: string; activity: string; attempt: number; identity: string; at: number }

/** Every activity of the orders' checkout workflows started at or after `since`, by whom and at which attempt. */
async function activityStarts(orders: Placed[], since: number): Promise<ActivityStart[]> {
  const client = await temporalClient();
  const starts: ActivityStart[] = [];
  for (const { orderId } of orders) {
    const events = (await client.workflow.getHandle(`checkout-${orderId}`).fetchHistory()).events ?? [];
    const scheduled = new Map(events.filter((e) => e.activityTaskScheduledEventAttributes)
      .map((e) => [String(e.eventId), e.activityTaskScheduledEventAttributes!.activityType?.name ?? '?']));
    for (const e of events) {
      const started = e.activityTaskStartedEventAttributes;
      if (!started || tsToMs(e.eventTime) < since) continue;
      starts.push({ orderId, activity: scheduled.get(String(started.scheduledEventId)) ?? '?', attempt: started.attempt ?? 1,
        identity: started.identity ?? '', at: tsToMs(e.eventTime) });
    }
  }
  return starts;
}

/** The time (ms) of the first `msg` line the process logged since its last start (the supervisor heads each start with "=== "). */
function loggedSinceLastStart(log: string, msg: string): number {
  const sinceStart = log.slice(log.lastIndexOf('\n=== '));
  for (const line of sinceStart.split('\n').filter((l) => l.startsWith('{'))) {
    const entry = JSON.parse(line) as { msg?: string; time?: number };
    if (entry.msg === msg && entry.time) return entry.time;
  }
  throw new Error(`no "${msg}" line since the process's last start`);
}

async function stockOf(skus: string[]): Promise<Map<string, number>> {
  const rows = await sql<{ sku: string; on_hand: number }>('select sku, on_hand from inventory where sku = any($1)', [skus]);
  return new Map(rows.map((r) => [r.sku, r.on_hand]));
}

describe('failures on the production topology', () => {
  it('a worker process killed mid-activity while orders flow: the other worker takes its work over and every accepted order ships once', async () => {
    const flowSkus = await addProducts(4, 1000, 1100);
    const [lockedSku] = await addProducts(1, 1000, 1300);
    const stockBefore = await stockOf([...flowSkus, lockedSku]);

    // Hold the locked SKU's inventory row: the reserveStock activities of its orders block inside PostgreSQL, on whichever worker took them.
    const lock = new PgClient({ connectionString: state().databaseUrl });
    await lock.connect();
    await lock.query('begin');
    await lock.query('select sku from inventory where sku = $1 for update', [lockedSku]);
    const apis = state().api;
    const lockedOrders = Array.from({ length: 6 }, (_, i) => placeOrder(apis[i % 2], [{ sku: lockedSku, quantity: 1 }], { retryForMs: 90_000 }));
    let victims: number[] = [];
    await until(async () => (victims = await blockedWorkerPids()).length >= 6, 'six reserveStock activities blocked on the locked row', 60_000);
    const workers = state().processes.filter((p) => p.service === 'worker' && p.running);
    const victim = workers.find((w) => victims.includes(w.pid!))!;
    const survivor = workers.find((w) => w.name !== victim.name)!;
    const inFlightOnVictim = victims.filter((pid) => pid === victim.pid).length;
    expect(inFlightOnVictim).toBeGreaterThan(0);

    const flow = orderFlow(flowSkus, 24);
    await new Promise((r) => setTimeout(r, 2000));
    const killedAt = Date.now();
    process.kill(victim.pid!, 'SIGKILL');
    await lock.query('commit');
    await lock.end();
    const locked = await Promise.all(lockedOrders);
    await flow.done;
    const placed = [...locked, ...flow.placed];
    await waitForOrders(placed.map((p) => p.orderId), ['shipped'], SHIPPED_WITHIN_MS);

    // The supervisor restarted the killed worker (restart: unless-stopped), as Docker would.
    expect(processOf(victim.name).restarts).toBeGreaterThanOrEqual(1);
    expect(processOf(victim.name).pid).not.toBe(victim.pid);
    expect(readFileSync(process.env.STACK_TEST_OUTPUT!, 'utf8')).toMatch(new RegExp(`${victim.name} exited \\(SIGKILL\\); restarting it`));
    // Who ran what after the kill: only the survivor until the killed worker's replacement polled again, and the
    // killed worker's reserveStock again (a second attempt) by another process.
    const replacement = processOf(victim.name);
    const replacementPolling = loggedSinceLastStart(logOf(victim.name), 'worker polling');
    const identity = (pid: number) => `${pid}@${hostname()}`;
    const afterKill = await activityStarts(placed, killedAt);
    expect(afterKill.filter((s) => ![identity(survivor.pid!), identity(replacement.pid!)].includes(s.identity))).toEqual([]);
    const beforeReplacement = afterKill.filter((s) => s.at < replacementPolling);
    expect(beforeReplacement.length).toBeGreaterThan(0);
    expect(beforeReplacement.filter((s) => s.identity !== identity(survivor.pid!))).toEqual([]);
    const retried = afterKill.filter((s) => s.attempt > 1 && s.activity === 'reserveStock');
    process.stdout.write(`[failover] ${victim.name} killed with ${inFlightOnVictim} reserveStock activities in flight; its replacement polled `
      + `${((replacementPolling - killedAt) / 1000).toFixed(1)} s later; ${beforeReplacement.length} activities ran on ${survivor.name} meanwhile; `
      + `${retried.length} reserveStock ran again (attempt 2) on ${[...new Set(retried.map((r) => r.identity))].join(', ')}; ${placed.length} orders shipped\n`);
    expect(retried.length).toBeGreaterThanOrEqual(inFlightOnVictim);
    await expectEachOrderDoneOnce(placed, stockBefore);
  });

  it('the Temporal server stopped for 20 s and started again on its PostgreSQL mid-flight: refused checkouts retried, every accepted order ships once', async () => {
    const skus = await addProducts(4, 1000, 900);
    const stockBefore = await stockOf(skus);
    const flow = orderFlow(skus, ORDERS_ACROSS_OUTAGE);
    await until(() => flow.placed.length >= 6, 'the first orders accepted', 30_000);
    const server = processOf('temporal');
    const inFlight = await sql<{ n: number }>(`select count(*)::int as n from orders where id = any($1::uuid[]) and status <> 'shipped'`,
      [flow.placed.map((p) => p.orderId)]);
    // The supervisor would start the server again within 100 ms (restart: unless-stopped). Pausing it (SIGSTOP to its
    // process group) keeps the server down for a while, as `docker compose stop temporal` then `start` would; the
    // processes it runs carry on. Down longer than the API waits for Temporal (15 s), so checkouts are refused meanwhile.
    const stack = Number(process.env.STACK_TEST_PGID);
    process.kill(-stack, 'SIGSTOP');
    let stoppedAt = 0;
    try {
      process.kill(server.pid!, 'SIGTERM');
      await until(() => !runningProcess(server.pid!), 'the server to stop', 60_000);
      stoppedAt = Date.now();
      await new Promise((r) => setTimeout(r, SERVER_DOWN_MS));
    } finally {
      process.kill(-stack, 'SIGCONT');
    }
    await until(() => processOf('temporal').pid !== server.pid, 'the supervisor to start the server again', 60_000);
    await until(() => temporalServing(state().temporalAddress).catch(() => false), 'the server serving again', 60_000);
    const outageMs = Date.now() - stoppedAt;
    await flow.done;
    await waitForOrders(flow.placed.map((p) => p.orderId), ['shipped'], SHIPPED_WITHIN_MS);
    process.stdout.write(`[failover] Temporal server down for ${(outageMs / 1000).toFixed(1)} s; ${inFlight[0].n} orders in flight at the stop; `
      + `${flow.retried} requests refused or unanswered meanwhile, retried with the same Idempotency-Key\n`);
    expect(inFlight[0].n).toBeGreaterThan(0);
    expect(flow.retried).toBeGreaterThan(0);
    expect(flow.placed).toHaveLength(ORDERS_ACROSS_OUTAGE);
    await expectEachOrderDoneOnce(flow.placed, stockBefore);
  });
});
