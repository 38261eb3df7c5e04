import { type TestDatabase } from '../support/db';
import { staffAs, startApiWorld, startCheckoutWorker, stopApiWorld, type TestApi } from '../support/api';
import { ADDRESS } from '../support/checkout';
import { SimulatedCarrier } from '../../src/integrations/simulated/carrier';

/** The simulated carrier, noting every label bought: how many packages, for which order. */
class NotingCarrier extends SimulatedCarrier {
  readonly labels: { orderId: string; packages: number }[] = [];
  override async buyLabel(req: Parameters<SimulatedCarrier['buyLabel']>[0] & { packages: number }) {
    this.labels.push({ orderId: req.orderId, packages: req.packages });
    return super.buyLabel(req);
  }
}
const carrier = new NotingCarrier();

let db: TestDatabase;
let api: TestApi;
let worker: Awaited<ReturnType<typeof startCheckoutWorker>>;

beforeAll(async () => {
  ({ db, worker, api } = await startApiWorld({ stock: 20, workerDeps: { carrier } }));
});
afterAll(async () => {
  await stopApiWorld({ api, worker, db });
});

const staff = staffAs('warehouse');

async function placeOrder(): Promise<{ orderId: string; token: string }> {
  const cart = (await api.request('POST', '/carts')).body.id;
  await api.request('POST', `/carts/${cart}/items`, { body: { sku: 'MUG-1', quantity: 1 } });
  const res = await api.request('POST', `/carts/${cart}/checkout`, {
    headers: { 'Idempotency-Key': `wh-${cart}` },
    body: { email: 'ada@example.com', shippingAddress: ADDRESS, paymentMethod: 'pm_card_visa' },
  });
  expect(res.status).toBe(202);
  return { orderId: res.body.orderId, token: res.body.accessToken };
}

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting; last value ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('warehouse', () => {
  it('an order waits for the warehouse; its packed signal ships it, and the customer sees the shipment', async () => {
    const { orderId, token } = await placeOrder();
    const customer = { Authorization: `Bearer ${token}` };
    const waiting = await until(() => api.request('GET', `/orders/${orderId}`, { headers: customer }),
      (r) => r.body.live?.timeline?.some((t: { step: string }) => t.step === 'fulfillment_allocated'));
    expect(waiting.body.status).toBe('awaiting_fulfillment');

    const packed = await api.request('POST', `/warehouse/orders/${orderId}/packed`, { headers: staff, body: {} });
    expect(packed.status).toBe(202);
    const shipped = await until(() => api.request('GET', `/orders/${orderId}`, { headers: customer }), (r) => r.body.live?.status === 'shipped');
    expect(shipped.body.payment.status).toBe('captured');
    const [fulfillment] = await db.orm.em.fork().getConnection().execute('select status, packed_by from fulfillments where order_id = ?', [orderId]);
    // Who packed it is the key's owner (pat, of the warehouse).
    expect(fulfillment).toEqual({ status: 'shipped', packed_by: 'staff:pat' });
    expect(carrier.labels.filter((l) => l.orderId === orderId)).toEqual([{ orderId, packages: 1 }]);
  });

  it('the label is bought for as many packages as the warehouse packed; a second packed signal changes nothing', async () => {
    const { orderId, token } = await placeOrder();
    const customer = { Authorization: `Bearer ${token}` };
    await until(() => api.request('GET', `/orders/${orderId}`, { headers: customer }),
      (r) => r.body.live?.timeline?.some((t: { step: string }) => t.step === 'fulfillment_allocated'));
    expect((await api.request('POST', `/warehouse/orders/${orderId}/packed`, { headers: staff, body: { packedBy: 'joe', packages: 3 } })).status).toBe(202);
    await api.request('POST', `/warehouse/orders/${orderId}/packed`, { headers: staff, body: { packedBy: 'sam', packages: 5 } });
    await until(() => api.request('GET', `/orders/${orderId}`, { headers: customer }), (r) => r.body.live?.status === 'shipped');
    expect(carrier.labels.filter((l) => l.orderId === orderId)).toEqual([{ orderId, packages: 3 }]);
    const [fulfillment] = await db.orm.em.fork().getConnection().execute('select packed_by from fulfillments where order_id = ?', [orderId]);
    // A packer named in the body is noted beside the key's owner.
    expect(fulfillment).toEqual({ packed_by: 'staff:pat (packed by joe)' });
  });

  it('refuses anyone without a warehouse key, and answers 404 for an order that is not in a warehouse', async () => {
    const { orderId } = await placeOrder();
    const anonymous = await api.request('POST', `/warehouse/orders/${orderId}/packed`, { body: { packedBy: 'pat' } });
    expect(anonymous.status).toBe(401);
    const support = await api.request('POST', `/warehouse/orders/${orderId}/packed`, { headers: staffAs('support'), body: {} });
    expect({ status: support.status, code: support.body.error.code }).toEqual({ status: 403, code: 'forbidden' });
    const unknown = await api.request('POST', '/warehouse/orders/00000000-0000-4000-8000-000000000000/packed', { headers: staff, body: { packedBy: 'pat' } });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('order_not_found');
    const bad = await api.request('POST', `/warehouse/orders/${orderId}/packed`, { headers: staff, body: { packedBy: '' } });
    expect(bad.status).toBe(400);
  });
});
