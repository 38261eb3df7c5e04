/**
 * The cart-expiry sweep on the dev server (Schedules need it; the time-skipping server has none),
 * with the real activities on a database of its own. Carts are made idle by moving their
 * updated_at back, the way a week of silence would leave them.
 */
import { randomUUID } from 'node:crypto';
import { Worker } from '@temporalio/worker';
import { Client } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import pino from 'pino';
import { MockActivityEnvironment, type TestWorkflowEnvironment } from '@temporalio/testing';
import { CART_SWEEP_ID } from '../../src/contracts/temporal';
import type { CartSweepInput, CartSweepResult } from '../../src/contracts/cart-sweep';
import { cartSweepSettings, ensureCartExpirySchedule } from '../../src/temporal/schedules';
import { addItem, createCart } from '../../src/store/carts';
import type { Notifier, OutgoingMessage } from '../../src/integrations/notifier';
import { NotifierError } from '../../src/integrations/notifier';
import { DomainError } from '../../src/domain/errors';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { realActivities, seedCheckoutCatalog } from '../support/checkout';
import { connectDevServerEnv, testDataConverter, testPayloadCodec, uniqueTaskQueue, workflowBundle } from '../support/temporal';
import { RECORDING, saveHistory } from '../replay/record';
import { createNotificationWorker } from '../../workers/notifications';
import { startWorker } from '../../workers/worker';
import { notificationTaskQueue } from '../../src/contracts/temporal';

let env: TestWorkflowEnvironment;
let db: TestDatabase;
let worker: Worker;
let notificationWorker: Worker;
let run: Promise<void>;
let taskQueue: string;
/** Every e-mail the sweep handed to the provider, in order. */
const sent: OutgoingMessage[] = [];
/** Recipients the provider refuses (to prove a failure is recorded and retried next run). */
const refuse = new Set<string>();

const notifier: Notifier = {
  async send(message) {
    if (refuse.has(message.to)) throw new NotifierError(`mailbox ${message.to} is unavailable`, false);
    sent.push(message);
    return { provider: 'test', messageId: `test-${message.idempotencyKey}` };
  },
};

const INPUT: CartSweepInput = { remindAfter: '24h', expireAfter: '7d', deleteAfter: '30d', batchSize: 4, maxBatches: 100 };

beforeAll(async () => {
  [env, db] = await Promise.all([connectDevServerEnv(), createTestDatabase()]);
  await seedCheckoutCatalog(db, 1000);
  taskQueue = uniqueTaskQueue('sweep');
  const activities = realActivities(db, { notifier });
  worker = await Worker.create({ connection: env.nativeConnection, taskQueue, dataConverter: testDataConverter(), workflowBundle: workflowBundle(), activities });
  // Reminders go out on the notification queue, under the same rate limit as order messages (as in production).
  notificationWorker = await createNotificationWorker({ connection: env.nativeConnection, taskQueue, payloadCodec: testPayloadCodec(), activities, perSecond: 50, shutdownGraceMs: 2000 });
  run = Promise.all([worker.run(), notificationWorker.run()]).then(() => undefined);
});
afterAll(async () => {
  worker?.shutdown();
  notificationWorker?.shutdown();
  await run;
  await env?.teardown();
  await db?.drop();
});
beforeEach(async () => {
  sent.length = 0;
  refuse.clear();
  const conn = db.orm.em.fork().getConnection();
  await conn.execute('delete from carts');
  await conn.execute('delete from customers');
});

const sql = <T = Record<string, unknown>>(query: string, params: unknown[] = []) => db.orm.em.fork().getConnection().execute<T[]>(query, params);

async function customer(optIn: boolean): Promise<{ id: string; email: string }> {
  const email = `shopper-${randomUUID()}@example.com`;
  const [row] = await sql<{ id: string }>(
    `insert into customers (email, password_hash, name, marketing_opt_in) values (?, 'x', 'Grace', ?) returning id`, [email, optIn]);
  return { id: row.id, email };
}

