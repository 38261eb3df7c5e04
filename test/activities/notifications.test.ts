/**
 * The notification outbox on a real database: what reaches the provider, what the outbox row says
 * afterwards, and that no path (concurrent attempts, a refusal and its retry, a crash mid-send)
 * sends a message twice.
 */
import pino from 'pino';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { placeTestOrder, realActivities, seedCheckoutCatalog } from '../support/checkout';
import { startRecordingServer, type RecordingServer } from '../support/recording-server';
import { NotifierError, type Notifier, type OutgoingMessage } from '../../src/integrations/notifier';
import { TwilioNotifier } from '../../src/integrations/twilio';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  await seedCheckoutCatalog(db, 100);
});
afterAll(async () => {
  await db?.drop();
});

const query = <T>(sql: string, params: unknown[] = []) => db.orm.em.fork().getConnection().execute<T[]>(sql, params);
const outbox = (orderId: string) => query<{ channel: string; status: string; attempts: number; last_error: string | null; provider_message_id: string | null }>(
  'select channel, status, attempts, last_error, provider_message_id from notifications where order_id = ? order by channel', [orderId]);

/** A provider stand-in that keeps what it was asked to send, and can refuse on cue. */
function capturing(refuse: (m: OutgoingMessage) => Error | undefined = () => undefined) {
  const sent: OutgoingMessage[] = [];
  const notifier: Notifier = {
    send: async (m) => {
      const err = refuse(m);
      if (err) throw err;
      sent.push(m);
      return { provider: 'capture', messageId: `cap-${sent.length}` };
    },
  };
  return { sent, notifier };
}

