/**
 * A customer's erasure on the time-skipping server, with the real activities on PostgreSQL: it
 * waits, for days, while an order of theirs is between payment and delivery, then tombstones their
 * data and keeps the order's money; an admin can cut the wait short or withdraw it; and a worker
 * that dies after the erasing transaction committed, before it reported, leaves a retry that finds
 * the work done and changes nothing more.
 */
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Context } from '@temporalio/activity';
import type { TestDatabase } from '../support/db';
import { Worker } from '@temporalio/worker';
import { connectDevServerEnv, testDataConverter, uniqueTaskQueue, workflowBundle } from '../support/temporal';
import { RECORDING, saveHistory } from '../replay/record';
import { placeTestOrder, realActivities, startWorker, timeSkippingWorld } from '../support/checkout';
import { createCustomer } from '../../src/store/customers';
import { workflowIds } from '../../src/contracts/temporal';
import { decideErasureUpdate, erasureStatusQuery } from '../../src/contracts/privacy';
import { gdprErasure } from '../../workflows/gdpr-erasure';
import { privacyRetention } from '../../workflows/privacy-retention';

const world = timeSkippingWorld(100);
let env: TestWorkflowEnvironment;
let db: TestDatabase;
beforeAll(() => ({ env, db } = world()));
const sql = <T = Record<string, unknown>>(text: string, params: unknown[] = []) => db.orm.em.fork().getConnection().execute<T[]>(text, params);


/** A customer with a saved address, a session and an order (paid, waiting for the warehouse), as the API leaves them. */
async function customerWithOrder(): Promise<{ customerId: string; orderId: string; email: string }> {
  const email = `ada-${randomUUID().slice(0, 8)}@example.com`;
  const customerId = await createCustomer(db.orm.em.fork(), { email, name: 'Ada Lovelace', passwordHash: 'x' });
  const placed = await placeTestOrder(db, { phone: '+447700900123' });
  await sql(`update orders set customer_id = ?, email = ?, status = 'awaiting_fulfillment' where id = ?`, [customerId, email, placed.orderId]);
  await sql(`insert into customer_addresses (customer_id, name, line1, city, postal_code, country, is_default) values (?, 'Ada Lovelace', '12 St James Square', 'London', 'SW1Y 4JH', 'GB', true)`, [customerId]);
  await sql(`insert into customer_sessions (token_hash, customer_id, expires_at) values (?, ?, now() + interval '1 day')`, [randomUUID().replace(/-/g, '').padEnd(64, '0'), customerId]);
  await sql(`insert into payments (order_id, provider, provider_ref, payment_method, idempotency_key, status, amount, currency)
    values (?, 'simulated', ?, 'pm_card_visa', ?, 'authorized', 4900, 'USD')`, [placed.orderId, `pi_sim_${randomUUID().slice(0, 8)}`, randomUUID()]);
  return { customerId, orderId: placed.orderId, email };
}

/** Polls (real time: activities run on the real clock) until `ok`, for at most 10 s. */
async function until(ok: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('not there after 10 s');
}

async function facts(customerId: string, orderId: string) {
  const [customer] = await sql<{ email: string; name: string; erased_at: string | null; erasure_requested_at: string | null }>(
    'select email, name, erased_at, erasure_requested_at from customers where id = ?', [customerId]);
  const [order] = await sql<{ email: string; phone: string | null; shipping_address: unknown; total_amount: string; status: string; access_revoked: boolean }>(
    'select email, phone, shipping_address, total_amount, status, access_secret is null as access_revoked from orders where id = ?', [orderId]);
  const [counts] = await sql<{ addresses: string; live_sessions: string; payments: string }>(`select
    (select count(*) from customer_addresses where customer_id = ?) as addresses,
    (select count(*) from customer_sessions where customer_id = ? and revoked_at is null) as live_sessions,
    (select count(*) from payments where order_id = ?) as payments`, [customerId, customerId, orderId]);
  const [erasure] = await sql<{ status: string; requested_by: string; decided_by: string | null }>(
    'select status, requested_by, decided_by from erasures where customer_id = ?', [customerId]);
  return { customer, order, counts, erasure };
}