/** A cart with one line, last changed `idleHours` ago, of the given customer (or anonymous). */
async function cart(opts: { idleHours: number; customerId?: string; status?: string; empty?: boolean }): Promise<string> {
  const { id } = await createCart(db.orm.em.fork(), 'USD');
  if (!opts.empty) await addItem(db.orm.em.fork(), id, 'MUG-1', 2);
  await sql(`update carts set customer_id = ?, status = ?, updated_at = now() - make_interval(hours => ?),
    expired_at = case when ? = 'expired' then now() - make_interval(hours => ?) end where id = ?`,
  [opts.customerId ?? null, opts.status ?? 'active', opts.idleHours, opts.status ?? 'active', opts.idleHours, id]);
  return id;
}

async function cartRow(id: string) {
  const [row] = await sql<{ status: string; reminder_sent_at: string | null; expired_at: string | null }>(
    'select status, reminder_sent_at, expired_at from carts where id = ?', [id]);
  return row;
}

async function sweep(input: CartSweepInput = INPUT): Promise<CartSweepResult> {
  const workflowId = `${CART_SWEEP_ID}-test-${randomUUID()}`;
  const result = await env.client.workflow.execute('cartExpirySweep', { taskQueue, workflowId, args: [input] });
  await recordHistory(workflowId);
  return result;
}

/** Sweeps recorded so far per test: a test's second sweep is saved as its -run-2. */
const recorded = new Map<string, number>();

/** With RECORD_HISTORIES set, saves the sweep's history for the replay test (test/replay/record.ts). */
async function recordHistory(workflowId: string): Promise<void> {
  if (!RECORDING) return;
  const test = expect.getState().currentTestName ?? '';
  const run = (recorded.get(test) ?? 0) + 1;
  recorded.set(test, run);
  saveHistory(CART_SWEEP_ID, await env.client.workflow.getHandle(workflowId).fetchHistory(), run > 1 ? `-run-${run}` : '');
}

const DAY = 24;

describe('abandoned-cart reminders', () => {
  it('go once, and only once, to a known customer who opted in, for a cart idle past a day and not checked out', async () => {
    const optedIn = await customer(true);
    const optedOut = await customer(false);
    const remind = await cart({ idleHours: 25, customerId: optedIn.id });
    const notOptedIn = await cart({ idleHours: 25, customerId: optedOut.id });
    const anonymous = await cart({ idleHours: 25 });
    const recent = await cart({ idleHours: 2, customerId: optedIn.id });
    const empty = await cart({ idleHours: 25, customerId: optedIn.id, empty: true });

    const first = await sweep();
    expect(first).toEqual(expect.objectContaining({ reminded: 1, reminderFailures: 0, expired: 0, deleted: 0 }));
    expect(sent).toEqual([expect.objectContaining({ channel: 'email', to: optedIn.email, subject: 'You left something in your cart' })]);
    expect(sent[0].text).toMatch(/2 x Mug \(White\)[\s\S]*\$24\.00/);
    expect(sent[0].text).not.toContain(remind); // the cart id is its key: never in an e-mail
    expect((await cartRow(remind)).reminder_sent_at).not.toBeNull();
    for (const id of [notOptedIn, anonymous, recent, empty]) expect((await cartRow(id)).reminder_sent_at).toBeNull();

    const second = await sweep();
    expect(second.reminded).toBe(0);
    expect(sent).toHaveLength(1);
    const outbox = await sql('select cart_id, template, channel, status, attempts from notifications');
    expect(outbox).toEqual([{ cart_id: remind, template: 'abandoned_cart', channel: 'email', status: 'sent', attempts: 1 }]);
    const runs = await sql<{ reminded: number }>('select reminded from cart_sweep_runs where workflow_id like ? order by recorded_at desc limit 2', [`${CART_SWEEP_ID}-test-%`]);
    expect(runs.map((r) => r.reminded)).toEqual([0, 1]);
  });

  it('are sent from the rate-limited notification queue, one activity per reminder', async () => {
    const shopper = await customer(true);
    await Promise.all([cart({ idleHours: 25, customerId: shopper.id }), cart({ idleHours: 26, customerId: shopper.id })]);
    const workflowId = `${CART_SWEEP_ID}-test-${randomUUID()}`;
    const handle = await env.client.workflow.start('cartExpirySweep', { taskQueue, workflowId, args: [INPUT] });
    expect(await handle.result()).toEqual(expect.objectContaining({ reminded: 2, reminderFailures: 0 }));
    await recordHistory(workflowId);
    const scheduled = ((await handle.fetchHistory()).events ?? [])
      .map((e) => e.activityTaskScheduledEventAttributes)
      .filter((a) => a?.activityType?.name === 'sendCartReminder')
      .map((a) => a?.taskQueue?.name);
    expect(scheduled).toEqual([notificationTaskQueue(taskQueue), notificationTaskQueue(taskQueue)]);
    expect(sent).toHaveLength(2);
  });

  it('a refused e-mail is recorded as failed, counted, and tried again by the next run', async () => {
    const shopper = await customer(true);
    const id = await cart({ idleHours: 30, customerId: shopper.id });
    refuse.add(shopper.email);
    expect(await sweep()).toEqual(expect.objectContaining({ reminded: 0, reminderFailures: 1 }));
    expect(await sql('select status, attempts, last_error from notifications where cart_id = ?', [id]))
      .toEqual([{ status: 'failed', attempts: 1, last_error: expect.stringContaining('unavailable') }]);
    refuse.clear();
    expect(await sweep()).toEqual(expect.objectContaining({ reminded: 1, reminderFailures: 0 }));
    expect(await sql('select status, attempts from notifications where cart_id = ?', [id])).toEqual([{ status: 'sent', attempts: 2 }]);
  });
});

