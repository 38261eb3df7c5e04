/**
 * The staff support routes under /admin/orders against a running worker: the same actions as the
 * support CLI, each sent to the order's workflow, each refusal a 409 with the workflow's reason,
 * each action in the audit trail with who, when and why.
 */
import { randomUUID } from 'node:crypto';
import { type TestDatabase } from '../support/db';
import { staffAs, startApiWorld, stopApiWorld, type TestApi, type TestWorker } from '../support/api';
import { auditRows, newCustomer, paidAndWaiting, shipOrder, staff, WAIT_FOR_WAREHOUSE, waitForOrder } from '../support/orders-api';

let db: TestDatabase;
let worker: TestWorker;
let api: TestApi;

beforeAll(async () => {
  ({ db, worker, api } = await startApiWorld({ stock: 1000, api: { app: WAIT_FOR_WAREHOUSE } }));
});
afterAll(async () => {
  await stopApiWorld({ api, worker, db });
});

const sam = staffAs('support');

describe('access and documentation', () => {
  it('every support route wants a staff token, and changes nothing without one', async () => {
    const orderId = await paidAndWaiting(api, db);
    for (const [method, path, body] of [['GET', '/admin/orders'], ['GET', '/admin/notifications/in-doubt'], ['GET', `/admin/orders/${orderId}`], ['POST', `/admin/orders/${orderId}/hold`, { reason: 'x' }],
      ['POST', `/admin/orders/${orderId}/refunds`, { reason: 'x' }], ['POST', `/admin/shipments/${randomUUID()}/carrier-events`, { status: 'delivered' }]] as const) {
      const res = await api.request(method, path, { body, headers: { Authorization: 'Bearer nope' } });
      expect({ path, status: res.status, code: res.body.error.code }).toEqual({ path, status: 401, code: 'unauthorized' });
    }
    expect((await waitForOrder(api, orderId, () => true)).body.live.held).toBe(false);
    expect(await auditRows(db, { orderId })).toEqual([]);
  });

  it('are listed in the OpenAPI document as staff routes', async () => {
    const { body } = await api.request('GET', '/openapi.json');
    for (const [path, method] of [['/admin/orders', 'get'], ['/admin/orders/{id}', 'get'], ['/admin/orders/{id}/cancel', 'post'],
      ['/admin/orders/{id}/hold', 'post'], ['/admin/orders/{id}/release', 'post'], ['/admin/orders/{id}/shipping-address', 'patch'],
      ['/admin/orders/{id}/notifications/resend', 'post'], ['/admin/orders/{id}/refunds', 'post'], ['/admin/orders/{id}/retry-payment', 'post'],
      ['/admin/shipments/{shipmentId}/carrier-events', 'post'], ['/admin/orders/{id}/carrier-events', 'post']]) {
      expect({ path, method, security: body.paths[path]?.[method]?.security }).toEqual({ path, method, security: [{ staffKey: ['support', 'admin'] }] });
    }
    expect(body.paths['/admin/orders/{id}/refunds'].post.requestBody.content['application/json'].schema.required).toEqual(['reason']);
  });
});