it('waits days while an order is between payment and delivery, then erases: tombstones, money kept, nothing personal left', async () => {
  const { customerId, orderId, email } = await customerWithOrder();
  const { worker, taskQueue, run } = await startWorker(env, realActivities(db));
  try {
    const handle = await env.client.workflow.start(gdprErasure, { taskQueue, workflowId: workflowIds.erasure(customerId),
      args: [{ customerId, requestedBy: 'customer' }] });
    await until(async () => (await handle.query(erasureStatusQuery)).waitingFor.length > 0);
    expect(await handle.query(erasureStatusQuery)).toEqual(expect.objectContaining({ stage: 'waiting_for_orders', waitingFor: [orderId] }));
    const closed = await facts(customerId, orderId);
    expect(closed.customer.erasure_requested_at).not.toBeNull();
    expect(closed.counts.live_sessions).toBe('0');
    expect(closed.order).toEqual(expect.objectContaining({ email, access_revoked: false })); // still needed to deliver and to tell the customer
    await env.sleep('3 days');
    expect((await handle.query(erasureStatusQuery)).stage).toBe('waiting_for_orders');
    await sql(`update orders set status = 'delivered' where id = ?`, [orderId]);
    const result = await handle.result();
    expect(result.stage).toBe('erased');
    expect(result.rowsChanged).toEqual(expect.objectContaining({ orders: 1, order_access: 1, customer_addresses: 1, customers: 1 }));
    const after = await facts(customerId, orderId);
    expect(after.customer).toEqual(expect.objectContaining({ email: `erased-${customerId}@erased.invalid`, name: '' }));
    expect(after.customer.erased_at).not.toBeNull();
    expect(after.order).toEqual({ email: 'erased', phone: null, shipping_address: { erased: true, country: 'GB' }, total_amount: '4900', status: 'delivered',
      access_revoked: true });
    expect(after.counts).toEqual({ addresses: '0', live_sessions: '0', payments: '1' });
    expect(after.erasure).toEqual({ status: 'erased', requested_by: 'customer', decided_by: null });
    const history = JSON.stringify(await handle.fetchHistory());
    expect(history).not.toContain(email);
    if (RECORDING) saveHistory('gdpr-erasure', await handle.fetchHistory());
  } finally {
    worker.shutdown();
    await run;
  }
});

it('an admin can erase at once while an order is in flight, or withdraw the request, which opens the account again', async () => {
  const { worker, taskQueue, run } = await startWorker(env, realActivities(db));
  try {
    const now = await customerWithOrder();
    const erasing = await env.client.workflow.start(gdprErasure, { taskQueue, workflowId: workflowIds.erasure(now.customerId),
      args: [{ customerId: now.customerId, requestedBy: 'staff:ada' }] });
    await until(async () => (await erasing.query(erasureStatusQuery)).waitingFor.length > 0);
    const decided = await erasing.executeUpdate(decideErasureUpdate, { args: [{ actor: 'staff:ada', decision: 'erase_now' }] });
    expect(decided.stage).not.toBe('waiting_for_orders');
    expect((await erasing.result()).stage).toBe('erased');
    expect((await facts(now.customerId, now.orderId)).erasure).toEqual({ status: 'erased', requested_by: 'staff:ada', decided_by: 'staff:ada' });
    await expect(erasing.executeUpdate(decideErasureUpdate, { args: [{ actor: 'staff:ada', decision: 'withdraw' }] })).rejects.toThrow();
    if (RECORDING) saveHistory('gdpr-erasure', await erasing.fetchHistory(), '-erase-now');

    const kept = await customerWithOrder();
    const withdrawn = await env.client.workflow.start(gdprErasure, { taskQueue, workflowId: workflowIds.erasure(kept.customerId),
      args: [{ customerId: kept.customerId, requestedBy: 'customer' }] });
    await until(async () => (await withdrawn.query(erasureStatusQuery)).waitingFor.length > 0);
    await expect(withdrawn.executeUpdate(decideErasureUpdate, { args: [{ actor: 'customer', decision: 'withdraw' }] }))
      .rejects.toMatchObject({ cause: { message: expect.stringMatching(/staff account/) } });
    await withdrawn.executeUpdate(decideErasureUpdate, { args: [{ actor: 'staff:ada', decision: 'withdraw' }] });
    expect((await withdrawn.result()).stage).toBe('withdrawn');
    const open = await facts(kept.customerId, kept.orderId);
    expect(open.customer).toEqual(expect.objectContaining({ email: kept.email, erasure_requested_at: null, erased_at: null }));
    expect(open.order.email).toBe(kept.email);
    expect(open.erasure.status).toBe('withdrawn');
  } finally {
    worker.shutdown();
    await run;
  }
});