describe('expiry and retention', () => {
  it('expires a cart idle past seven days, which then refuses writes with a clear message', async () => {
    const stale = await cart({ idleHours: 8 * DAY });
    const fresh = await cart({ idleHours: 6 * DAY });
    expect(await sweep()).toEqual(expect.objectContaining({ expired: 1, deleted: 0 }));
    expect(await cartRow(stale)).toEqual(expect.objectContaining({ status: 'expired', expired_at: expect.anything() }));
    expect((await cartRow(fresh)).status).toBe('active');
    const write = addItem(db.orm.em.fork(), stale, 'TEE-1', 1);
    await expect(write).rejects.toThrow(DomainError);
    await expect(write).rejects.toMatchObject({ code: 'cart_expired', message: expect.stringMatching(/has expired.*create a new cart/) });
  });

  it('deletes an expired cart, its lines and its reminder, once it has been idle past thirty days', async () => {
    const shopper = await customer(true);
    const old = await cart({ idleHours: 31 * DAY, customerId: shopper.id, status: 'expired' });
    await sql(`insert into notifications (cart_id, template, channel, recipient, status) values (?, 'abandoned_cart', 'email', ?, 'sent')`, [old, shopper.email]);
    const kept = await cart({ idleHours: 10 * DAY, status: 'expired' });
    expect(await sweep()).toEqual(expect.objectContaining({ reminded: 0, expired: 0, deleted: 1 }));
    expect(await cartRow(old)).toBeUndefined();
    expect(await sql('select 1 from cart_lines where cart_id = ?', [old])).toEqual([]);
    expect(await sql('select 1 from notifications where cart_id = ?', [old])).toEqual([]);
    expect((await cartRow(kept)).status).toBe('expired');
  });

  it('never touches a cart in checkout, however long it has been idle', async () => {
    const shopper = await customer(true);
    const checkingOut = await cart({ idleHours: 40 * DAY, customerId: shopper.id, status: 'checking_out' });
    const checkedOut = await cart({ idleHours: 40 * DAY, customerId: shopper.id, status: 'checked_out' });
    expect(await sweep()).toEqual(expect.objectContaining({ reminded: 0, expired: 0, deleted: 0 }));
    expect(await cartRow(checkingOut)).toEqual({ status: 'checking_out', reminder_sent_at: null, expired_at: null });
    expect(await cartRow(checkedOut)).toEqual({ status: 'checked_out', reminder_sent_at: null, expired_at: null });
    expect(sent).toEqual([]);
  });
});

