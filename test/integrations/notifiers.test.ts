/**
 * The real Twilio and SendGrid SDKs, pointed at a local endpoint that records what they send and
 * answers as the provider would: the assertions read the HTTP requests (method, path, auth, body)
 * and how each provider answer is classified for Temporal's retry policy.
 */
import { NotifierError, type OutgoingMessage } from '../../src/integrations/notifier';
import { SendGridNotifier } from '../../src/integrations/sendgrid';
import { TwilioNotifier } from '../../src/integrations/twilio';
import { ByChannelNotifier } from '../../src/integrations/by-channel';
import { startRecordingServer, type RecordingServer, type Reply } from '../support/recording-server';

const SID = `AC${'0123456789abcdef'.repeat(2)}`;
const TOKEN = 'twilio-auth-token-for-tests';
const SENDGRID_KEY = 'SG.test-key.for-the-recording-server';

const sms: OutgoingMessage = { channel: 'sms', to: '+447700900123', subject: 'Order ABC confirmed', text: 'Order ABC confirmed ($49.00).',
  html: '<p>unused for SMS</p>', idempotencyKey: 'outbox-row-1' };
const email: OutgoingMessage = { channel: 'email', to: 'ada@example.com', subject: 'Order ABC confirmed', text: 'Thank you, Ada.',
  html: '<p>Thank you, Ada.</p>', idempotencyKey: 'outbox-row-2' };

const twilioCreated = (form: Record<string, string> | undefined): Reply => ({ status: 201, body: {
  sid: 'SM0123456789abcdef0123456789abcdef', account_sid: SID, status: 'queued', to: form?.To, from: form?.From, body: form?.Body,
  direction: 'outbound-api', api_version: '2010-04-01', date_created: 'Thu, 26 Nov 2026 08:00:00 +0000', num_segments: '1' } });

let server: RecordingServer;
beforeEach(async () => {
  server = await startRecordingServer(() => ({ status: 500 }));
});
afterEach(async () => {
  await server.close();
});

async function unreachableUrl(): Promise<string> {
  const closed = await startRecordingServer(() => ({ status: 200 }));
  await closed.close();
  return closed.url;
}

async function failureOf(send: Promise<unknown>): Promise<NotifierError> {
  const err = await send.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(NotifierError);
  return err as NotifierError;
}