it('a phone number that is not E.164 means no SMS, a log line and a skipped outbox row saying why; the e-mail still goes', async () => {
  const order = await placeTestOrder(db, { phone: '07700 900123' });
  const { sent, notifier } = capturing();
  const lines: { level: number; msg: string; orderId?: string; channel?: string }[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  const acts = realActivities(db, { notifier, logger });
  expect(await acts.sendOrderNotification({ orderId: order.orderId, template: 'order_confirmed', channel: 'email' })).toMatchObject({ status: 'sent' });
  expect(await acts.sendOrderNotification({ orderId: order.orderId, template: 'order_confirmed', channel: 'sms' })).toMatchObject({ status: 'skipped' });
  expect(sent.map((m) => [m.channel, m.to])).toEqual([['email', 'ada@example.com']]);
  expect(await outbox(order.orderId)).toEqual([
    expect.objectContaining({ channel: 'email', status: 'sent', attempts: 1 }),
    expect.objectContaining({ channel: 'sms', status: 'skipped', attempts: 0, last_error: expect.stringContaining('E.164') }),
  ]);
  expect(lines).toContainEqual(expect.objectContaining({ level: 40, orderId: order.orderId, channel: 'sms', msg: expect.stringMatching(/^SMS skipped: .*E\.164/) }));
  // A retry of the SMS step stays skipped.
  expect((await acts.sendOrderNotification({ orderId: order.orderId, template: 'order_confirmed', channel: 'sms' })).status).toBe('skipped');
});

it('a refusal marks the row failed with the reason; the retry sends the message once', async () => {
  const order = await placeTestOrder(db);
  let refusals = 1;
  const { sent, notifier } = capturing(() => (refusals-- > 0 ? new NotifierError('SendGrid answered 503: try later', true) : undefined));
  const acts = realActivities(db, { notifier });
  const send = () => acts.sendOrderNotification({ orderId: order.orderId, template: 'payment_failed', channel: 'email', reason: 'card declined' });
  await expect(send()).rejects.toMatchObject({ type: 'notifier_error', nonRetryable: false });
  expect(await outbox(order.orderId)).toEqual([expect.objectContaining({ status: 'failed', attempts: 1, last_error: 'SendGrid answered 503: try later' })]);
  expect(await send()).toEqual({ status: 'sent', messageId: 'cap-1' });
  expect(await send()).toEqual({ status: 'already_sent', messageId: 'cap-1' });
  expect(sent).toHaveLength(1);
  expect(sent[0].text).toContain('(card declined)');
  expect(await outbox(order.orderId)).toEqual([expect.objectContaining({ status: 'sent', attempts: 2, last_error: null, provider_message_id: 'cap-1' })]);
});

it('a retry after a crash mid-send does not send again: the message may have gone, so it is reported in doubt', async () => {
  const order = await placeTestOrder(db);
  // What a worker that died between claiming the row and recording the provider's answer leaves behind.
  await query(`insert into notifications (order_id, template, channel, recipient, status, attempts, claimed_at)
               values (?, 'order_confirmed', 'email', 'ada@example.com', 'sending', 1, now() - interval '2 minutes')`, [order.orderId]);
  const { sent, notifier } = capturing();
  const result = await realActivities(db, { notifier }).sendOrderNotification({ orderId: order.orderId, template: 'order_confirmed', channel: 'email' });
  expect(result).toMatchObject({ status: 'in_doubt' });
  expect(sent).toHaveLength(0);
  expect(await outbox(order.orderId)).toEqual([expect.objectContaining({ status: 'sending', attempts: 1, last_error: expect.stringMatching(/^in doubt/) })]);
});

it('a provider that did not answer may have sent it: the row stays claimed, in doubt, and nothing is retried', async () => {
  const order = await placeTestOrder(db);
  const { sent, notifier } = capturing(() => new NotifierError('SendGrid did not answer: timeout of 20000ms exceeded (ECONNABORTED)', false, true));
  const result = await realActivities(db, { notifier }).sendOrderNotification({ orderId: order.orderId, template: 'order_confirmed', channel: 'email' });
  expect(result).toEqual({ status: 'in_doubt', reason: expect.stringMatching(/^in doubt: SendGrid did not answer.*not sent again/) });
  expect(sent).toHaveLength(0);
  expect(await outbox(order.orderId)).toEqual([expect.objectContaining({ status: 'sending', attempts: 1, last_error: expect.stringMatching(/^in doubt/) })]);
});

it('a second attempt while the first is still sending waits for it and sends nothing itself', async () => {
  const order = await placeTestOrder(db);
  let release!: () => void;
  const slow = new Promise<void>((resolve) => { release = resolve; });
  const sent: string[] = [];
  const acts = realActivities(db, { notifier: { send: async (m) => { await slow; sent.push(m.to); return { provider: 'slow', messageId: 'slow-1' }; } } });
  const first = acts.sendOrderNotification({ orderId: order.orderId, template: 'order_confirmed', channel: 'email' });
  await new Promise((r) => setTimeout(r, 200));
  const second = acts.sendOrderNotification({ orderId: order.orderId, template: 'order_confirmed', channel: 'email' });
  await new Promise((r) => setTimeout(r, 200));
  release();
  expect(await first).toEqual({ status: 'sent', messageId: 'slow-1' });
  expect(await second).toEqual({ status: 'already_sent', messageId: 'slow-1' });
  expect(sent).toHaveLength(1);
});

it('a parcel out for delivery a second time is a second text: each occurrence goes once however often it is retried, and other messages stay once per order', async () => {
  const order = await placeTestOrder(db, { phone: '+447700900123' });
  const { sent, notifier } = capturing();
  const acts = realActivities(db, { notifier });
  const outForDelivery = (occurrence?: number) => acts.sendOrderNotification({ orderId: order.orderId, template: 'out_for_delivery', channel: 'sms', occurrence });
  expect(await outForDelivery()).toEqual({ status: 'sent', messageId: 'cap-1' }); // no occurrence: the first
  expect(await outForDelivery(1)).toEqual({ status: 'already_sent', messageId: 'cap-1' });
  // The second time out for delivery, its attempts at once and its retry after it went.
  const second = await Promise.all([outForDelivery(2), outForDelivery(2)]);
  expect(second.map((r) => r.status).sort()).toEqual(['already_sent', 'sent']);
  expect(await outForDelivery(2)).toEqual({ status: 'already_sent', messageId: 'cap-2' });
  // The confirmation has no second occurrence: a retry of it is the same message.
  const confirmed = () => acts.sendOrderNotification({ orderId: order.orderId, template: 'order_confirmed', channel: 'sms' });
  expect((await confirmed()).status).toBe('sent');
  expect((await confirmed()).status).toBe('already_sent');

  expect(sent.map((m) => m.text)).toEqual([expect.stringMatching(/out for delivery/), expect.stringMatching(/out for delivery/), expect.any(String)]);
  expect(new Set(sent.map((m) => m.idempotencyKey)).size).toBe(3);
  expect(await query<{ template: string; occurrence: number; status: string; attempts: number }>(
    'select template, occurrence, status, attempts from notifications where order_id = ? order by created_at', [order.orderId])).toEqual([
    { template: 'out_for_delivery', occurrence: 1, status: 'sent', attempts: 1 },
    { template: 'out_for_delivery', occurrence: 2, status: 'sent', attempts: 1 },
    { template: 'order_confirmed', occurrence: 1, status: 'sent', attempts: 1 },
  ]);
});

it('a shipping message names the carrier and the tracking number of the order\'s parcel', async () => {
  const order = await placeTestOrder(db);
  await query(`insert into shipments (order_id, carrier, tracking_number, status) values (?, 'UPS', ?, 'in_transit')`, [order.orderId, `1Z${order.orderId.slice(0, 8)}`]);
  const { sent, notifier } = capturing();
  await realActivities(db, { notifier }).sendOrderNotification({ orderId: order.orderId, template: 'shipped', channel: 'email' });
  expect(sent[0].subject).toMatch(/is on its way$/);
  expect(sent[0].text).toContain(`with UPS, tracking number 1Z${order.orderId.slice(0, 8)}`);
});

describe('through Twilio', () => {
  let twilio: RecordingServer;
  beforeAll(async () => {
    twilio = await startRecordingServer((req) => ({ status: 201, body: { sid: `SM${'a'.repeat(32)}`, status: 'queued', to: req.form?.To, body: req.form?.Body } }));
  });
  afterAll(async () => {
    await twilio?.close();
  });
  beforeEach(() => {
    twilio.requests.length = 0;
  });

  it('an SMS Twilio refuses for good is recorded as failed with its reason and answered refused, not thrown for the retry policy to repeat', async () => {
    const order = await placeTestOrder(db, { phone: '+447700900123' });
    twilio.answerWith(() => ({ status: 400, body: { code: 21614, message: "'To' number is not a valid mobile number", more_info: 'https://www.twilio.com/docs/errors/21614', status: 400 } }));
    const acts = realActivities(db, { notifier: new TwilioNotifier({ accountSid: `AC${'1'.repeat(32)}`, authToken: 'token', from: '+15005550006', apiBase: twilio.url }) });
    const send = () => acts.sendOrderNotification({ orderId: order.orderId, template: 'order_confirmed', channel: 'sms' });
    expect(await send()).toEqual({ status: 'refused', reason: expect.stringMatching(/^Twilio answered 400: 'To' number is not a valid mobile number \(error 21614/) });
    expect(await outbox(order.orderId)).toEqual([expect.objectContaining({ channel: 'sms', status: 'failed', attempts: 1, last_error: expect.stringContaining('21614') })]);
    expect(twilio.requests).toHaveLength(1);
  });

  it("an SMS goes to Twilio once, in its short form, after its outbox row is written; the row then keeps Twilio's message sid", async () => {
    const order = await placeTestOrder(db, { phone: '+447700900123' });
    const whileSending: unknown[] = [];
    twilio.answerWith(async (req) => {
      whileSending.push(...await query('select status, provider_message_id from notifications where order_id = ?', [order.orderId]));
      return { status: 201, body: { sid: `SM${'a'.repeat(32)}`, status: 'queued', to: req.form?.To, body: req.form?.Body } };
    });
    const notifier = new TwilioNotifier({ accountSid: `AC${'1'.repeat(32)}`, authToken: 'token', from: '+15005550006', apiBase: twilio.url });
    const acts = realActivities(db, { notifier });
    await Promise.all([1, 2].map(() => acts.sendOrderNotification({ orderId: order.orderId, template: 'out_for_delivery', channel: 'sms' })));
    expect(twilio.requests).toHaveLength(1);
    expect(twilio.requests[0].form).toEqual(expect.objectContaining({ To: '+447700900123', Body: expect.stringMatching(/^Order \w{8} is out for delivery today\.$/) }));
    const [row] = await query<{ provider: string; provider_message_id: string; status: string }>(
      'select provider, provider_message_id, status from notifications where order_id = ?', [order.orderId]);
    expect(row).toEqual({ provider: 'twilio', provider_message_id: `SM${'a'.repeat(32)}`, status: 'sent' });
    expect(whileSending).toEqual([{ status: 'sending', provider_message_id: null }]);
  });
});