describe('heartbeats', () => {
  it('report running totals after every batch, and a retried attempt resumes from the last one', async () => {
    for (let i = 0; i < 5; i += 1) await cart({ idleHours: 9 * DAY });
    const { expireIdleCarts } = realActivities(db);
    const pass = { asOf: new Date().toISOString(), idleFor: '7d', batchSize: 2, maxBatches: 100 };
    // A second attempt of a pass whose first attempt had expired 7 carts in 4 batches before its worker died.
    const retry = new MockActivityEnvironment({ attempt: 2, heartbeatDetails: { expired: 7, batches: 4 } });
    const beats: unknown[] = [];
    retry.on('heartbeat', (d: unknown) => beats.push(d));
    expect(await retry.run(expireIdleCarts, pass)).toEqual({ expired: 12, batches: 7 });
    expect(beats).toEqual([{ expired: 9, batches: 5 }, { expired: 11, batches: 6 }, { expired: 12, batches: 7 }]);
  });
});

describe('two sweeps at once', () => {
  it('touch each cart once: every reminder sent once, every expiry and deletion counted by exactly one of them', async () => {
    const shopper = await customer(true);
    const toRemind = await Promise.all(Array.from({ length: 30 }, () => cart({ idleHours: 2 * DAY, customerId: shopper.id })));
    await Promise.all(Array.from({ length: 30 }, () => cart({ idleHours: 9 * DAY })));
    await Promise.all(Array.from({ length: 30 }, () => cart({ idleHours: 45 * DAY, status: 'expired' })));
    const small = { ...INPUT, batchSize: 2 };
    const [a, b] = await Promise.all([sweep(small), sweep(small)]);
    expect(a.reminded + b.reminded).toBe(30);
    expect(a.expired + b.expired).toBe(30);
    expect(a.deleted + b.deleted).toBe(30);
    expect(a.reminderFailures + b.reminderFailures).toBe(0);
    expect(sent).toHaveLength(30);
    const rows = await sql<{ cart_id: string; attempts: number }>(`select cart_id, attempts from notifications order by cart_id`);
    expect(rows.map((r) => r.cart_id)).toEqual([...toRemind].sort());
    expect(rows.every((r) => r.attempts === 1)).toBe(true);
    expect(new Set(sent.map((m) => m.idempotencyKey)).size).toBe(30);
    expect(await sql(`select status, count(*)::int as n from carts group by status`)).toEqual([{ status: 'active', n: 30 }, { status: 'expired', n: 30 }]
      .sort((x, y) => x.status.localeCompare(y.status)));
  });
});

