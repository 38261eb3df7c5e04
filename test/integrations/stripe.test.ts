/**
 * The Stripe adapter against stripe-mock, Stripe's own mock server (started once per run by the
 * test harness, test/support/global-setup.ts, on a free loopback port): it routes and validates every
 * request against Stripe's OpenAPI spec and answers with fixtures. It is stateless (every answer is
 * a fixture, a fresh id each time, no idempotent replay), so these tests check what holds for it:
 * the requests are valid Stripe API calls carrying our idempotency keys, and the answers are read.
 * A recording proxy in front of it shows what went over the wire. How Stripe's answers (authorized,
 * 3-D Secure, declines, outages) map to results is tested with answers shaped like Stripe's own.
 */
import Stripe from 'stripe';
import { PaymentProviderError } from '../../src/integrations/payments';
import { apiBaseOptions, authorizationOf, declineOf, paymentStatusOf, providerError, StripePaymentProvider } from '../../src/integrations/stripe';
import { requireStripeMock } from '../../src/integrations/stripe-mock';
import { startRecordingServer, type RecordingServer, type Reply } from '../support/recording-server';

const KEY = 'sk_test_commerce0123456789';
let stripeMockUrl: string;
let proxy: RecordingServer;

beforeAll(async () => {
  requireStripeMock(); // not provisioned: says how to get it
  stripeMockUrl = process.env.TEST_STRIPE_MOCK_URL ?? '';
  if (!stripeMockUrl) throw new Error('stripe-mock was provisioned after the test harness started; run the tests again');
  proxy = await startRecordingServer((req) => forward(req, stripeMockUrl));
});
afterAll(async () => {
  await proxy?.close();
});
beforeEach(() => {
  proxy.requests.length = 0;
});

/** Passes a recorded request on to stripe-mock unchanged and relays its answer. */
async function forward(req: { method: string; path: string; query: URLSearchParams; headers: Record<string, unknown>; body: string }, base: string): Promise<Reply> {
  const headers: Record<string, string> = {};
  for (const name of ['authorization', 'content-type', 'idempotency-key', 'stripe-version']) {
    if (typeof req.headers[name] === 'string') headers[name] = req.headers[name] as string;
  }
  const query = req.query.toString();
  const res = await fetch(`${base}${req.path}${query ? `?${query}` : ''}`, { method: req.method, headers, body: req.method === 'GET' ? undefined : req.body });
  return { status: res.status, headers: { 'content-type': 'application/json', 'request-id': res.headers.get('request-id') ?? '' }, body: await res.text() };
}

const provider = (apiBase = proxy.url) => new StripePaymentProvider({ secretKey: KEY, apiBase, returnUrl: 'https://shop.example.com/orders/{orderId}' });
const authorizeReq = { idempotencyKey: 'order-o-1-authorize', amount: 4900, currency: 'USD', paymentMethod: 'pm_card_visa', orderId: 'o-1' };

