import { createTestDatabase, type TestDatabase } from '../support/db';
import { placeTestOrder, realActivities, seedCheckoutCatalog } from '../support/checkout';
import type { Activities } from '../../activities';
import { SimulatedPaymentProvider } from '../../src/integrations/simulated/payments';

let db: TestDatabase;
let acts: Activities;

beforeAll(async () => {
  db = await createTestDatabase();
  await seedCheckoutCatalog(db, 100);
  acts = realActivities(db);
});
afterAll(async () => {
  await db?.drop();
});

const query = <T>(sql: string, params: unknown[] = []) => db.orm.em.fork().getConnection().execute<T[]>(sql, params);

describe('payments', () => {
  it('a retried authorization reaches the provider as the same request: one payment, one hold', async () => {
    const order = await placeTestOrder(db);
    const req = { orderId: order.orderId, amount: order.totalAmount, currency: 'USD', paymentMethod: 'pm_card_visa' };
    const [a, b] = await Promise.all([acts.authorizePayment(req), acts.authorizePayment(req)]);
    const c = await acts.authorizePayment(req);
    expect(new Set([a.providerRef, b.providerRef, c.providerRef]).size).toBe(1);
    expect(await query(`select id from simulated_payment_intents where metadata->>'orderId' = ?`, [order.orderId])).toHaveLength(1);
    expect(await query('select id from payments where order_id = ?', [order.orderId])).toHaveLength(1);
  });

  it('voiding twice releases the hold once; a declined payment has nothing to void', async () => {
    const order = await placeTestOrder(db);
    await acts.authorizePayment({ orderId: order.orderId, amount: order.totalAmount, currency: 'USD', paymentMethod: 'pm_card_visa' });
    expect(await acts.voidOrRefundPayment(order.orderId, 'test')).toEqual({ action: 'voided', amount: order.totalAmount });
    expect(await acts.voidOrRefundPayment(order.orderId, 'test')).toEqual({ action: 'none', amount: 0 });
    const declined = await placeTestOrder(db);
    const result = await acts.authorizePayment({ orderId: declined.orderId, amount: 100, currency: 'USD', paymentMethod: 'pm_card_chargeDeclined' });
    expect(result).toEqual(expect.objectContaining({ status: 'declined', declineCode: 'generic_decline' }));
    expect(await acts.voidOrRefundPayment(declined.orderId, 'test')).toEqual({ action: 'none', amount: 0 });
  });

  it('a void after a lost answer finds the payment through the same idempotent request', async () => {
    const order = await placeTestOrder(db);
    const req = { orderId: order.orderId, amount: order.totalAmount, currency: 'USD', paymentMethod: 'pm_sim_flaky' };
    await expect(acts.authorizePayment(req)).rejects.toMatchObject({ type: 'payment_provider_error', nonRetryable: false,
      details: [expect.objectContaining({ providerCode: 'network_error' })] });
    // The provider made the payment but we never learnt its id; the undo must still release it.
    // (pm_sim_flaky answers 503 to the next call: the undo's retry policy takes care of that.)
    await expect(acts.voidOrRefundPayment(order.orderId, 'rolled back')).rejects.toMatchObject({ type: 'payment_provider_error', nonRetryable: false,
      details: [expect.objectContaining({ providerCode: 'provider_unavailable' })] });
    expect(await acts.voidOrRefundPayment(order.orderId, 'rolled back')).toEqual(expect.objectContaining({ action: 'voided' }));
    const intents = await query<{ status: string }>(`select status from simulated_payment_intents where metadata->>'orderId' = ?`, [order.orderId]);
    expect(intents).toEqual([{ status: 'canceled' }]);
  });
});

describe('a day after the idempotency key', () => {
  const dayLater = () => realActivities(db, { clock: () => new Date(Date.now() + 25 * 3600_000) });

  it('the simulated provider finds the order\'s payment by its order, as Stripe\'s search does: the compensation voids it and makes none', async () => {
    const order = await placeTestOrder(db);
    const req = { orderId: order.orderId, amount: order.totalAmount, currency: 'USD', paymentMethod: 'pm_sim_flaky' };
    await expect(acts.authorizePayment(req)).rejects.toMatchObject({ type: 'payment_provider_error' }); // made, answer lost
    expect(await dayLater().voidOrRefundPayment(order.orderId, 'rolled back')).toEqual(expect.objectContaining({ action: 'voided' }));
    expect(await query<{ status: string }>(`select status from simulated_payment_intents where metadata->>'orderId' = ?`, [order.orderId]))
      .toEqual([{ status: 'canceled' }]);
  });

  it('a provider that cannot be asked for an order\'s payment refuses for good rather than risk a second hold', async () => {
    const order = await placeTestOrder(db);
    const req = { orderId: order.orderId, amount: order.totalAmount, currency: 'USD', paymentMethod: 'pm_sim_flaky' };
    await expect(acts.authorizePayment(req)).rejects.toMatchObject({ type: 'payment_provider_error' });
    const blind = new SimulatedPaymentProvider(db.orm);
    const acts2 = realActivities(db, { clock: () => new Date(Date.now() + 25 * 3600_000),
      payments: { name: 'blind', authorize: (r) => blind.authorize(r), capture: (r) => blind.capture(r), void: (r) => blind.void(r), refund: (r) => blind.refund(r) } });
    await expect(acts2.voidOrRefundPayment(order.orderId, 'rolled back')).rejects.toMatchObject({ type: 'payment_provider_error', nonRetryable: true,
      message: expect.stringMatching(/cannot be asked for the payment .* could place a second hold/) });
    expect(await query(`select id from simulated_payment_intents where metadata->>'orderId' = ?`, [order.orderId])).toHaveLength(1);
  });
});

describe('notifications outbox', () => {
  it('sends each order message once per channel, however often the activity runs', async () => {
    const order = await placeTestOrder(db, { phone: '+15555550100' });
    const send = () => acts.sendOrderNotification({ orderId: order.orderId, template: 'order_confirmed', channel: 'email' });
    const results = await Promise.all([send(), send(), send()]);
    expect(results.filter((r) => r.status === 'sent')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'already_sent')).toHaveLength(2);
    const sms = await acts.sendOrderNotification({ orderId: order.orderId, template: 'order_confirmed', channel: 'sms' });
    expect(sms.status).toBe('sent');
    const rows = await query<{ channel: string; status: string; attempts: number; recipient: string }>(
      'select channel, status, attempts, recipient from notifications where order_id = ? order by channel', [order.orderId]);
    expect(rows).toEqual([
      { channel: 'email', status: 'sent', attempts: 1, recipient: 'ada@example.com' },
      { channel: 'sms', status: 'sent', attempts: 1, recipient: '+15555550100' },
    ]);
  });

  it('skips SMS when the customer gave no phone number', async () => {
    const order = await placeTestOrder(db);
    expect((await acts.sendOrderNotification({ orderId: order.orderId, template: 'order_confirmed', channel: 'sms' })).status).toBe('skipped');
    expect(await query('select id from notifications where order_id = ?', [order.orderId])).toEqual([]);
  });
});
