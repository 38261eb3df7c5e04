import { randomUUID } from 'node:crypto';
import { type TestDatabase } from '../support/db';
import { startApiWorld, stopApiWorld, STAFF_TOKEN, type ApiResponse, type TestApi, type TestWorker } from '../support/api';
import { accessTokenOf, ADDRESS, orderFacts, placeTestOrder } from '../support/checkout';
import { newToken } from '../../src/auth/tokens';

let db: TestDatabase;
let worker: TestWorker;
let api: TestApi;

beforeAll(async () => {
  ({ db, worker, api } = await startApiWorld({ stock: 100 }));
});
afterAll(async () => {
  await stopApiWorld({ api, worker, db });
});

const staff = { Authorization: `Bearer ${STAFF_TOKEN}` };
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** A paid order placed through the API, waited on until it awaits fulfillment. */
async function paidOrder(phone?: string): Promise<{ orderId: string; accessToken: string }> {
  const cart = await api.request('POST', '/carts');
  await api.request('POST', `/carts/${cart.body.id}/items`, { body: { sku: 'MUG-1', quantity: 2 } });
  await api.request('POST', `/carts/${cart.body.id}/items`, { body: { sku: 'TEE-1', quantity: 1 } });
  const res = await api.request('POST', `/carts/${cart.body.id}/checkout`, {
    headers: { 'Idempotency-Key': randomUUID() },
    body: { email: 'ada@example.com', ...(phone ? { phone } : {}), shippingAddress: ADDRESS, paymentMethod: 'pm_card_visa' },
  });
  expect(res.status).toBe(202);
  await waitForLiveStatus(res.body.orderId, 'awaiting_fulfillment');
  return res.body;
}

async function waitForLiveStatus(orderId: string, status: string, timeoutMs = 30_000): Promise<ApiResponse> {
  const deadline = Date.now() + timeoutMs;
  let last: ApiResponse | undefined;
  while (Date.now() < deadline) {
    last = await api.request('GET', `/orders/${orderId}`, { headers: staff });
    if (last.body?.status === status && last.body.live?.status === status) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`order ${orderId} did not reach ${status}; last seen ${JSON.stringify(last?.body)}`);
}

describe('reading an order', () => {
  it('answers the order, its lines, payment and live timeline to the holder of its access token', async () => {
    const { orderId, accessToken } = await paidOrder('+447700900123');
    const res = await api.request('GET', `/orders/${orderId}`, { headers: bearer(accessToken) });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(expect.objectContaining({
      id: orderId, status: 'awaiting_fulfillment', email: 'ada@example.com', phone: '+447700900123', shippingAddress: ADDRESS,
      subtotal: { amount: 4900, currency: 'USD', formatted: '$49.00' },
      total: { amount: 4900, currency: 'USD', formatted: '$49.00' },
      payment: { status: 'authorized', providerRef: expect.stringMatching(/^pi_sim_/) },
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    }));
    expect(res.body.lines).toEqual([
      { sku: 'MUG-1', title: 'Mug (White)', quantity: 2, unitPrice: { amount: 1200, currency: 'USD', formatted: '$12.00' },
        lineTotal: { amount: 2400, currency: 'USD', formatted: '$24.00' } },
      { sku: 'TEE-1', title: 'Tee (M)', quantity: 1, unitPrice: { amount: 2500, currency: 'USD', formatted: '$25.00' },
        lineTotal: { amount: 2500, currency: 'USD', formatted: '$25.00' } },
    ]);
    expect(res.body.live).toEqual(expect.objectContaining({ orderId, status: 'awaiting_fulfillment', held: false }));
    // The first steps, in order; the warehouse's own steps (allocated, …) follow as it gets to them.
    expect(res.body.live.timeline.filter((t: { status: string }) => t.status === 'completed').map((t: { step: string }) => t.step).slice(0, 5))
      .toEqual(['reserve_stock', 'authorize_payment', 'confirm_order', 'send_confirmation', 'hand_over_to_fulfillment']);
  });

  it('answers staff with a staff token', async () => {
    const { orderId } = await paidOrder();
    const res = await api.request('GET', `/orders/${orderId}`, { headers: staff });
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(orderId);
  });

  it('answers 404, exactly as for an order that does not exist, without a token, with another order\'s token or a made-up one', async () => {
    const mine = await paidOrder();
    const theirs = await paidOrder();
    const missing = await api.request('GET', `/orders/${randomUUID()}`, { headers: staff });
    expect(missing.status).toBe(404);
    for (const headers of [{}, bearer(theirs.accessToken), bearer(newToken()), { Authorization: `Basic ${mine.accessToken}` }, bearer(STAFF_TOKEN.slice(1))]) {
      const res = await api.request('GET', `/orders/${mine.orderId}`, { headers });
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('order_not_found');
      expect(res.body.error.message).toBe(missing.body.error.message.replace(missing.body.error.details.id, mine.orderId));
      expect(res.headers.get('www-authenticate')).toBeNull();
    }
  });

  it('still answers from the database, saying why, when the order\'s workflow is not there', async () => {
    const placed = await placeTestOrder(db); // placed, but its checkout never started
    const res = await api.request('GET', `/orders/${placed.orderId}`, { headers: bearer(accessTokenOf(placed)) });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('pending');
    expect(res.body.payment).toBeNull();
    expect(res.body.live).toBeNull();
    expect(res.body.liveNote).toMatch(/has not started yet/);
  });

  it('refuses a malformed order id with 400', async () => {
    const res = await api.request('GET', '/orders/not-a-uuid', { headers: staff });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
  });
});

