/**
 * The payment activities with the real Stripe adapter, against a local endpoint answering as Stripe
 * does, on a real database: what Temporal gets back (a result, a failure worth retrying, or a final
 * one) and what the payments table says afterwards.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Activities } from '../../activities';
import { StripePaymentProvider } from '../../src/integrations/stripe';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { placeTestOrder, realActivities, seedCheckoutCatalog } from '../support/checkout';
import { startRecordingServer, type RecordingServer, type Reply } from '../support/recording-server';

let db: TestDatabase;
let stripe: RecordingServer;
let acts: Activities;

beforeAll(async () => {
  db = await createTestDatabase();
  await seedCheckoutCatalog(db, 100);
  stripe = await startRecordingServer(() => ({ status: 500 }));
  acts = realActivities(db, { payments: new StripePaymentProvider({ secretKey: 'sk_test_activities', apiBase: stripe.url,
    returnUrl: 'https://shop.example.com/orders/{orderId}' }) });
});
afterAll(async () => {
  await stripe?.close();
  await db?.drop();
});
beforeEach(() => {
  stripe.requests.length = 0;
});

const intent = (status: string, extra: Record<string, unknown> = {}) => ({ id: 'pi_3Activities', object: 'payment_intent', amount: 4900,
  currency: 'usd', capture_method: 'manual', status, metadata: {}, next_action: null, last_payment_error: null, ...extra });
const paymentRow = async (orderId: string) => (await db.orm.em.fork().getConnection().execute<{ provider: string; status: string; provider_ref: string | null;
  failure_code: string | null }[]>('select provider, status, provider_ref, failure_code from payments where order_id = ?', [orderId]))[0];

async function order() {
  const placed = await placeTestOrder(db);
  return { orderId: placed.orderId, amount: placed.totalAmount, currency: placed.currency, paymentMethod: 'pm_card_visa' };
}

it("a card decline is the order's answer, not a failure to retry: declined with the bank's reason, recorded on the payment", async () => {
  const req = await order();
  stripe.answerWith(() => ({ status: 402, body: { error: { type: 'card_error', code: 'card_declined', decline_code: 'insufficient_funds',
    message: 'Your card has insufficient funds.', payment_intent: intent('requires_payment_method') } } }));
  expect(await acts.authorizePayment(req)).toEqual({ status: 'declined', providerRef: 'pi_3Activities', declineCode: 'insufficient_funds',
    message: 'Your card has insufficient funds.' });
  expect(await paymentRow(req.orderId)).toEqual({ provider: 'stripe', status: 'declined', provider_ref: 'pi_3Activities', failure_code: 'insufficient_funds' });
  expect(stripe.requests.map((r) => r.headers['idempotency-key'])).toEqual([`order-${req.orderId}-authorize`]);
});

it('a rate limit, an outage or a dropped connection fails the attempt as retryable, and the retry is the same request; a bad request fails for good', async () => {
  const req = await order();
  const transient: [Reply, string][] = [
    [{ status: 429, body: { error: { type: 'invalid_request_error', code: 'rate_limit', message: 'Too many requests' } } }, 'rate_limited'],
    [{ status: 502, body: { error: { type: 'api_error', message: 'Bad gateway' } } }, 'provider_unavailable'],
    [{ status: 0, destroy: true }, 'network_error'],
  ];
  for (const [reply, providerCode] of transient) {
    stripe.answerWith(() => reply);
    const err = await acts.authorizePayment(req).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'payment_provider_error', nonRetryable: false, details: [expect.objectContaining({ providerCode })] });
  }
  stripe.answerWith(() => ({ status: 200, body: intent('requires_capture', { amount_capturable: 4900 }) }));
  expect(await acts.authorizePayment(req)).toEqual({ status: 'authorized', providerRef: 'pi_3Activities' });
  // Every attempt, and the SDK's own single resend over a closed connection, is the same request under the same key.
  expect(stripe.requests.length).toBeGreaterThanOrEqual(4);
  expect(new Set(stripe.requests.map((r) => `${r.headers['idempotency-key']} ${r.body}`))).toEqual(new Set([`order-${req.orderId}-authorize ${stripe.requests[0].body}`]));
  expect((await paymentRow(req.orderId)).status).toBe('authorized');

  const bad = await order();
  stripe.answerWith(() => ({ status: 400, body: { error: { type: 'invalid_request_error', code: 'parameter_invalid_integer', message: 'Invalid integer', param: 'amount' } } }));
  await expect(acts.authorizePayment(bad)).rejects.toMatchObject({ type: 'payment_provider_error', nonRetryable: true,
    message: expect.stringContaining('(parameter_invalid_integer)'), details: [expect.objectContaining({ providerCode: 'parameter_invalid_integer' })] });
});

it("support's retry-payment asks Stripe where a payment waiting for 3-D Secure stands", async () => {
  const req = await order();
  stripe.answerWith(() => ({ status: 200, body: intent('requires_action',
    { next_action: { type: 'redirect_to_url', redirect_to_url: { url: 'https://hooks.stripe.com/3d_secure_2/pi_3Activities' } } }) }));
  expect((await acts.authorizePayment(req)).status).toBe('requires_action');
  stripe.answerWith(() => ({ status: 200, body: intent('requires_capture') }));
  expect(await acts.checkPaymentWithProvider(req.orderId)).toEqual({ providerRef: 'pi_3Activities', status: 'authorized' });
  expect(stripe.requests.at(-1)).toMatchObject({ method: 'GET', path: '/v1/payment_intents/pi_3Activities' });
});

it('money moves through Stripe under its own keys: capture at shipping, a partial refund, a refund Stripe fails (nothing recorded), then the rest', async () => {
  const req = await order();
  let refunds = 0;
  stripe.answerWith((r) => {
    if (r.path === '/v1/payment_intents') return { status: 200, body: intent('requires_capture', { amount_capturable: 4900 }) };
    if (r.path === '/v1/payment_intents/pi_3Activities/capture') return { status: 200, body: intent('succeeded', { amount_received: Number(r.form?.amount_to_capture) }) };
    refunds += 1;
    const failed = Number(r.form?.amount) === 1000;
    return { status: 200, body: { id: `re_${refunds}`, object: 'refund', amount: Number(r.form?.amount), currency: 'usd', payment_intent: 'pi_3Activities',
      status: failed ? 'failed' : 'succeeded', ...(failed ? { failure_reason: 'expired_or_canceled_card' } : {}) } };
  });
  await acts.authorizePayment(req);
  expect(await acts.capturePayment(req.orderId)).toEqual({ capturedAmount: 4900 });
  expect(await acts.refundPayment({ orderId: req.orderId, amount: 1200, reason: 'late', requestId: 'r1' })).toMatchObject({ refunded: 1200, refundedAmount: 1200, refundRef: 're_1' });
  await expect(acts.refundPayment({ orderId: req.orderId, amount: 1000, reason: 'scratched', requestId: 'r2' }))
    .rejects.toMatchObject({ type: 'payment_provider_error', nonRetryable: true, details: [expect.objectContaining({ providerCode: 'refund_failed' })] });
  expect(await acts.refundPayment({ orderId: req.orderId, reason: 'returned', requestId: 'r3' })).toMatchObject({ refunded: 3700, refundedAmount: 4900, refundRef: 're_3' });

  expect(stripe.requests.slice(1).map((r) => [r.path, r.headers['idempotency-key'], r.form?.amount_to_capture ?? r.form?.amount])).toEqual([
    ['/v1/payment_intents/pi_3Activities/capture', `order-${req.orderId}-capture`, '4900'],
    ['/v1/refunds', `order-${req.orderId}-refund-support-r1`, '1200'],
    ['/v1/refunds', `order-${req.orderId}-refund-support-r2`, '1000'],
    ['/v1/refunds', `order-${req.orderId}-refund-support-r3`, '3700'],
  ]);
  const conn = db.orm.em.fork().getConnection();
  expect(await conn.execute('select r.amount, r.status, r.provider_ref from refunds r join payments p on p.id = r.payment_id where p.order_id = ? order by r.created_at', [req.orderId]))
    .toEqual([{ amount: '1200', status: 'succeeded', provider_ref: 're_1' }, { amount: '1000', status: 'failed', provider_ref: null },
      { amount: '3700', status: 'succeeded', provider_ref: 're_3' }]);
  expect(await conn.execute('select status, captured_amount, refunded_amount from payments where order_id = ?', [req.orderId]))
    .toEqual([{ status: 'refunded', captured_amount: '4900', refunded_amount: '4900' }]);
});

it('a refund Stripe answers as pending is recorded pending: not counted as refunded, but still held against what can be refunded', async () => {
  const req = await order();
  stripe.answerWith((r) => {
    if (r.path === '/v1/payment_intents') return { status: 200, body: intent('requires_capture', { amount_capturable: 4900 }) };
    if (r.path === '/v1/payment_intents/pi_3Activities/capture') return { status: 200, body: intent('succeeded', { amount_received: Number(r.form?.amount_to_capture) }) };
    const key = r.headers['idempotency-key'] as string;
    return { status: 200, body: { id: `re_pending_${key.slice(-2)}_${req.orderId.slice(0, 8)}`, object: 'refund', amount: Number(r.form?.amount), currency: 'usd',
      payment_intent: 'pi_3Activities', status: key.endsWith('-p1') ? 'pending' : 'succeeded' } };
  });
  await acts.authorizePayment(req);
  await acts.capturePayment(req.orderId);
  expect(await acts.refundPayment({ orderId: req.orderId, amount: 3000, reason: 'damaged', requestId: 'p1' }))
    .toMatchObject({ refunded: 3000, status: 'pending', refundedAmount: 0, pendingAmount: 3000, capturedAmount: 4900 });
  // 49.00 captured, 30.00 on its way: a second refund of 20.00 would exceed the capture if the pending one came through.
  await expect(acts.refundPayment({ orderId: req.orderId, amount: 2000, reason: 'late', requestId: 'p2' }))
    .rejects.toMatchObject({ type: 'refund_exceeds_captured', nonRetryable: true });
  expect(await acts.refundPayment({ orderId: req.orderId, reason: 'the rest', requestId: 'p3' }))
    .toMatchObject({ refunded: 1900, status: 'succeeded', refundedAmount: 1900, pendingAmount: 3000 });
  await expect(acts.refundPayment({ orderId: req.orderId, amount: 1, reason: 'one more', requestId: 'p4' })).rejects.toMatchObject({ type: 'nothing_to_refund' });

  const conn = db.orm.em.fork().getConnection();
  expect(await conn.execute('select r.amount, r.status, r.provider_ref from refunds r join payments p on p.id = r.payment_id where p.order_id = ? order by r.created_at', [req.orderId]))
    .toEqual([{ amount: '3000', status: 'pending', provider_ref: `re_pending_p1_${req.orderId.slice(0, 8)}` },
      { amount: '1900', status: 'succeeded', provider_ref: `re_pending_p3_${req.orderId.slice(0, 8)}` }]);
  expect(await conn.execute('select status, captured_amount, refunded_amount from payments where order_id = ?', [req.orderId]))
    .toEqual([{ status: 'captured', captured_amount: '4900', refunded_amount: '1900' }]);
});

describe('after Stripe has forgotten the idempotency key (24 hours)', () => {
  /** The same activities, a day and an hour after the payment was first attempted. */
  const later = () => realActivities(db, { clock: () => new Date(Date.now() + 25 * 60 * 60 * 1000),
    payments: new StripePaymentProvider({ secretKey: 'sk_test_activities', apiBase: stripe.url, returnUrl: 'https://shop.example.com/orders/{orderId}' }) });
  const created = () => stripe.requests.filter((r) => r.method === 'POST' && r.path === '/v1/payment_intents');

  /** An authorization whose answer was lost: Stripe made the intent (or not), we never learnt its id. */
  async function lostAnswer() {
    const req = await order();
    stripe.answerWith(() => ({ status: 0, destroy: true }));
    await expect(acts.authorizePayment(req)).rejects.toMatchObject({ type: 'payment_provider_error', nonRetryable: false });
    expect(await paymentRow(req.orderId)).toMatchObject({ status: 'pending', provider_ref: null });
    stripe.requests.length = 0;
    return req;
  }

  /** Stripe as it is a day later: the order's intent found by its metadata; a replayed create would be a new intent (a second hold). */
  const stripeADayLater = (orderIntents: Record<string, unknown>[]) => (r: { method: string; path: string; query: URLSearchParams; form?: Record<string, string> }): Reply => {
    if (r.path === '/v1/payment_intents/search') return { status: 200, body: { object: 'search_result', data: orderIntents, has_more: false, url: r.path } };
    if (r.method === 'POST' && r.path === '/v1/payment_intents') return { status: 200, body: intent('requires_capture', { id: 'pi_3SecondHold' }) };
    if (r.path.endsWith('/cancel')) return { status: 200, body: intent('canceled', { id: r.path.split('/')[3] }) };
    if (r.method === 'GET') return { status: 200, body: intent('requires_capture', { id: r.path.split('/')[3] }) };
    return { status: 404, body: { error: { type: 'invalid_request_error', message: 'Unrecognized request URL' } } };
  };

  it('a compensation finds the hold by the order\'s metadata and voids it, and never replays the authorization (which would place a new hold)', async () => {
    const req = await lostAnswer();
    // Another order's intent in the results too: the metadata decides, not the query.
    stripe.answerWith(stripeADayLater([intent('requires_capture', { id: 'pi_3TheHold', created: 1, metadata: { orderId: req.orderId } }),
      intent('requires_capture', { id: 'pi_3NotOurs', created: 2, metadata: { orderId: 'another-order' } })]));
    expect(await later().voidOrRefundPayment(req.orderId, 'rolled back')).toEqual({ action: 'voided', amount: req.amount });
    expect(created()).toEqual([]);
    expect(stripe.requests.map((r) => [r.method, r.path, r.query.get('query')])).toEqual([
      ['GET', '/v1/payment_intents/search', `metadata['orderId']:'${req.orderId}'`], ['POST', '/v1/payment_intents/pi_3TheHold/cancel', null]]);
    expect(await paymentRow(req.orderId)).toMatchObject({ status: 'voided', provider_ref: 'pi_3TheHold' });
  });

  it('when Stripe has no payment for the order, the compensation creates nothing and releases nothing: the payment was never made', async () => {
    const req = await lostAnswer();
    stripe.answerWith(stripeADayLater([intent('requires_capture', { id: 'pi_3NotOurs', metadata: { orderId: 'another-order' } })]));
    expect(await later().voidOrRefundPayment(req.orderId, 'rolled back')).toEqual({ action: 'none', amount: 0 });
    expect(created()).toEqual([]);
    expect(await paymentRow(req.orderId)).toMatchObject({ status: 'failed', provider_ref: null, failure_code: 'not_at_provider' });
    // Within the day, the same compensation replays the request instead (Stripe answers with what the key made, or makes it to release it).
    const recent = await lostAnswer();
    stripe.answerWith(stripeADayLater([]));
    expect(await acts.voidOrRefundPayment(recent.orderId, 'rolled back')).toEqual({ action: 'voided', amount: recent.amount });
    expect(stripe.requests.map((r) => [r.method, r.path, r.headers['idempotency-key']])).toEqual([
      ['POST', '/v1/payment_intents', `order-${recent.orderId}-authorize`], ['POST', '/v1/payment_intents/pi_3SecondHold/cancel', `order-${recent.orderId}-void`]]);
  });

  it('an authorization retried a day later asks Stripe for what the first attempt made (by its id, or by the order) before it creates anything', async () => {
    // The id was saved before the attempt failed: Stripe is asked for that payment, never for a new one.
    const saved = await order();
    stripe.answerWith(() => ({ status: 200, body: intent('requires_capture', { id: 'pi_3Saved' }) }));
    await acts.authorizePayment(saved);
    stripe.requests.length = 0;
    stripe.answerWith(stripeADayLater([]));
    expect(await later().authorizePayment(saved)).toEqual({ status: 'authorized', providerRef: 'pi_3Saved' });
    expect(stripe.requests.map((r) => [r.method, r.path])).toEqual([['GET', '/v1/payment_intents/pi_3Saved']]);
    // Lost: found by the order's metadata, and not created again.
    const lost = await lostAnswer();
    stripe.answerWith(stripeADayLater([intent('requires_capture', { id: 'pi_3Found', metadata: { orderId: lost.orderId } })]));
    expect(await later().authorizePayment(lost)).toEqual({ status: 'authorized', providerRef: 'pi_3Found' });
    expect(created()).toEqual([]);
    // Never made (the first request did not arrive): the one intent is created now.
    const never = await lostAnswer();
    stripe.answerWith(stripeADayLater([]));
    expect(await later().authorizePayment(never)).toEqual({ status: 'authorized', providerRef: 'pi_3SecondHold' });
    expect(created()).toHaveLength(1);
  });
});