describe('the schedule', () => {
  const settings = cartSweepSettings({ CART_SWEEP_EVERY: '5m', CART_REMINDER_AFTER: '24h', CART_TTL: '7d', CART_RETENTION: '30d' });

  it('is created once; a second start or a restart changes nothing, a new interval updates it, and a pause by ops survives both', async () => {
    const scheduleId = `${CART_SWEEP_ID}-${randomUUID()}`;
    const handle = env.client.schedule.getHandle(scheduleId);
    try {
      expect(await ensureCartExpirySchedule(env.client, { taskQueue, settings, scheduleId })).toBe('created');
      const created = await handle.describe();
      expect(created.spec.intervals).toEqual([expect.objectContaining({ every: 5 * 60_000 })]);
      expect(created.policies.overlap).toBe('SKIP');
      expect(created.action).toEqual(expect.objectContaining({ workflowType: 'cartExpirySweep', taskQueue, args: [settings.input] }));

      const [again, concurrently] = await Promise.all([
        ensureCartExpirySchedule(env.client, { taskQueue, settings, scheduleId }),
        ensureCartExpirySchedule(env.client, { taskQueue, settings, scheduleId }),
      ]);
      expect([again, concurrently]).toEqual(['unchanged', 'unchanged']);
      expect((await handle.describe()).info.lastUpdatedAt).toEqual(created.info.lastUpdatedAt);

      await handle.pause('ops: investigating reminders');
      expect(await ensureCartExpirySchedule(env.client, { taskQueue, settings, scheduleId })).toBe('unchanged');
      const hourly = { ...settings, every: '1h' };
      expect(await ensureCartExpirySchedule(env.client, { taskQueue, settings: hourly, scheduleId })).toBe('updated');
      const updated = await handle.describe();
      expect(updated.spec.intervals).toEqual([expect.objectContaining({ every: 3_600_000 })]);
      expect(updated.state).toEqual(expect.objectContaining({ paused: true, note: 'ops: investigating reminders' }));
      expect(await ensureCartExpirySchedule(env.client, { taskQueue, settings: hourly, scheduleId })).toBe('unchanged');
    } finally {
      await handle.delete();
    }
  });

  it('is ensured by a worker at start-up (workers/worker.ts): the first start creates it, a restart changes nothing, a new CART_SWEEP_EVERY updates it', async () => {
    // A namespace of its own: the real start-up path uses the fixed schedule id, which other test files' workers also ensure.
    // (Two workers at once on one queue need two processes; the concurrent case is the test above, on the same function.)
    const namespace = `sweep-${randomUUID().slice(0, 8)}`;
    await env.connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
    const client = new Client({ connection: env.connection, namespace, dataConverter: testDataConverter() });
    for (let tries = 0; ; tries += 1) { // a new namespace takes a moment to be served
      try {
        await client.workflow.count();
        break;
      } catch (err) {
        if (tries > 100) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const startAndStop = async (cartSweep: typeof settings) => {
      const worker = await startWorker({ connection: env.nativeConnection, namespace, taskQueue, orm: db.orm,
        logger: pino({ level: 'silent' }), workflowBundle: workflowBundle(), cartSweep, shutdownGraceMs: 1000 });
      await worker.stop();
    };
    const handle = client.schedule.getHandle(CART_SWEEP_ID);
    await startAndStop(settings);
    const created = await handle.describe();
    expect(created.spec.intervals).toEqual([expect.objectContaining({ every: 5 * 60_000 })]);
    expect(created.policies.overlap).toBe('SKIP');
    expect(created.action).toEqual(expect.objectContaining({ workflowType: 'cartExpirySweep', workflowId: CART_SWEEP_ID, taskQueue }));
    await startAndStop(settings); // a restart
    expect((await handle.describe()).info.lastUpdatedAt).toEqual(created.info.lastUpdatedAt);
    await startAndStop(cartSweepSettings({ CART_SWEEP_EVERY: '15m', CART_REMINDER_AFTER: '24h', CART_TTL: '7d', CART_RETENTION: '30d' }));
    expect((await handle.describe()).spec.intervals).toEqual([expect.objectContaining({ every: 15 * 60_000 })]);
    await handle.delete();
  });

  it('runs the sweep when ops trigger it, and the run returns and records its counts', async () => {
    const stale = await cart({ idleHours: 8 * DAY });
    const scheduleId = `${CART_SWEEP_ID}-${randomUUID()}`;
    const handle = env.client.schedule.getHandle(scheduleId);
    try {
      await ensureCartExpirySchedule(env.client, { taskQueue, settings: { ...settings, every: '1h' }, scheduleId });
      await handle.trigger();
      const deadline = Date.now() + 30_000;
      let workflowId: string | undefined;
      while (!workflowId && Date.now() < deadline) {
        workflowId = (await handle.describe()).info.recentActions[0]?.action.workflow.workflowId;
        if (!workflowId) await new Promise((r) => setTimeout(r, 200));
      }
      expect(workflowId).toMatch(new RegExp(`^${scheduleId}-`));
      const result = await env.client.workflow.getHandle(workflowId!).result();
      expect(result).toEqual(expect.objectContaining({ expired: 1, reminded: 0, deleted: 0 }));
      expect((await cartRow(stale)).status).toBe('expired');
      expect(await sql('select expired, reminded, deleted from cart_sweep_runs where workflow_id = ?', [workflowId]))
        .toEqual([{ expired: 1, reminded: 0, deleted: 0 }]);
    } finally {
      await handle.delete();
    }
  });

  it('refuses settings that make no sense, naming the variables', () => {
    expect(() => cartSweepSettings({ CART_SWEEP_EVERY: '5m', CART_REMINDER_AFTER: '8d', CART_TTL: '7d', CART_RETENTION: '30d' }))
      .toThrow(/CART_REMINDER_AFTER \(8d\) must be shorter than CART_TTL \(7d\)/);
    expect(() => cartSweepSettings({ CART_SWEEP_EVERY: '1s', CART_REMINDER_AFTER: '24h', CART_TTL: '7d', CART_RETENTION: '30d' }))
      .toThrow(/CART_SWEEP_EVERY/);
  });
});