describe('Twilio SMS', () => {
  const notifier = (apiBase: string) => new TwilioNotifier({ accountSid: SID, authToken: TOKEN, from: '+15005550006', apiBase,
    statusCallback: 'https://shop.example.com/webhooks/twilio' });

  it("sends one POST to the account's Messages resource, Basic-authenticated, from our number, and returns Twilio's message sid", async () => {
    server.answerWith((req) => twilioCreated(req.form));
    const sent = await notifier(server.url).send(sms);
    expect(sent).toEqual({ provider: 'twilio', messageId: 'SM0123456789abcdef0123456789abcdef' });
    expect(server.requests).toHaveLength(1);
    const [req] = server.requests;
    expect(req.method).toBe('POST');
    expect(req.path).toBe(`/2010-04-01/Accounts/${SID}/Messages.json`);
    expect(req.headers.authorization).toBe(`Basic ${Buffer.from(`${SID}:${TOKEN}`).toString('base64')}`);
    expect(req.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(req.form).toEqual({ To: '+447700900123', From: '+15005550006', Body: 'Order ABC confirmed ($49.00).',
      StatusCallback: 'https://shop.example.com/webhooks/twilio' });
  });

  it('a rate limit (429), an outage (503) and an unreachable Twilio are retryable; a refused number (400) or bad credentials (401) are not', async () => {
    const cases: [number, boolean][] = [[429, true], [503, true], [400, false], [401, false]];
    for (const [status, retryable] of cases) {
      server.answerWith(() => ({ status, body: { code: status === 400 ? 21211 : 20003, message: `refused with ${status}`, more_info: 'https://www.twilio.com/docs/errors', status } }));
      const err = await failureOf(notifier(server.url).send(sms));
      expect({ status, retryable: err.retryable }).toEqual({ status, retryable });
      expect(err.message).toContain(`answered ${status}`);
    }
    const down = await failureOf(notifier(await unreachableUrl()).send(sms));
    expect(down.retryable).toBe(true);
    expect(down.message).toMatch(/could not be reached.*ECONNREFUSED/);
  });

  it('a request that times out may have reached Twilio: not retryable, and marked as maybe sent', async () => {
    server.answerWith(async (req) => {
      await new Promise((r) => setTimeout(r, 600));
      return twilioCreated(req.form);
    });
    const slow = new TwilioNotifier({ accountSid: SID, authToken: TOKEN, from: '+15005550006', apiBase: server.url, timeoutMs: 150 });
    const err = await failureOf(slow.send(sms));
    expect({ retryable: err.retryable, maybeSent: err.maybeSent }).toEqual({ retryable: false, maybeSent: true });
    expect(err.message).toMatch(/^Twilio did not answer/);
    expect(server.requests).toHaveLength(1); // it did arrive: exactly why it must not be sent again
  });

  it('refuses to send an e-mail, without calling Twilio', async () => {
    const err = await failureOf(notifier(server.url).send(email));
    expect(err.retryable).toBe(false);
    expect(server.requests).toHaveLength(0);
  });
});

describe('SendGrid e-mail', () => {
  const notifier = (apiBase: string) => new SendGridNotifier({ apiKey: SENDGRID_KEY, from: 'shop@example.com', apiBase });

  it('sends one POST to /v3/mail/send with the Bearer key, the text and HTML bodies and the outbox id, and returns X-Message-Id', async () => {
    server.answerWith(() => ({ status: 202, headers: { 'X-Message-Id': 'sg-message-1' } }));
    const sent = await notifier(server.url).send(email);
    expect(sent).toEqual({ provider: 'sendgrid', messageId: 'sg-message-1' });
    expect(server.requests).toHaveLength(1);
    const [req] = server.requests;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/v3/mail/send');
    expect(req.headers.authorization).toBe(`Bearer ${SENDGRID_KEY}`);
    expect(req.json).toEqual({
      from: { email: 'shop@example.com' },
      subject: 'Order ABC confirmed',
      personalizations: [{ to: [{ email: 'ada@example.com' }] }],
      content: [{ type: 'text/plain', value: 'Thank you, Ada.' }, { type: 'text/html', value: '<p>Thank you, Ada.</p>' }],
      custom_args: { outbox_id: 'outbox-row-2' },
    });
  });

  it('a rate limit (429), an outage (502) and an unreachable SendGrid are retryable; a refused message (400, 403) is not', async () => {
    const cases: [number, boolean][] = [[429, true], [502, true], [400, false], [403, false]];
    for (const [status, retryable] of cases) {
      server.answerWith(() => ({ status, body: { errors: [{ message: 'The from address does not match a verified Sender Identity.', field: 'from' }] } }));
      const err = await failureOf(notifier(server.url).send(email));
      expect({ status, retryable: err.retryable }).toEqual({ status, retryable });
      expect(err.message).toContain('from: The from address does not match a verified Sender Identity.');
    }
    const down = await failureOf(notifier(await unreachableUrl()).send(email));
    expect(down.retryable).toBe(true);
  });
});

it('a SendGrid request that times out is marked as maybe sent and not retried; an unreachable one is retried', async () => {
  server.answerWith(async () => {
    await new Promise((r) => setTimeout(r, 600));
    return { status: 202, headers: { 'x-message-id': 'late' } };
  });
  const slow = new SendGridNotifier({ apiKey: SENDGRID_KEY, from: 'shop@example.com', apiBase: server.url, timeoutMs: 150 });
  const err = await failureOf(slow.send(email));
  expect({ retryable: err.retryable, maybeSent: err.maybeSent }).toEqual({ retryable: false, maybeSent: true });
  const down = await failureOf(new SendGridNotifier({ apiKey: SENDGRID_KEY, from: 'shop@example.com', apiBase: await unreachableUrl() }).send(email));
  expect({ retryable: down.retryable, maybeSent: down.maybeSent }).toEqual({ retryable: true, maybeSent: false });
});

it('with both providers configured, each message goes through its own channel', async () => {
  server.answerWith((req) => (req.path === '/v3/mail/send' ? { status: 202, headers: { 'X-Message-Id': 'sg-2' } } : twilioCreated(req.form)));
  const notifier = new ByChannelNotifier({
    email: new SendGridNotifier({ apiKey: SENDGRID_KEY, from: 'shop@example.com', apiBase: server.url }),
    sms: new TwilioNotifier({ accountSid: SID, authToken: TOKEN, from: '+15005550006', apiBase: server.url }),
  });
  expect((await notifier.send(email)).provider).toBe('sendgrid');
  expect((await notifier.send(sms)).provider).toBe('twilio');
  expect(server.requests.map((r) => r.path)).toEqual(['/v3/mail/send', `/2010-04-01/Accounts/${SID}/Messages.json`]);
});