describe('against stripe-mock', () => {
  it('an authorization is one PaymentIntent, created and confirmed with manual capture, keyed by our idempotency key, the order id in its metadata', async () => {
    const result = await provider().authorize(authorizeReq);
    expect(proxy.requests).toHaveLength(1);
    const [req] = proxy.requests;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/v1/payment_intents');
    expect(req.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(req.headers['idempotency-key']).toBe('order-o-1-authorize');
    expect(req.form).toEqual({ amount: '4900', currency: 'usd', capture_method: 'manual', confirm: 'true', payment_method: 'pm_card_visa',
      return_url: 'https://shop.example.com/orders/o-1', 'metadata[orderId]': 'o-1' });
    // stripe-mock accepted it (an invalid request is a 400) and answered with its fixture intent, which is
    // left in requires_payment_method: the adapter reads that as "not authorized".
    expect(result).toEqual(expect.objectContaining({ providerRef: expect.stringMatching(/^pi_/), status: 'declined' }));
  });

  it('a retried authorization reaches Stripe as the same request: the same idempotency key and the same parameters', async () => {
    await provider().authorize(authorizeReq);
    await provider().authorize(authorizeReq);
    const [first, second] = proxy.requests;
    expect(second.headers['idempotency-key']).toBe(first.headers['idempotency-key']);
    expect(second.body).toBe(first.body);
  });

  it('capture, void and refunds (full and partial) are valid Stripe calls, each with its own idempotency key', async () => {
    const captured = await provider().capture({ idempotencyKey: 'order-o-1-capture', providerRef: 'pi_123', amount: 4900 });
    await provider().void({ idempotencyKey: 'order-o-1-void', providerRef: 'pi_123' });
    const full = await provider().refund({ idempotencyKey: 'order-o-1-refund-cancel', providerRef: 'pi_123', amount: 4900, orderId: 'o-1' });
    const partial = await provider().refund({ idempotencyKey: 'order-o-1-refund-line-1', providerRef: 'pi_123', amount: 1200, orderId: 'o-1' });
    expect(typeof captured.capturedAmount).toBe('number');
    expect(full.refundRef).toMatch(/^re_/);
    expect(partial.refundRef).toMatch(/^re_/);
    expect(proxy.requests.map((r) => [r.method, r.path, r.headers['idempotency-key'], r.form])).toEqual([
      ['POST', '/v1/payment_intents/pi_123/capture', 'order-o-1-capture', { amount_to_capture: '4900' }],
      ['POST', '/v1/payment_intents/pi_123/cancel', 'order-o-1-void', {}],
      ['POST', '/v1/refunds', 'order-o-1-refund-cancel', { payment_intent: 'pi_123', amount: '4900', 'metadata[orderId]': 'o-1',
        'metadata[idempotencyKey]': 'order-o-1-refund-cancel' }],
      ['POST', '/v1/refunds', 'order-o-1-refund-line-1', { payment_intent: 'pi_123', amount: '1200', 'metadata[orderId]': 'o-1',
        'metadata[idempotencyKey]': 'order-o-1-refund-line-1' }],
    ]);
  });

  it("support's recheck of a payment reads the PaymentIntent, straight from stripe-mock through the client's host, port and protocol", async () => {
    expect(apiBaseOptions(stripeMockUrl)).toEqual({ host: '127.0.0.1', port: new URL(stripeMockUrl).port, protocol: 'http' });
    // stripe-mock's fixture intent waits for a payment method: a payment that was not authorized.
    expect(await provider(stripeMockUrl).retrieve('pi_123')).toBe('declined');
    await provider().retrieve('pi_123');
    expect(proxy.requests.map((r) => [r.method, r.path, r.headers.authorization, r.body])).toEqual([['GET', '/v1/payment_intents/pi_123', `Bearer ${KEY}`, '']]);
  });

  it('finding an order\'s authorization is a valid search by its metadata (and a retrieve by id); an intent of another order is not taken for it', async () => {
    // stripe-mock answers any search with its fixture intent, whose metadata names no order: not ours.
    expect(await provider().findAuthorization({ orderId: 'o-1' })).toBeUndefined();
    expect(await provider().findAuthorization({ orderId: 'o-1', providerRef: 'pi_123' })).toEqual(expect.objectContaining({ providerRef: expect.stringMatching(/^pi_/) }));
    expect(proxy.requests.map((r) => [r.method, r.path, r.query.get('query')])).toEqual([
      ['GET', '/v1/payment_intents/search', "metadata['orderId']:'o-1'"], ['GET', '/v1/payment_intents/pi_123', null]]);
  });

  it('a request Stripe refuses as invalid fails for good (no retry can fix it)', async () => {
    const err = await provider().refund({ idempotencyKey: 'order-o-1-refund-bad', providerRef: 'pi_123', amount: Number.NaN, orderId: 'o-1' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PaymentProviderError);
    expect(err).toMatchObject({ retryable: false, code: 'invalid_request' });
    expect((err as Error).message).toMatch(/Stripe could not refund.*amount/);
  });
});

describe("reading Stripe's answers", () => {
  let stripe: RecordingServer;
  beforeAll(async () => {
    stripe = await startRecordingServer(() => ({ status: 500 }));
  });
  afterAll(async () => {
    await stripe?.close();
  });
  const intent = (fields: Record<string, unknown>) => ({ id: 'pi_3Abc', object: 'payment_intent', amount: 4900, currency: 'usd',
    capture_method: 'manual', metadata: { orderId: 'o-1' }, next_action: null, last_payment_error: null, ...fields });

  it('requires_capture is an authorization hold', async () => {
    stripe.answerWith(() => ({ status: 200, body: intent({ status: 'requires_capture', amount_capturable: 4900 }) }));
    expect(await provider(stripe.url).authorize(authorizeReq)).toEqual({ status: 'authorized', providerRef: 'pi_3Abc' });
  });

  it("requires_action carries the bank's 3-D Secure page as the next action", async () => {
    stripe.answerWith(() => ({ status: 200, body: intent({ status: 'requires_action',
      next_action: { type: 'redirect_to_url', redirect_to_url: { url: 'https://hooks.stripe.com/3d_secure/pi_3Abc', return_url: 'https://shop.example.com/orders/o-1' } } }) }));
    expect(await provider(stripe.url).authorize(authorizeReq)).toEqual({ status: 'requires_action', providerRef: 'pi_3Abc',
      nextAction: { type: 'redirect_to_url', url: 'https://hooks.stripe.com/3d_secure/pi_3Abc' } });
  });

  it("a card decline (402) is an answer, not an error: declined, with the bank's reason", async () => {
    stripe.answerWith(() => ({ status: 402, body: { error: { type: 'card_error', code: 'card_declined', decline_code: 'insufficient_funds',
      message: 'Your card has insufficient funds.', payment_intent: intent({ status: 'requires_payment_method' }) } } }));
    expect(await provider(stripe.url).authorize(authorizeReq)).toEqual({ status: 'declined', providerRef: 'pi_3Abc',
      declineCode: 'insufficient_funds', message: 'Your card has insufficient funds.' });
  });

  it('a rate limit (429), an outage (500, 503) and a dropped connection are retryable; a bad request (400) is not', async () => {
    const cases: [Reply, string, boolean][] = [
      [{ status: 429, body: { error: { type: 'invalid_request_error', code: 'rate_limit', message: 'Too many requests' } } }, 'rate_limited', true],
      [{ status: 500, body: { error: { type: 'api_error', message: 'Something went wrong on our end' } } }, 'provider_unavailable', true],
      [{ status: 503, body: { error: { type: 'api_error', message: 'Service unavailable' } } }, 'provider_unavailable', true],
      [{ status: 0, destroy: true }, 'network_error', true],
      [{ status: 400, body: { error: { type: 'invalid_request_error', code: 'parameter_invalid_integer', message: 'Invalid integer: 1.5', param: 'amount' } } },
        'parameter_invalid_integer', false],
    ];
    for (const [reply, code, retryable] of cases) {
      stripe.answerWith(() => reply);
      const err = await provider(stripe.url).authorize(authorizeReq).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PaymentProviderError);
      expect({ code: (err as PaymentProviderError).code, retryable: (err as PaymentProviderError).retryable }).toEqual({ code, retryable });
    }
  });

  it('a recheck reports where the payment stands; an unknown payment is a final answer, an outage is retried', async () => {
    const cases: [string, string][] = [['requires_action', 'requires_action'], ['processing', 'requires_action'], ['requires_capture', 'authorized'],
      ['succeeded', 'captured'], ['requires_payment_method', 'declined'], ['canceled', 'canceled']];
    for (const [status, ours] of cases) {
      stripe.answerWith(() => ({ status: 200, body: intent({ status }) }));
      expect([status, await provider(stripe.url).retrieve('pi_3Abc')]).toEqual([status, ours]);
    }
    stripe.answerWith(() => ({ status: 404, body: { error: { type: 'invalid_request_error', code: 'resource_missing', message: 'No such payment_intent: pi_3Abc' } } }));
    await expect(provider(stripe.url).retrieve('pi_3Abc')).rejects.toMatchObject({ code: 'resource_missing', retryable: false });
    stripe.answerWith(() => ({ status: 503, body: { error: { type: 'api_error', message: 'Service unavailable' } } }));
    await expect(provider(stripe.url).retrieve('pi_3Abc')).rejects.toMatchObject({ code: 'provider_unavailable', retryable: true });
    expect(() => paymentStatusOf(intent({ status: 'requires_confirmation' }) as unknown as Stripe.PaymentIntent)).toThrow(/requires_confirmation/);
  });

  it('a refund Stripe answers as failed returned no money: a final refusal, never recorded as refunded; a pending one is on its way', async () => {
    const refund = (status: string, extra: Record<string, unknown> = {}) => ({ id: 're_3Abc', object: 'refund', amount: 1200, currency: 'usd',
      payment_intent: 'pi_3Abc', status, ...extra });
    stripe.answerWith(() => ({ status: 200, body: refund('failed', { failure_reason: 'expired_or_canceled_card' }) }));
    const err = await provider(stripe.url).refund({ idempotencyKey: 'order-o-1-refund-x', providerRef: 'pi_3Abc', amount: 1200, orderId: 'o-1' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PaymentProviderError);
    expect(err).toMatchObject({ code: 'refund_failed', retryable: false, message: expect.stringContaining('(expired_or_canceled_card); no money went back') });
    stripe.answerWith(() => ({ status: 200, body: refund('pending') }));
    expect(await provider(stripe.url).refund({ idempotencyKey: 'order-o-1-refund-y', providerRef: 'pi_3Abc', amount: 1200, orderId: 'o-1' })).toEqual({ refundRef: 're_3Abc', status: 'pending' });
  });

  it('voiding a payment Stripe has already cancelled succeeds: the hold is gone either way', async () => {
    stripe.answerWith(() => ({ status: 400, body: { error: { type: 'invalid_request_error', code: 'payment_intent_unexpected_state',
      message: 'This PaymentIntent could not be canceled because it has a status of canceled.', payment_intent: intent({ status: 'canceled' }) } } }));
    await expect(provider(stripe.url).void({ idempotencyKey: 'order-o-1-void', providerRef: 'pi_3Abc' })).resolves.toBeUndefined();
    stripe.answerWith(() => ({ status: 400, body: { error: { type: 'invalid_request_error', code: 'payment_intent_unexpected_state',
      message: 'This PaymentIntent could not be canceled because it has a status of succeeded.', payment_intent: intent({ status: 'succeeded' }) } } }));
    await expect(provider(stripe.url).void({ idempotencyKey: 'order-o-1-void', providerRef: 'pi_3Abc' }))
      .rejects.toMatchObject({ code: 'payment_intent_unexpected_state', retryable: false });
  });
});

describe('error mapping, from Stripe error objects', () => {
  const raw = { message: 'm' };
  it.each([
    ['a rate limit', 'rate_limited', true, new Stripe.errors.StripeRateLimitError({ ...raw, statusCode: 429 })],
    ['a connection failure', 'network_error', true, new Stripe.errors.StripeConnectionError(raw)],
    ['a 5xx', 'provider_unavailable', true, new Stripe.errors.StripeAPIError({ ...raw, statusCode: 502 })],
    ['a concurrent request with the same key (409)', 'provider_unavailable', true, new Stripe.errors.StripeAPIError({ ...raw, statusCode: 409 })],
    ['a revoked key', 'provider_authentication_failed', true, new Stripe.errors.StripeAuthenticationError({ ...raw, statusCode: 401 })],
    ['an invalid request', 'resource_missing', false, new Stripe.errors.StripeInvalidRequestError({ ...raw, statusCode: 400, code: 'resource_missing' })],
    ['a reused idempotency key', 'idempotency_key_reused', false, new Stripe.errors.StripeIdempotencyError({ ...raw, statusCode: 400 })],
  ])('%s → %s, retryable: %s', (_what, code, retryable, err) => {
    expect(providerError(err, 'test')).toMatchObject({ name: 'PaymentProviderError', code, retryable });
  });

  it('an error that is not an answer from Stripe (a bug of ours) is passed on untouched', () => {
    const bug = new TypeError('x is undefined');
    expect(providerError(bug, 'test')).toBe(bug);
  });

  it('a card error becomes a decline carrying the decline code, or the error code when the bank gave none', () => {
    const withReason = new Stripe.errors.StripeCardError({ message: 'Your card was declined.', code: 'card_declined', decline_code: 'stolen_card',
      payment_intent: { id: 'pi_9' } as Stripe.PaymentIntent });
    expect(declineOf(withReason)).toEqual({ status: 'declined', providerRef: 'pi_9', declineCode: 'stolen_card', message: 'Your card was declined.' });
    const noReason = new Stripe.errors.StripeCardError({ message: 'Your card has expired.', code: 'expired_card' });
    expect(declineOf(noReason)).toEqual(expect.objectContaining({ declineCode: 'expired_card' }));
  });

  it('a PaymentIntent left waiting for another method is a decline; canceled too; processing waits for the webhook', () => {
    const base = { id: 'pi_1', next_action: null } as unknown as Stripe.PaymentIntent;
    expect(authorizationOf({ ...base, status: 'requires_payment_method',
      last_payment_error: { type: 'card_error', decline_code: 'do_not_honor', message: 'Declined' } } as Stripe.PaymentIntent))
      .toEqual({ status: 'declined', providerRef: 'pi_1', declineCode: 'do_not_honor', message: 'Declined' });
    expect(authorizationOf({ ...base, status: 'canceled', last_payment_error: null } as Stripe.PaymentIntent).declineCode).toBe('canceled');
    expect(authorizationOf({ ...base, status: 'processing' } as Stripe.PaymentIntent)).toEqual({ status: 'requires_action', providerRef: 'pi_1' });
  });
});