it('a worker that dies after the erasing transaction committed, before it reported: the retry on another worker finds it done and changes nothing more', async () => {
  const { customerId, orderId } = await customerWithOrder();
  await sql(`update orders set status = 'delivered' where id = ?`, [orderId]);
  const real = realActivities(db);
  let committed: Record<string, number> | undefined;
  // The first worker erases, then never answers (as if killed): its stop hands the activity to the next worker.
  const dying = { ...real, erasePersonalData: async (id: string, by?: string) => {
    committed = await real.erasePersonalData(id, by);
    await new Promise<void>((resolve) => Context.current().cancellationSignal.addEventListener('abort', () => resolve()));
    throw new Error('worker gone');
  } };
  // On the dev server, in real time: the step the first worker left is retried a second later on the worker still there.
  const dev = await connectDevServerEnv();
  const taskQueue = uniqueTaskQueue('erasure');
  const workerOn = (activities: typeof real) => Worker.create({ connection: dev.nativeConnection, taskQueue, workflowBundle: workflowBundle(),
    activities, dataConverter: testDataConverter(), shutdownGraceTime: '100 ms', shutdownForceTime: '5 seconds' });
  const first = await workerOn(dying);
  const firstRun = first.run();
  const handle = await dev.client.workflow.start(gdprErasure, { taskQueue, workflowId: workflowIds.erasure(customerId),
    args: [{ customerId, requestedBy: 'customer' }] });
  for (let i = 0; i < 200 && !committed; i++) await new Promise((r) => setTimeout(r, 50));
  expect(committed).toEqual(expect.objectContaining({ customers: 1, orders: 1 }));
  first.shutdown();
  await firstRun;
  const second = await workerOn(real);
  await second.runUntil(async () => {
    const result = await handle.result();
    expect(result.stage).toBe('erased');
    expect(result.rowsChanged).toEqual(committed);
  });
  const [row] = await sql<{ rows_changed: Record<string, number> }>('select rows_changed from erasures where customer_id = ?', [customerId]);
  expect(row.rows_changed).toEqual(committed);
  const attempts = (await handle.fetchHistory()).events!.map((e) => e.activityTaskStartedEventAttributes?.attempt ?? 0);
  expect(Math.max(...attempts)).toBeGreaterThanOrEqual(2);
  await dev.teardown();
});

it('the retention sweep empties webhook payloads and delivery reports past their retention, and says how many', async () => {
  const eventId = `evt_${randomUUID()}`;
  await sql(`insert into webhook_events (provider, event_id, type, payload, received_at) values ('stripe', ?, 't', '{"name":"Ada"}', now() - interval '40 days')`, [eventId]);
  const { worker, taskQueue, run } = await startWorker(env, realActivities(db));
  try {
    const handle = await env.client.workflow.start(privacyRetention, { taskQueue, workflowId: `privacy-retention-${randomUUID()}`,
      args: [{ webhookPayloadMs: 30 * 86_400_000, deliveryReportMs: 30 * 86_400_000, batchSize: 100, maxBatches: 10 }] });
    expect((await handle.result()).webhookPayloads).toBeGreaterThanOrEqual(1);
    expect(await sql('select payload from webhook_events where event_id = ?', [eventId])).toEqual([{ payload: {} }]);
    if (RECORDING) saveHistory('privacy-retention', await handle.fetchHistory());
  } finally {
    worker.shutdown();
    await run;
  }
});