describe('cancelling an order', () => {
  it('after authorization: voids the payment, releases the stock, marks the order cancelled and tells the customer', async () => {
    const { orderId, accessToken } = await paidOrder();
    const res = await api.request('POST', `/orders/${orderId}/cancel`, { headers: bearer(accessToken), body: { reason: 'changed my mind' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(expect.objectContaining({ orderId, status: 'cancelled', cancelReason: 'changed my mind', pendingCompensations: [] }));
    expect(res.body.timeline).toEqual(expect.arrayContaining([
      expect.objectContaining({ step: 'cancel_requested', detail: 'by customer: changed my mind' }),
      expect.objectContaining({ step: 'void_or_refund_payment', status: 'compensated' }),
      expect.objectContaining({ step: 'release_stock', status: 'compensated' }),
    ]));
    const facts = await orderFacts(db, orderId);
    expect(facts.order.status).toBe('cancelled');
    expect(facts.payments).toEqual([expect.objectContaining({ status: 'voided' })]);
    expect(facts.intents).toEqual([expect.objectContaining({ status: 'canceled' })]);
    expect(facts.reservations).toEqual([{ sku: 'MUG-1', quantity: 2, status: 'released' }, { sku: 'TEE-1', quantity: 1, status: 'released' }]);
    expect(facts.outbox).toEqual(expect.arrayContaining([{ template: 'order_cancelled', channel: 'email', status: 'sent' }]));

    const again = await api.request('POST', `/orders/${orderId}/cancel`, { headers: bearer(accessToken), body: { reason: 'really' } });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('order_not_cancellable');
    // The same words the workflow's cancel validator uses (src/domain/order.ts cancellationRefusal).
    expect(again.body.error.message).toBe(`This order cannot be cancelled: order ${orderId} is already cancelled.`);
  });

  it('by staff, recorded as a staff action', async () => {
    const { orderId } = await paidOrder();
    const res = await api.request('POST', `/orders/${orderId}/cancel`, { headers: staff, body: { reason: 'fraud check failed' } });
    expect(res.status).toBe(200);
    expect(res.body.timeline).toEqual(expect.arrayContaining([
      expect.objectContaining({ step: 'cancel_requested', detail: 'by staff:ada: fraud check failed' })]));
  });

  it('is refused with 404 without the order\'s token, and with 400 without a reason; the order carries on', async () => {
    const { orderId, accessToken } = await paidOrder();
    const stranger = await api.request('POST', `/orders/${orderId}/cancel`, { headers: bearer(newToken()), body: { reason: 'mine now' } });
    expect(stranger.status).toBe(404);
    expect(stranger.body.error.code).toBe('order_not_found');
    for (const body of [{}, { reason: '' }, { reason: 'x'.repeat(501) }, { reason: 'ok', refund: true }]) {
      const res = await api.request('POST', `/orders/${orderId}/cancel`, { headers: bearer(accessToken), body });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
    }
    expect((await orderFacts(db, orderId)).order.status).toBe('awaiting_fulfillment');
  });
});