describe('actions', () => {
  it('hold and release: done, then refused (409) with the workflow\'s reason; audited with who and why', async () => {
    const orderId = await paidAndWaiting(api, db);
    const hold = await api.request('POST', `/admin/orders/${orderId}/hold`, { headers: sam, body: { reason: 'fraud check' } });
    expect(hold.status).toBe(200);
    expect(hold.body).toEqual(expect.objectContaining({ action: 'hold', auditId: expect.any(String), summary: `order ${orderId} is on hold (awaiting_fulfillment)` }));
    expect(hold.body.result.held).toBe(true);
    const again = await api.request('POST', `/admin/orders/${orderId}/hold`, { headers: sam, body: { reason: 'again' } });
    expect(again.status).toBe(409);
    expect(again.body.error).toEqual(expect.objectContaining({ code: 'action_refused', message: `Order ${orderId} is already on hold.` }));
    const release = await api.request('POST', `/admin/orders/${orderId}/release`, { headers: staff, body: { reason: 'cleared' } });
    expect(release.status).toBe(200);
    const detail = await api.request('GET', `/admin/orders/${orderId}`, { headers: staff });
    expect(detail.status).toBe(200);
    expect(detail.body.live.timeline).toEqual(expect.arrayContaining([expect.objectContaining({ step: 'hold', detail: 'by staff:sam: fraud check' }),
      expect.objectContaining({ step: 'release', detail: 'by staff:ada: cleared' })]));
    expect(detail.body.supportActions.map((a: Record<string, string>) => [a.action, a.actor, a.via, a.reason, a.outcome])).toEqual([
      ['hold', 'staff:sam', 'api', 'fraud check', 'done'], ['hold', 'staff:sam', 'api', 'again', 'refused'], ['release', 'staff:ada', 'api', 'cleared', 'done']]);
    expect(detail.body.supportActions[1].outcomeDetail).toBe(`order ${orderId} is already on hold`);
  });

  it('shipping address: some fields change, the rest stay; refused after the label is printed', async () => {
    const orderId = await paidAndWaiting(api, db);
    const res = await api.request('PATCH', `/admin/orders/${orderId}/shipping-address`, { headers: sam, body: { city: 'Cambridge', postalCode: 'CB2 1TN', reason: 'typo' } });
    expect(res.status).toBe(200);
    const order = await api.request('GET', `/orders/${orderId}`, { headers: staff });
    expect(order.body.shippingAddress).toEqual(expect.objectContaining({ name: 'Ada Lovelace', city: 'Cambridge', postalCode: 'CB2 1TN' }));
    expect((await api.request('PATCH', `/admin/orders/${orderId}/shipping-address`, { headers: sam, body: { country: 'gb' } })).status).toBe(400);
    expect((await api.request('PATCH', `/admin/orders/${orderId}/shipping-address`, { headers: sam, body: { reason: 'nothing' } })).status).toBe(400);
    await shipOrder(api, db, orderId);
    const late = await api.request('PATCH', `/admin/orders/${orderId}/shipping-address`, { headers: sam, body: { city: 'Oxford' } });
    expect(late.status).toBe(409);
    expect(late.body.error.message).toMatch(/its address can no longer change/);
  });

  it('resend, refund (partial, too much, the rest), and a carrier event on a shipped order', async () => {
    const orderId = await paidAndWaiting(api, db);
    const resend = await api.request('POST', `/admin/orders/${orderId}/notifications/resend`, { headers: sam, body: { template: 'order_confirmed' } });
    expect(resend.status).toBe(200);
    expect(resend.body.result).toEqual(expect.objectContaining({ template: 'order_confirmed', channel: 'email', status: 'sent' }));
    const never = await api.request('POST', `/admin/orders/${orderId}/notifications/resend`, { headers: sam, body: { template: 'delivered' } });
    expect(never.status).toBe(409);

    const notYet = await api.request('POST', `/admin/orders/${orderId}/refunds`, { headers: sam, body: { amount: 100, reason: 'goodwill' } });
    expect(notYet.status).toBe(409);
    expect(notYet.body.error.message).toMatch(/has not been charged yet/);

    const shipmentId = await shipOrder(api, db, orderId);
    const key = randomUUID();
    const part = await api.request('POST', `/admin/orders/${orderId}/refunds`, { headers: { ...sam, 'Idempotency-Key': key }, body: { amount: '5.00', reason: 'late' } });
    expect(part.status).toBe(200);
    expect(part.body.result).toEqual(expect.objectContaining({ action: 'refunded', refunded: 500, refundedAmount: 500, capturedAmount: 4900, currency: 'USD' }));
    const replay = await api.request('POST', `/admin/orders/${orderId}/refunds`, { headers: { ...sam, 'Idempotency-Key': key }, body: { amount: '5.00', reason: 'late' } });
    expect(replay.body.result.refundedAmount).toBe(500);
    const tooMuch = await api.request('POST', `/admin/orders/${orderId}/refunds`, { headers: sam, body: { amount: 4401, reason: 'too much' } });
    expect(tooMuch.status).toBe(409);
    expect(tooMuch.body.error).toEqual(expect.objectContaining({ code: 'refund_exceeds_captured',
      message: `A refund of 44.01 USD is more than the 44.00 USD left to refund on order ${orderId} (captured 49.00 USD, refunded 5.00 USD).` }));
    const rest = await api.request('POST', `/admin/orders/${orderId}/refunds`, { headers: sam, body: { reason: 'returned' } });
    expect(rest.body.result).toEqual(expect.objectContaining({ refunded: 4400, refundedAmount: 4900 }));

    const event = await api.request('POST', `/admin/shipments/${shipmentId}/carrier-events`, { headers: sam, body: { status: 'out_for_delivery', reason: 'driver called' } });
    expect(event.status).toBe(200);
    expect(event.body.result).toEqual(expect.objectContaining({ shipmentId, orderId, status: 'out_for_delivery' }));
    expect((await api.request('POST', `/admin/shipments/${randomUUID()}/carrier-events`, { headers: sam, body: { status: 'delivered' } })).status).toBe(404);
    expect((await api.request('POST', `/admin/shipments/${shipmentId}/carrier-events`, { headers: sam, body: { status: 'lost' } })).status).toBe(400);
    const byOrder = await api.request('POST', `/admin/orders/${orderId}/carrier-events`, { headers: sam, body: { status: 'exception', reason: 'customer not home' } });
    expect(byOrder.status).toBe(200);
    expect(byOrder.body.result).toEqual(expect.objectContaining({ shipmentId, orderId, status: 'exception' }));

    expect((await auditRows(db, { orderId })).map((r) => [r.action, r.outcome])).toEqual([
      ['resend', 'done'], ['resend', 'refused'], ['refund', 'refused'], ['refund', 'done'], ['refund', 'refused'], ['refund', 'done'], ['carrier_event', 'done'], ['carrier_event', 'done']]);
  });

  it('cancel and retry-payment, with their refusals; an unknown order is 404', async () => {
    const orderId = await paidAndWaiting(api, db);
    const retry = await api.request('POST', `/admin/orders/${orderId}/retry-payment`, { headers: sam, body: {} });
    expect(retry.status).toBe(409);
    expect(retry.body.error.message).toBe(`The payment of order ${orderId} is authorized; there is nothing to retry.`);
    const cancel = await api.request('POST', `/admin/orders/${orderId}/cancel`, { headers: sam, body: { reason: 'customer asked' } });
    expect(cancel.status).toBe(200);
    expect(cancel.body.result.status).toBe('cancelled');
    expect((await api.request('POST', `/admin/orders/${orderId}/cancel`, { headers: sam, body: { reason: 'twice' } })).status).toBe(409);
    const missing = await api.request('POST', `/admin/orders/${randomUUID()}/cancel`, { headers: sam, body: { reason: 'x' } });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('order_not_found');
    expect((await api.request('POST', `/admin/orders/${orderId}/cancel`, { headers: sam, body: {} })).status).toBe(400);
    const noParcel = await api.request('POST', `/admin/orders/${orderId}/carrier-events`, { headers: sam, body: { status: 'delivered' } });
    expect({ status: noParcel.status, message: noParcel.body.error.message }).toEqual({ status: 409,
      message: `Order ${orderId} has no parcel yet (it is cancelled); a carrier event needs a dispatched order.` });
    expect((await api.request('POST', `/admin/orders/${randomUUID()}/carrier-events`, { headers: sam, body: { status: 'delivered' } })).status).toBe(404);
  });
});

