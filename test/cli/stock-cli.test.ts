/**
 * The documented stock `temporal` commands, run as written (with real ids in place of <orderId> and
 * <shipmentId>) by the real `temporal` CLI against a running worker: the `workflow query|update|signal`
 * examples of docs/support.md and the schedule commands of docs/operations.md each do what the page
 * says, and a refusal comes back with the workflow's own reason.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { requireTool } from '../../src/temporal/binaries';
import { required, type TestDatabase } from '../support/db';
import { staffAs, startApiWorld, stopApiWorld, type TestApi, type TestWorker } from '../support/api';
import { paidAndWaiting, shipOrder, WAIT_FOR_WAREHOUSE, waitForOrder } from '../support/orders-api';
import { connectClient } from '../../src/temporal/client';
import { cartSweepSettings, ensureCartExpirySchedule } from '../../src/temporal/schedules';
import { CART_SWEEP_ID } from '../../src/contracts/temporal';
import { testTarget } from '../support/temporal';

let db: TestDatabase;
let worker: TestWorker;
let api: TestApi;

beforeAll(async () => {
  ({ db, worker, api } = await startApiWorld({ stock: 1000, api: { app: WAIT_FOR_WAREHOUSE } }));
});
afterAll(async () => {
  await stopApiWorld({ api, worker, db });
});

/** The `temporal` lines of the first sh block after `heading` in docs/`page`, continuation lines joined. */
function docBlock(page: string, heading: string): string[] {
  const text = readFileSync(resolve(__dirname, '..', '..', 'docs', page), 'utf8');
  const at = text.indexOf(heading);
  const block = at < 0 ? undefined : /```sh\n([\s\S]*?)```/.exec(text.slice(at))?.[1];
  if (!block) throw new Error(`docs/${page} has no sh block under "${heading}"`);
  return block.replace(/\\\n\s*/g, '').split('\n').filter((line) => line.startsWith('temporal '));
}

/** The commands of docs/support.md's "The stock temporal CLI" block, keyed by the handler each names. */
function supportCommands(): Map<string, string> {
  return new Map(docBlock('support.md', '## The stock temporal CLI').map((line) => [/--name (\w+)/.exec(line)![1], line]));
}

/**
 * Runs one documented line through a shell, as someone would paste it, with the dev server's address in
 * the environment and, as docs/support.md says to export once, the API's codec endpoint and a support
 * staff key: payloads are encrypted, so the CLI reads and writes them through the codec.
 */
function run(line: string, ids: { orderId?: string; shipmentId?: string }): Promise<{ code: number; out: string }> {
  const command = line.replace(/<orderId>/g, ids.orderId ?? '<orderId>').replace(/<shipmentId>/g, ids.shipmentId ?? '<shipmentId>');
  const cli = requireTool('cli').path;
  return new Promise((done) => {
    execFile('sh', ['-c', command], {
      encoding: 'utf8', timeout: 60_000,
      env: { ...process.env, PATH: `${dirname(cli)}:${process.env.PATH}`, TEMPORAL_ADDRESS: required('TEST_TEMPORAL_ADDRESS'), TEMPORAL_NAMESPACE: 'default',
        TEMPORAL_CODEC_ENDPOINT: `${api.url}/codec`, TEMPORAL_CODEC_AUTH: staffAs('support').Authorization },
    }, (err, stdout, stderr) => done({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, out: `${stdout}${stderr}` }));
  });
}

const live = async (orderId: string) => (await waitForOrder(api, orderId, () => true)).body.live;

