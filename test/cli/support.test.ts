/**
 * `npm run support` against a running worker on the dev server: every command, each refusal with
 * the workflow's own reason, the exit codes, --json, and the audit row each action leaves. Most
 * runs are in-process (runSupport with this file's database); a few spawn the real command.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connectClient } from '../../src/temporal/client';
import { SimulatedPaymentProvider } from '../../src/integrations/simulated/payments';
import { runSupport, type Io } from '../../src/cli/support';
import type { SupportDeps } from '../../src/support/actions';
import { required, type TestDatabase } from '../support/db';
import { STAFF, startApiWorld, stopApiWorld, type TestApi, type TestWorker } from '../support/api';
import { auditRows, newCustomer, paidAndWaiting, placeOrder, shipOrder, WAIT_FOR_WAREHOUSE, waitForOrder } from '../support/orders-api';
import { testTarget } from '../support/temporal';

let db: TestDatabase;
let worker: TestWorker;
let api: TestApi;
let temporal: Awaited<ReturnType<typeof connectClient>>;
let deps: SupportDeps;

beforeAll(async () => {
  ({ db, worker, api } = await startApiWorld({ stock: 1000, api: { app: WAIT_FOR_WAREHOUSE } }));
  temporal = await connectClient(testTarget());
  deps = { client: temporal.client, orm: db.orm, taskQueue: worker.taskQueue };
});
afterAll(async () => {
  await temporal?.connection.close();
  await stopApiWorld({ api, worker, db });
});

interface Run { code: number; out: string; err: string; json: any; connected: boolean } // eslint-disable-line @typescript-eslint/no-explicit-any

async function support(...argv: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (t) => out.push(t), err: (t) => err.push(t) };
  let connected = false;
  // sam holds the support role (test/support/api.ts): who acts is the key's owner.
  const code = await runSupport(argv, io, async () => {
    connected = true;
    return deps;
  }, { ...process.env, STAFF_KEY: STAFF.support.key });
  const text = out.join('\n');
  let json: unknown;
  if (argv.includes('--json')) json = JSON.parse(text);
  return { code, out: text, err: err.join('\n'), json, connected };
}

const live = async (orderId: string) => (await support('status', orderId, '--json')).json.result;

describe('usage', () => {
  it('every command answers --help with its usage, and exits 0', async () => {
    for (const command of ['find', 'in-doubt', 'status', 'cancel', 'hold', 'release', 'address', 'resend', 'refund', 'retry-payment', 'revoke-access', 'carrier-event']) {
      const run = await support(command, '--help');
      expect(run.code).toBe(0);
      expect(run.out).toContain(`npm run support -- ${command}`);
      expect(run.out).toMatch(/Exit codes: 0 done, 1 refused, 2 bad usage, 3 not found/);
    }
    const overview = await support('--help');
    expect(overview.code).toBe(0);
    expect(overview.out).toMatch(/retry-payment <orderId>/);
  });

  it('bad usage exits 2 and says what is wrong, before anything is sent', async () => {
    const cases: [string[], RegExp][] = [
      [['frobnicate'], /unknown command "frobnicate"/],
      [['cancel', randomUUID()], /--reason is required/],
      [['cancel', 'not-a-uuid', '--reason', 'x'], /<orderId> must be a UUID/],
      [['hold'], /hold takes <orderId>/],
      [['status', randomUUID(), '--colour', 'red'], /Unknown option '--colour'/],
      [['address', randomUUID(), 'planet=Mars'], /"planet=Mars" is not FIELD=VALUE/],
      [['resend', randomUUID(), 'order_confirmed', '--channel', 'pigeon'], /--channel must be email or sms/],
      [['carrier-event', randomUUID(), 'teleported'], /"teleported" is not a shipment status/],
      [['find', '--status', 'lost'], /"lost" is not an order status/],
      [['find', '--min-total', 'ten'], /--min-total must be a whole number/],
      [['find', '--since', 'yesterday'], /"yesterday" is not a date/],
    ];
    for (const [argv, message] of cases) {
      const run = await support(...argv);
      expect({ argv, code: run.code, connected: run.connected }).toEqual({ argv, code: 2, connected: false });
      expect(run.err).toMatch(message);
    }
    const json = await support('cancel', randomUUID(), '--json');
    expect(json.json).toEqual({ ok: false, outcome: 'bad_usage', message: expect.stringMatching(/--reason is required/) });
  });

  it('an order that does not exist exits 3, for reads and actions alike', async () => {
    const missing = randomUUID();
    for (const argv of [['status', missing], ['hold', missing, '--reason', 'x'], ['refund', missing, '--reason', 'x'], ['retry-payment', missing]]) {
      const run = await support(...argv);
      expect(run.code).toBe(3);
      expect(run.err).toBe(`Not found: order ${missing} does not exist`);
    }
    expect((await support('carrier-event', randomUUID(), 'in_transit')).code).toBe(3);
  });
});

describe('on a paid order waiting for the warehouse', () => {
  let orderId: string;
  beforeAll(async () => {
    orderId = await paidAndWaiting(api, db);
  });

  it('status prints the live state and the step timeline', async () => {
    const run = await support('status', orderId);
    expect(run.code).toBe(0);
    expect(run.out).toMatch(new RegExp(`^order ${orderId}: awaiting_fulfillment`));
    expect(run.out).toMatch(/payment: authorized \(pi_sim_/);
    expect(run.out).toMatch(/pending compensations: none/);
    expect(run.out).toMatch(/reserve_stock\s+completed/);
  });

  it('revoke-access revokes the order\'s access token (the customer\'s link then answers 404); a second time changes nothing; both audited', async () => {
    const placed = await placeOrder(api, db);
    const asCustomer = { Authorization: `Bearer ${placed.accessToken}` };
    expect((await api.request('GET', `/orders/${placed.orderId}`, { headers: asCustomer })).status).toBe(200);
    expect((await support('revoke-access', placed.orderId)).code).toBe(2); // the reason is required
    const run = await support('revoke-access', placed.orderId, '--reason', 'link shared by mistake');
    expect(run.code).toBe(0);
    expect(run.out).toMatch(`Done: the access token of order ${placed.orderId} is revoked: it is refused from now on, and a replayed checkout gets none\n  (audit `);
    expect((await api.request('GET', `/orders/${placed.orderId}`, { headers: asCustomer })).status).toBe(404);
    const again = await support('revoke-access', placed.orderId, '--reason', 'again', '--json');
    expect([again.code, again.json.result.result]).toEqual([0, { orderId: placed.orderId, revoked: false }]);
    expect((await auditRows(db, { orderId: placed.orderId })).filter((r) => r.action === 'revoke_access').map((r) => [r.actor, r.via, r.reason, r.outcome]))
      .toEqual([['staff:sam', 'cli', 'link shared by mistake', 'done'], ['staff:sam', 'cli', 'again', 'done']]);
  });

  it('hold, hold again (refused), release, release again (refused): each with the reason, each audited', async () => {
    const hold = await support('hold', orderId, '--reason', 'fraud check');
    expect(hold.code).toBe(0);
    expect(hold.out).toMatch(/^Done: order .* is on hold/);
    const again = await support('hold', orderId, '--reason', 'really');
    expect(again.code).toBe(1);
    expect(again.err).toBe(`Refused: order ${orderId} is already on hold`);
    expect((await support('release', orderId, '--reason', 'checked')).code).toBe(0);
    const notHeld = await support('release', orderId, '--reason', 'again', '--json');
    expect(notHeld.code).toBe(1);
    expect(notHeld.json).toEqual({ ok: false, command: 'release', outcome: 'refused', code: 'action_refused', message: `order ${orderId} is not on hold` });
    expect((await live(orderId)).timeline).toEqual(expect.arrayContaining([
      expect.objectContaining({ step: 'hold', detail: 'by staff:sam: fraud check' }),
      expect.objectContaining({ step: 'release', detail: 'by staff:sam: checked' })]));
    expect((await auditRows(db, { orderId })).map((r) => [r.action, r.actor, r.via, r.reason, r.outcome])).toEqual(expect.arrayContaining([
      ['hold', 'staff:sam', 'cli', 'fraud check', 'done'], ['hold', 'staff:sam', 'cli', 'really', 'refused'],
      ['release', 'staff:sam', 'cli', 'checked', 'done'], ['release', 'staff:sam', 'cli', 'again', 'refused']]));
  });

  it('address changes the given fields and keeps the rest; an invalid one is bad usage', async () => {
    const run = await support('address', orderId, 'line1=1 New Street', 'postalCode=N1 9GU', '--reason', 'customer moved');
    expect(run.code).toBe(0);
    const [row] = await db.orm.em.fork().getConnection().execute<{ shipping_address: Record<string, string> }[]>(
      'select shipping_address from orders where id = ?', [orderId]);
    expect(row.shipping_address).toEqual(expect.objectContaining({ name: 'Ada Lovelace', line1: '1 New Street', postalCode: 'N1 9GU', city: 'London' }));
    expect((await live(orderId)).timeline).toEqual(expect.arrayContaining([
      expect.objectContaining({ step: 'change_shipping_address', detail: 'by staff:sam: customer moved' })]));
    const bad = await support('address', orderId, 'country=Narnia');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/country: must be an ISO 3166 alpha-2 code/);
  });

  it('resend sends the confirmation once more; a message the order was never sent is refused', async () => {
    const run = await support('resend', orderId, 'order_confirmed', '--reason', 'customer lost it');
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/the email "order_confirmed" of order .*: sent/);
    const [row] = await db.orm.em.fork().getConnection().execute<{ status: string; attempts: number; payload: { resends: unknown[] } }[]>(
      `select status, attempts, payload from notifications where order_id = ? and template = 'order_confirmed' and channel = 'email'`, [orderId]);
    expect(row).toEqual(expect.objectContaining({ status: 'sent', attempts: 2 }));
    expect(row.payload.resends).toEqual([expect.objectContaining({ by: 'staff:sam' })]);
    const never = await support('resend', orderId, 'order_cancelled');
    expect(never.code).toBe(1);
    expect(never.err).toBe(`Refused: order ${orderId} was never sent "order_cancelled" by email; there is nothing to resend`);
    const unknown = await support('resend', orderId, 'birthday_card');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/"birthday_card" is not a message of an order/);
  });

  it('a message the order was sent twice (a second delivery problem): resend sends the latest, or the one --occurrence names; in-doubt names which', async () => {
    const conn = db.orm.em.fork().getConnection();
    const exceptionRows = () => conn.execute<{ occurrence: number; status: string; attempts: number; resends: number }[]>(
      `select occurrence, status, attempts, jsonb_array_length(coalesce(payload->'resends', '[]'::jsonb)) as resends
         from notifications where order_id = ? and template = 'shipment_exception' order by occurrence`, [orderId]);
    for (const [occurrence, reason] of [[1, 'Address not found'], [2, 'No one at home']] as const) {
      await conn.execute(`insert into notifications (order_id, template, channel, occurrence, recipient, status, attempts, payload, sent_at)
        values (?, 'shipment_exception', 'email', ?, 'ada@example.com', 'sent', 1, ?, now())`, [orderId, occurrence, JSON.stringify({ reason })]);
    }
    const latest = await support('resend', orderId, 'shipment_exception', '--reason', 'customer lost it');
    expect(latest.code).toBe(0);
    expect(latest.out).toMatch(/the email "shipment_exception" #2 of order .*: sent/);
    expect(await exceptionRows()).toEqual([{ occurrence: 1, status: 'sent', attempts: 1, resends: 0 }, { occurrence: 2, status: 'sent', attempts: 2, resends: 1 }]);
    const first = await support('resend', orderId, 'shipment_exception', '--occurrence', '1', '--reason', 'customer lost the first too', '--json');
    expect(first.code).toBe(0);
    expect(first.json.result.result).toEqual(expect.objectContaining({ template: 'shipment_exception', channel: 'email', occurrence: 1, status: 'sent' }));
    expect(await exceptionRows()).toEqual([{ occurrence: 1, status: 'sent', attempts: 2, resends: 1 }, { occurrence: 2, status: 'sent', attempts: 2, resends: 1 }]);
    const never = await support('resend', orderId, 'shipment_exception', '--occurrence', '3');
    expect(never.code).toBe(1);
    expect(never.err).toBe(`Refused: order ${orderId} was never sent "shipment_exception" (occurrence 3) by email; there is nothing to resend`);
    expect((await support('resend', orderId, 'shipment_exception', '--occurrence', '0')).code).toBe(2);

    await conn.execute(`update notifications set status = 'sending', claimed_at = now() - interval '2 minutes', last_error = 'in doubt: SendGrid did not answer'
      where order_id = ? and template = 'shipment_exception' and occurrence = 2`, [orderId]);
    const listed = await support('in-doubt');
    expect(listed.out).toContain(`email "shipment_exception" #2`);
    expect(listed.out).toContain(`resend: npm run support -- resend ${orderId} shipment_exception --channel email --occurrence 2`);
    expect((await support('resend', orderId, 'shipment_exception', '--occurrence', '2', '--reason', 'customer never got it')).code).toBe(0);
    expect(await exceptionRows()).toEqual([{ occurrence: 1, status: 'sent', attempts: 2, resends: 1 }, { occurrence: 2, status: 'sent', attempts: 3, resends: 2 }]);
  });

  it('in-doubt lists a message whose send was cut off (never a fresh claim); resend sends it, and it is listed no more', async () => {
    const conn = db.orm.em.fork().getConnection();
    const claim = (age: string) => conn.execute(`update notifications set status = 'sending', claimed_at = now() - ?::interval,
      last_error = 'in doubt: SendGrid did not answer: timeout' where order_id = ? and template = 'order_confirmed' and channel = 'email'`, [age, orderId]);
    await claim('5 seconds'); // an attempt that may still be running is not in doubt yet
    expect((await support('in-doubt', '--json')).json.result.messages.filter((m: { orderId: string }) => m.orderId === orderId)).toEqual([]);
    await claim('2 minutes');
    const listed = await support('in-doubt', '--json');
    expect(listed.code).toBe(0);
    expect(listed.json.result.messages.filter((m: { orderId: string }) => m.orderId === orderId)).toEqual([
      { orderId, cartId: null, template: 'order_confirmed', channel: 'email', occurrence: 1, claimedAt: expect.any(String), attempts: 2,
        note: 'in doubt: SendGrid did not answer: timeout' }]);
    expect((await support('in-doubt')).out).toContain(`resend: npm run support -- resend ${orderId} order_confirmed --channel email`);
    expect((await support('resend', orderId, 'order_confirmed', '--reason', 'customer never got it')).code).toBe(0);
    expect((await support('in-doubt', '--json')).json.result.messages.filter((m: { orderId: string }) => m.orderId === orderId)).toEqual([]);
  });

  it('refund before capture: a partial one is refused, retry-payment is refused, and a full one voids by cancelling the order', async () => {
    const partial = await support('refund', orderId, '--amount', '10.00', '--reason', 'goodwill');
    expect(partial.code).toBe(1);
    expect(partial.err).toMatch(/has not been charged yet .* a partial refund is not possible before capture/);
    const retry = await support('retry-payment', orderId);
    expect(retry.code).toBe(1);
    expect(retry.err).toBe(`Refused: the payment of order ${orderId} is authorized; there is nothing to retry`);
    const full = await support('refund', orderId, '--reason', 'changed their mind', '--json');
    expect(full.code).toBe(0);
    expect(full.json.result.result).toEqual(expect.objectContaining({ action: 'voided', state: expect.objectContaining({ status: 'cancelled' }) }));
    const [payment] = await db.orm.em.fork().getConnection().execute<{ status: string }[]>('select status from payments where order_id = ?', [orderId]);
    expect(payment.status).toBe('voided');
    const cancelAgain = await support('cancel', orderId, '--reason', 'twice');
    expect(cancelAgain.code).toBe(1);
    expect(cancelAgain.err).toMatch(new RegExp(`order ${orderId} is cancelled and its workflow has ended|order ${orderId} is already cancelled`));
  });
});

describe('cancel', () => {
  it('cancels a paid order through its compensations, and is refused the second time', async () => {
    const orderId = await paidAndWaiting(api, db);
    const run = await support('cancel', orderId, '--reason', 'customer called', '--json');
    expect(run.code).toBe(0);
    expect(run.json.result).toEqual(expect.objectContaining({ action: 'cancel', summary: `order ${orderId} is cancelled` }));
    expect(run.json.result.result.timeline).toEqual(expect.arrayContaining([
      expect.objectContaining({ step: 'cancel_requested', detail: 'by staff:sam: customer called' }),
      expect.objectContaining({ step: 'release_stock', status: 'compensated' })]));
    expect((await support('cancel', orderId, '--reason', 'again')).code).toBe(1);
  });
});

describe('after the parcel has shipped', () => {
  let orderId: string;
  let shipmentId: string;
  beforeAll(async () => {
    orderId = await paidAndWaiting(api, db);
    shipmentId = await shipOrder(api, db, orderId);
  });

  it('address and cancel are refused with the workflow\'s reasons', async () => {
    const address = await support('address', orderId, 'city=Paris');
    expect(address.code).toBe(1);
    expect(address.err).toMatch(new RegExp(`order ${orderId}('s shipping label is printed| has shipped); its address can no longer change`));
    const cancel = await support('cancel', orderId, '--reason', 'too late');
    expect(cancel.code).toBe(1);
    expect(cancel.err).toMatch(/can no longer be cancelled/);
  });

  it('refunds part, refuses more than is left, refunds the rest, then has nothing left to refund', async () => {
    const part = await support('refund', orderId, '--amount', '10.00', '--reason', 'scratched mug');
    expect(part.code).toBe(0);
    expect(part.out).toMatch(/refunded 10\.00 USD of order .* \(10\.00 USD of 49\.00 USD captured is refunded in all\)/);
    const tooMuch = await support('refund', orderId, '--amount', '4000', '--reason', 'more');
    expect(tooMuch.code).toBe(1);
    expect(tooMuch.err).toBe(`Refused: a refund of 40.00 USD is more than the 39.00 USD left to refund on order ${orderId} (captured 49.00 USD, refunded 10.00 USD)`);
    const rest = await support('refund', orderId, '--reason', 'returned the rest', '--json');
    expect(rest.json.result.result).toEqual(expect.objectContaining({ action: 'refunded', refunded: 3900, refundedAmount: 4900, capturedAmount: 4900 }));
    const none = await support('refund', orderId, '--amount', '1', '--reason', 'one more cent');
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/everything captured for order .* \(49\.00 USD\) has already been refunded/);
    const conn = db.orm.em.fork().getConnection();
    expect(await conn.execute('select amount, status, reason from refunds order by created_at')).toEqual(expect.arrayContaining([
      { amount: '1000', status: 'succeeded', reason: 'scratched mug' }, { amount: '3900', status: 'succeeded', reason: 'returned the rest' }]));
    const [payment] = await conn.execute<{ status: string; refunded_amount: string }[]>('select status, refunded_amount from payments where order_id = ?', [orderId]);
    expect(payment).toEqual({ status: 'refunded', refunded_amount: '4900' });
    const [intent] = await conn.execute<{ amount_refunded: string }[]>(`select amount_refunded from simulated_payment_intents where metadata->>'orderId' = ?`, [orderId]);
    expect(intent.amount_refunded).toBe('4900');
    expect((await live(orderId)).timeline.filter((t: { step: string }) => t.step === 'refund').map((t: { detail: string }) => t.detail)).toEqual([
      'by staff:sam: scratched mug (refunded 10.00 USD; 10.00 USD of 49.00 USD refunded in all)',
      'by staff:sam: more (refused: a refund of 40.00 USD is more than the 39.00 USD left to refund on order '
        + `${orderId} (captured 49.00 USD, refunded 10.00 USD))`,
      'by staff:sam: returned the rest (refunded 39.00 USD; 49.00 USD of 49.00 USD refunded in all)',
      `by staff:sam: one more cent (refused: everything captured for order ${orderId} (49.00 USD) has already been refunded)`,
    ]);
  });

  it('refunds lines: each its share of what it was charged, never more of a line than is left of it', async () => {
    const other = await paidAndWaiting(api, db);
    await shipOrder(api, db, other);
    const mug = await support('refund', other, '--lines', 'MUG-1:1', '--reason', 'one mug broken', '--json');
    expect(mug.json.result.result).toEqual(expect.objectContaining({ action: 'refunded', refunded: 1200 }));
    const tooMany = await support('refund', other, '--lines', 'MUG-1:2', '--reason', 'both mugs');
    expect(tooMany.code).toBe(1);
    expect(tooMany.err).toMatch(/has 1 of MUG-1 left to refund \(2 ordered, 1 refunded\); 2 were asked for/);
    expect((await support('refund', other, '--lines', 'NOPE-1:1', '--reason', 'x')).err).toMatch(/has no line NOPE-1/);
    const rest = await support('refund', other, '--lines', 'MUG-1:1,TEE-1:1', '--reason', 'returned', '--json');
    expect(rest.json.result.result).toEqual(expect.objectContaining({ refunded: 3700, refundedAmount: 4900 }));
    const rows = await db.orm.em.fork().getConnection().execute(`select rl.sku, rl.quantity, rl.amount from refund_lines rl join refunds r on r.id = rl.refund_id
      join payments p on p.id = r.payment_id where p.order_id = ? order by r.created_at, rl.sku`, [other]);
    expect(rows).toEqual([{ sku: 'MUG-1', quantity: 1, amount: '1200' }, { sku: 'MUG-1', quantity: 1, amount: '1200' }, { sku: 'TEE-1', quantity: 1, amount: '2500' }]);
  });

  it('a repeated request (same --request-id) refunds once', async () => {
    const other = await paidAndWaiting(api, db);
    await shipOrder(api, db, other);
    const requestId = randomUUID();
    const first = await support('refund', other, '--amount', '500', '--reason', 'late', '--request-id', requestId);
    const again = await support('refund', other, '--amount', '500', '--reason', 'late', '--request-id', requestId);
    expect([first.code, again.code]).toEqual([0, 0]);
    const [payment] = await db.orm.em.fork().getConnection().execute<{ refunded_amount: string }[]>('select refunded_amount from payments where order_id = ?', [other]);
    expect(payment.refunded_amount).toBe('500');
  });

  it('carrier-event signals the tracking workflow and notes it in the order\'s timeline; delivered ends the order', async () => {
    const run = await support('carrier-event', shipmentId, 'in_transit', '--reason', 'carrier phoned', '--json');
    expect(run.code).toBe(0);
    expect(run.json.result.result).toEqual(expect.objectContaining({ shipmentId, orderId, status: 'in_transit', timelineNote: true }));
    const conn = db.orm.em.fork().getConnection();
    const deadline = Date.now() + 20_000;
    let events: { status: string; provider_event_id: string }[] = [];
    while (Date.now() < deadline && events.length === 0) {
      events = await conn.execute(`select status, provider_event_id from shipment_events where shipment_id = ? and status = 'in_transit'`, [shipmentId]);
      if (events.length === 0) await new Promise((r) => setTimeout(r, 200));
    }
    expect(events).toEqual([{ status: 'in_transit', provider_event_id: run.json.result.result.eventId }]);
    expect((await live(orderId)).timeline).toEqual(expect.arrayContaining([expect.objectContaining({
      step: 'support_carrier_event', detail: `by staff:sam: carrier event "in_transit" for shipment ${shipmentId}: carrier phoned` })]));

    expect((await support('carrier-event', shipmentId, 'delivered', '--reason', 'signed for')).code).toBe(0);
    await waitForOrder(api, orderId, (l) => l.status === 'delivered');
    const afterwards = await support('hold', orderId, '--reason', 'too late');
    expect(afterwards.code).toBe(1);
    const ended = await support('carrier-event', shipmentId, 'exception', '--reason', 'late scan');
    expect(ended.code).toBe(1);
    expect(ended.err).toMatch(new RegExp(`shipment ${shipmentId} is not being tracked any more`));
    expect((await auditRows(db, { shipmentId })).map((r) => [r.action, r.outcome])).toEqual([
      ['carrier_event', 'done'], ['carrier_event', 'done'], ['carrier_event', 'refused']]);
  });
});

describe('retry-payment', () => {
  it('for a payment stuck on 3-D Secure: refused while the customer has not finished, done once the provider knows (a lost webhook)', async () => {
    const { orderId, body } = await placeOrder(api, db, { paymentMethod: 'pm_card_authenticationRequired' });
    expect(body.payment.status).toBe('requires_action');
    const waiting = await support('retry-payment', orderId, '--reason', 'customer says they did it');
    expect(waiting.code).toBe(1);
    expect(waiting.err).toMatch(/the customer has not completed 3-D Secure for order .* yet \(payment pi_sim_\w+\); there is nothing to retry/);
    // The customer completes 3-D Secure at the bank, but the webhook never reaches us.
    const intentId = body.payment.nextAction!.url.split('/').slice(-2)[0];
    await new SimulatedPaymentProvider(db.orm).completeAction(intentId, 'succeeded');
    const retried = await support('retry-payment', orderId, '--reason', 'webhook lost');
    expect(retried.code).toBe(0);
    expect(retried.out).toMatch(/the payment of order .* is authorized/);
    await waitForOrder(api, orderId, (l) => l.status === 'awaiting_fulfillment');
    expect((await live(orderId)).timeline).toEqual(expect.arrayContaining([
      expect.objectContaining({ step: 'retry_payment', status: 'skipped' }),
      expect.objectContaining({ step: 'retry_payment', status: 'completed', detail: 'by staff:sam: webhook lost (the provider says authorized; passed to the payment)' })]));
    expect((await auditRows(db, { orderId })).map((r) => [r.action, r.reason, r.outcome])).toEqual([
      ['retry_payment', 'customer says they did it', 'refused'], ['retry_payment', 'webhook lost', 'done']]);
  });

  it('for a declined order: refused, pointing at the reopened cart', async () => {
    const { orderId } = await placeOrder(api, db, { paymentMethod: 'pm_card_chargeDeclined' });
    await waitForOrder(api, orderId, (l) => l.status === 'failed');
    const run = await support('retry-payment', orderId);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/has failed and was rolled back .*its cart is open again|is failed and its workflow has ended/);
  });
});

describe('find', () => {
  it('finds an order by each search attribute and by date (visibility is eventually consistent: polled)', async () => {
    const customerId = await newCustomer(db);
    const orderId = await paidAndWaiting(api, db, customerId);
    const today = new Date().toISOString().slice(0, 10);
    const queries: string[][] = [
      ['--order', orderId], ['--customer', customerId], ['--status', 'awaiting_fulfillment', '--customer', customerId],
      ['--min-total', '4900', '--max-total', '4900', '--customer', customerId], ['--since', today, '--until', today, '--order', orderId],
      ['--since', today, '--date-field', 'ExecutionTime', '--order', orderId],
    ];
    for (const filters of queries) {
      const deadline = Date.now() + 20_000;
      let run = await support('find', ...filters, '--json');
      while (run.json.result.orders.length === 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        run = await support('find', ...filters, '--json');
      }
      expect({ filters, orders: run.json.result.orders }).toEqual({ filters, orders: [expect.objectContaining({
        orderId, customerId, status: 'awaiting_fulfillment', total: 4900, workflowId: `checkout-${orderId}`, workflowStatus: 'RUNNING' })] });
    }
    const none = await support('find', '--customer', customerId, '--status', 'delivered');
    expect(none.out).toMatch(/^query: WorkflowType = "checkout" AND CustomerId = ".*" AND OrderStatus = "delivered"\n0 orders$/);
  });
});

describe('the real command', () => {
  // Asynchronous on purpose: this process runs the worker and the API the command talks to.
  const run = (args: string[]) => new Promise<{ status: number | null; stdout: string; stderr: string }>((done) => {
    execFile('npx', ['tsx', 'src/cli/support.ts', ...args], {
      cwd: resolve(__dirname, '..', '..'), encoding: 'utf8', timeout: 60_000,
      env: { ...process.env, TEMPORAL_ADDRESS: required('TEST_TEMPORAL_ADDRESS'), DATABASE_URL: db.url, LOG_LEVEL: 'silent', STAFF_KEY: STAFF.support.key },
    }, (err, stdout, stderr) => done({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }));
  });

  it('exits 0 with --help, 2 on bad usage, 3 for an unknown order, 0 with the status of a real one', async () => {
    expect((await run(['--help'])).status).toBe(0);
    expect((await run(['cancel', randomUUID()])).status).toBe(2);
    const missing = await run(['status', randomUUID()]);
    expect({ code: missing.status, err: missing.stderr }).toEqual({ code: 3, err: expect.stringMatching(/^Not found: order .* does not exist/) });
    const orderId = await paidAndWaiting(api, db);
    const found = await run(['status', orderId, '--json']);
    expect(found.status).toBe(0);
    expect(JSON.parse(found.stdout)).toEqual(expect.objectContaining({ ok: true, command: 'status', result: expect.objectContaining({ orderId }) }));
  });
});

describe('staff keys', () => {
  const as = async (env: NodeJS.ProcessEnv, ...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runSupport(argv, { out: (t) => out.push(t), err: (t) => err.push(t) }, async () => deps, { ...process.env, ...env });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  it('every command needs the support role: no key, an unknown or revoked one, or another role exits 4 and does nothing', async () => {
    const orderId = await paidAndWaiting(api, db);
    const nowhere = { STAFF_KEY: '', STAFF_KEY_FILE: '', DEV_DATA_DIR: resolve(__dirname, 'no-such-dir') };
    const none = await as(nowhere, 'hold', orderId, '--reason', 'x');
    expect({ code: none.code, err: none.err }).toEqual({ code: 4, err: expect.stringMatching(/^Not allowed: No staff key: set STAFF_KEY/) });
    const unknown = await as({ STAFF_KEY: 'staff_not-a-key-of-anyone' }, 'hold', orderId, '--reason', 'x');
    expect({ code: unknown.code, err: unknown.err }).toEqual({ code: 4, err: expect.stringMatching(/is not valid: it is unknown, revoked/) });
    for (const role of ['warehouse', 'catalog'] as const) {
      const other = await as({ STAFF_KEY: STAFF[role].key }, 'hold', orderId, '--reason', 'x');
      expect({ role, code: other.code, err: other.err }).toEqual({ role, code: 4,
        err: `Not allowed: npm run support -- hold needs the support or admin role; staff:${STAFF[role].name} has ${role}. An admin can grant it.` });
      expect((await as({ STAFF_KEY: STAFF[role].key }, 'status', orderId)).code).toBe(4);
    }
    expect(await auditRows(db, { orderId })).toEqual([]);
    expect((await live(orderId)).held).toBe(false);
    const admin = await as({ STAFF_KEY: STAFF.admin.key }, 'hold', orderId, '--reason', 'admins may do everything');
    expect(admin.code).toBe(0);
    expect((await auditRows(db, { orderId })).map((r) => r.actor)).toEqual(['staff:ada']);
  });

  it('a key read from STAFF_KEY_FILE works as well, and the audit row names the account and the key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'staff-key-'));
    writeFileSync(join(dir, 'key'), `${STAFF.support.key}\n`);
    const orderId = await paidAndWaiting(api, db);
    expect((await as({ STAFF_KEY: '', STAFF_KEY_FILE: join(dir, 'key') }, 'hold', orderId, '--reason', 'from a file')).code).toBe(0);
    const [row] = await db.orm.em.fork().getConnection().execute(
      `select a.actor, s.name, k.hint from support_actions a join staff_accounts s on s.id = a.staff_id join staff_api_keys k on k.id = a.staff_key_id
        where a.order_id = ?`, [orderId]);
    expect(row).toEqual({ actor: 'staff:sam', name: 'sam', hint: `${STAFF.support.key.slice(0, 12)}…` });
  });
});

describe('the audit trail', () => {
  it('every action, done or refused, leaves one row with who, when, why and how it ended; each accepted one is in the order\'s timeline', async () => {
    const waiting = await paidAndWaiting(api, db);
    const shipped = await paidAndWaiting(api, db);
    const shipmentId = await shipOrder(api, db, shipped);
    // argv, the audited action, its outcome, and the timeline step an accepted one leaves on the order
    const runs: [string[], string, 'done' | 'refused', string?][] = [
      [['hold', waiting, '--reason', 'fraud check'], 'hold', 'done', 'hold'],
      [['hold', waiting, '--reason', 'again'], 'hold', 'refused'],
      [['release', waiting, '--reason', 'cleared'], 'release', 'done', 'release'],
      [['release', waiting, '--reason', 'once more'], 'release', 'refused'],
      [['address', waiting, 'city=Cambridge', '--reason', 'typo in the city'], 'change_address', 'done', 'change_shipping_address'],
      [['address', shipped, 'city=Oxford', '--reason', 'too late'], 'change_address', 'refused'],
      [['resend', waiting, 'order_confirmed', '--reason', 'lost it'], 'resend', 'done', 'resend_notification'],
      [['resend', waiting, 'order_cancelled', '--reason', 'never sent'], 'resend', 'refused'],
      [['retry-payment', waiting, '--reason', 'stuck?'], 'retry_payment', 'refused'],
      [['refund', shipped, '--amount', '100', '--reason', 'goodwill'], 'refund', 'done', 'refund'],
      [['refund', shipped, '--amount', '999999', '--reason', 'far too much'], 'refund', 'refused'],
      [['carrier-event', shipmentId, 'in_transit', '--reason', 'carrier phoned'], 'carrier_event', 'done', 'support_carrier_event'],
      [['cancel', shipped, '--reason', 'after shipping'], 'cancel', 'refused'],
      [['cancel', waiting, '--reason', 'customer called'], 'cancel', 'done', 'cancel_requested'],
    ];
    for (const [argv, action, outcome, step] of runs) {
      const requestId = randomUUID();
      const before = new Date();
      const run = await support(...argv, '--request-id', requestId);
      expect({ argv, code: run.code }).toEqual({ argv, code: outcome === 'done' ? 0 : 1 });
      const [row] = await db.orm.em.fork().getConnection().execute<Record<string, unknown>[]>(
        'select action, actor, via, reason, outcome, outcome_detail, order_id, requested_at, completed_at from support_actions where id = ?', [requestId]);
      const reason = argv[argv.indexOf('--reason') + 1];
      const orderId = argv[1] === shipmentId ? shipped : argv[1];
      expect({ argv, row }).toEqual({ argv, row: {
        action, actor: 'staff:sam', via: 'cli', reason, outcome, order_id: orderId, requested_at: expect.any(String), completed_at: expect.any(String),
        outcome_detail: outcome === 'refused' ? run.err.replace(/^Refused: /, '') : expect.stringContaining(orderId) } });
      expect(Date.parse(row.requested_at as string)).toBeGreaterThanOrEqual(before.getTime() - 1000);
      expect(Date.parse(row.completed_at as string)).toBeGreaterThanOrEqual(Date.parse(row.requested_at as string));
      if (step) {
        const entry = (await live(orderId)).timeline.find((t: { step: string; detail?: string }) => t.step === step && t.detail?.includes(reason));
        expect({ argv, entry }).toEqual({ argv, entry: expect.objectContaining({ at: expect.any(String), detail: expect.stringContaining(`staff:sam`) }) });
      }
    }
  });
});

describe('a customer\'s erasure', () => {
  const as = async (role: 'support' | 'admin', ...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runSupport(argv, { out: (t) => out.push(t), err: (t) => err.push(t) }, async () => deps, { ...process.env, STAFF_KEY: STAFF[role].key });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  it('erase is for admins (support exits 4), waits for the customer\'s order in flight, and erasure-decide erase_now finishes it; erasure says where it stands', async () => {
    const customerId = await newCustomer(db);
    const orderId = await paidAndWaiting(api, db, customerId);
    expect((await as('support', 'erase', customerId)).code).toBe(4);
    const started = await as('admin', 'erase', customerId);
    expect({ code: started.code, out: started.out }).toEqual({ code: 0, out: `Erasure of customer ${customerId} started (gdpr-erasure-${customerId}); the account is closed.` });
    let status = await as('support', 'erasure', customerId);
    for (let i = 0; i < 50 && !status.out.includes(orderId); i++) status = await as('support', 'erasure', customerId);
    expect(status.out).toBe(`customer ${customerId}: waiting_for_orders: orders ${orderId}`);
    expect((await as('support', 'erasure-decide', customerId, 'erase_now')).code).toBe(4);
    expect((await as('admin', 'erasure-decide', customerId, 'maybe')).code).toBe(2);
    expect((await as('admin', 'erasure-decide', customerId, 'erase_now')).code).toBe(0);
    await temporal.client.workflow.getHandle(`gdpr-erasure-${customerId}`).result();
    expect((await as('support', 'erasure', customerId)).out).toMatch(new RegExp(`^customer ${customerId}: erased: .*customers 1`));
    expect((await as('admin', 'erasure-decide', customerId, 'withdraw')).code).toBe(1);
    expect((await as('admin', 'erase', '00000000-0000-4000-8000-000000000000')).code).toBe(3);
  });
});