describe('messages in doubt', () => {
  it('lists, oldest first, the messages whose send was cut off more than 30 s ago', async () => {
    const orderId = await paidAndWaiting(api, db);
    await db.orm.em.fork().getConnection().execute(`update notifications set status = 'sending', claimed_at = now() - interval '3 minutes',
      last_error = 'in doubt: Twilio did not answer' where order_id = ? and template = 'order_confirmed' and channel = 'email'`, [orderId]);
    const res = await api.request('GET', '/admin/notifications/in-doubt?limit=1000', { headers: staff });
    expect(res.status).toBe(200);
    expect(res.body.messages.filter((m: { orderId: string }) => m.orderId === orderId)).toEqual([expect.objectContaining({
      orderId, cartId: null, template: 'order_confirmed', channel: 'email', note: 'in doubt: Twilio did not answer' })]);
    expect((await api.request('GET', '/admin/notifications/in-doubt?limit=0', { headers: staff })).status).toBe(400);
  });
});

describe('finding orders', () => {
  it('by each search attribute and by date, through a visibility query (polled: visibility is eventually consistent)', async () => {
    const customerId = await newCustomer(db);
    const orderId = await paidAndWaiting(api, db, customerId);
    const today = new Date().toISOString().slice(0, 10);
    for (const query of [`orderId=${orderId}`, `customerId=${customerId}`, `status=awaiting_fulfillment&customerId=${customerId}`,
      `minTotal=4900&maxTotal=4900&customerId=${customerId}`, `since=${today}&until=${today}&orderId=${orderId}`]) {
      const deadline = Date.now() + 20_000;
      let res = await api.request('GET', `/admin/orders?${query}`, { headers: staff });
      while (res.body.orders?.length === 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        res = await api.request('GET', `/admin/orders?${query}`, { headers: staff });
      }
      expect({ query, status: res.status, orders: res.body.orders }).toEqual({ query, status: 200,
        orders: [expect.objectContaining({ orderId, customerId, status: 'awaiting_fulfillment', total: 4900 })] });
    }
    const bad = await api.request('GET', '/admin/orders?status=lost', { headers: staff });
    expect(bad.status).toBe(400);
  });
});