it('every example of docs/support.md works as written against a running order', async () => {
  const commands = supportCommands();
  expect([...commands.keys()].sort()).toEqual(['cancelOrder', 'carrierEvent', 'changeShippingAddress', 'holdOrder', 'refundPayment',
    'releaseOrder', 'resendNotification', 'retryPayment', 'status'].sort());
  const waiting = await paidAndWaiting(api, db);

  const status = await run(commands.get('status')!, { orderId: waiting });
  expect(status).toEqual({ code: 0, out: expect.stringContaining('awaiting_fulfillment') });

  for (const name of ['holdOrder', 'releaseOrder', 'changeShippingAddress', 'resendNotification']) {
    const done = await run(commands.get(name)!, { orderId: waiting });
    expect({ name, ...done }).toEqual({ name, code: 0, out: expect.any(String) });
  }
  const steps = (await live(waiting)).timeline.map((t: { step: string; detail?: string }) => `${t.step}: ${t.detail ?? ''}`);
  expect(steps).toEqual(expect.arrayContaining(['hold: by staff:sam: fraud check', 'release: by staff:sam: checked',
    'change_shipping_address: by staff:sam: moved', expect.stringMatching(/^resend_notification: by staff:sam: lost it/)]));
  const [row] = await db.orm.em.fork().getConnection().execute<{ shipping_address: { line1: string } }[]>(
    'select shipping_address from orders where id = ?', [waiting]);
  expect(row.shipping_address.line1).toBe('1 New Street');

  // Refused by the workflow's validator, in its own words; nothing changes.
  const retry = await run(commands.get('retryPayment')!, { orderId: waiting });
  expect(retry.code).not.toBe(0);
  expect(retry.out).toContain(`the payment of order ${waiting} is authorized; there is nothing to retry`);

  const shipped = await paidAndWaiting(api, db);
  const shipmentId = await shipOrder(api, db, shipped);
  expect((await run(commands.get('refundPayment')!, { orderId: shipped })).code).toBe(0);
  const [payment] = await db.orm.em.fork().getConnection().execute<{ refunded_amount: string }[]>(
    'select refunded_amount from payments where order_id = ?', [shipped]);
  expect(payment.refunded_amount).toBe('500');
  expect((await run(commands.get('carrierEvent')!, { shipmentId })).code).toBe(0);
  await waitForOrder(api, shipped, (l) => l.status === 'delivered');

  expect((await run(commands.get('cancelOrder')!, { orderId: waiting })).code).toBe(0);
  expect((await live(waiting)).status).toBe('cancelled');
});

it('the schedule commands of docs/operations.md describe, pause, unpause and trigger the cart-expiry-sweep', async () => {
  const lines = docBlock('operations.md', 'Ops pause, resume and run it now');
  const [describe, pause, unpause, trigger] = ['describe', '--pause', '--unpause', 'trigger'].map((word) => {
    const line = lines.find((l) => l.includes(` ${word} `) || l.includes(` ${word}`));
    if (!line) throw new Error(`no line with ${word} in docs/operations.md: ${lines.join(' | ')}`);
    return line;
  });
  const temporal = await connectClient(testTarget());
  try {
    // The schedule as a worker leaves it (other test files' workers may re-point it at their queue meanwhile: harmless here).
    await ensureCartExpirySchedule(temporal.client, { taskQueue: worker.taskQueue,
      settings: cartSweepSettings({ CART_SWEEP_EVERY: '5m', CART_REMINDER_AFTER: '24h', CART_TTL: '7d', CART_RETENTION: '30d' }) });
    const handle = temporal.client.schedule.getHandle(CART_SWEEP_ID);
    expect(await run(describe, {})).toEqual({ code: 0, out: expect.stringContaining(CART_SWEEP_ID) });
    expect((await run(pause, {})).code).toBe(0);
    expect((await handle.describe()).state).toEqual(expect.objectContaining({ paused: true, note: 'investigating reminders' }));
    expect((await run(unpause, {})).code).toBe(0);
    expect((await handle.describe()).state).toEqual(expect.objectContaining({ paused: false, note: 'fixed' }));
    // A run still going (e.g. started by the schedule on another test file's queue, which nobody may poll any more)
    // would make the schedule skip the trigger under its overlap policy: end such runs first.
    for (const action of (await handle.describe()).info.runningActions) {
      await temporal.client.workflow.getHandle(action.workflow.workflowId).terminate('a test is about to trigger the schedule').catch(() => undefined);
    }
    const before = (await handle.describe()).info.numActionsTaken;
    expect((await run(trigger, {})).code).toBe(0);
    const deadline = Date.now() + 20_000;
    while ((await handle.describe()).info.numActionsTaken === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect((await handle.describe()).info.numActionsTaken).toBe(before + 1);
  } finally {
    // Nothing polls this file's queue after it ends: leave no schedule starting sweeps there.
    await temporal.client.schedule.getHandle(CART_SWEEP_ID).delete().catch(() => undefined);
    await temporal.connection.close();
  }
});
