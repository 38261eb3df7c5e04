/**
 * `npm run support` against the production topology, as an operator runs it: a process of its own,
 * pointed at the shop's database and the Temporal frontend by DATABASE_URL and TEMPORAL_ADDRESS. Its
 * find is a visibility query that the server answers from PostgreSQL; its actions are workflow
 * updates and signals that the worker processes carry out. One order waits for 3-D Secure (so it is
 * still before dispatch), one has shipped.
 */
import { randomUUID } from 'node:crypto';
import { addProducts, closeClients, placeOrder, sql, state, until, waitForOrders, support, type Placed } from './support/stack';

afterAll(closeClients);

const audit = async (orderId: string) => (await sql<{ action: string; actor: string; via: string; outcome: string }>(
  'select action, actor, via, outcome from support_actions where order_id = $1 order by requested_at', [orderId])).map((r) => [r.action, r.actor, r.via, r.outcome]);

describe('npm run support on the production topology', () => {
  let skus: string[];
  let waiting: Placed;
  let shipped: Placed;

  beforeAll(async () => {
    skus = await addProducts(2, 20, 2500);
    [waiting, shipped] = await Promise.all([
      placeOrder(state().api[0], [{ sku: skus[0], quantity: 1 }], { paymentMethod: 'pm_card_authenticationRequired' }),
      placeOrder(state().api[1], [{ sku: skus[1], quantity: 2 }]),
    ]);
    expect(waiting.response.body.payment.status).toBe('requires_action');
    await waitForOrders([shipped.orderId], ['shipped'], 60_000);
  });

  it('finds orders by their search attributes, and shows one\'s live state', async () => {
    let found: { orders: { orderId: string; status: string }[] } | undefined;
    await until(async () => {
      found = (await support('find', '--order', waiting.orderId)).json?.result;
      return found?.orders.length === 1;
    }, 'the order found by OrderId', 30_000);
    expect(found!.orders[0]).toMatchObject({ orderId: waiting.orderId, status: 'awaiting_payment_action' });
    await until(async () => ((await support('find', '--status', 'shipped', '--limit', '1000')).json?.result.orders as { orderId: string }[] | undefined)
      ?.some((o) => o.orderId === shipped.orderId) ?? false, 'the shipped order found by OrderStatus', 30_000);
    const status = await support('status', waiting.orderId);
    expect(status.code).toBe(0);
    expect(status.json.result.status).toBe('awaiting_payment_action');
  });

  it('holds, releases, changes the address of and cancels an order before dispatch; the compensations release its stock and void its card', async () => {
    const id = waiting.orderId;
    expect((await support('hold', id, '--reason', 'fraud check')).code).toBe(0);
    expect((await support('hold', id, '--reason', 'again')).code).toBe(1);
    expect((await support('release', id, '--reason', 'checked')).code).toBe(0);
    expect((await support('address', id, 'line1=1 New Street', '--reason', 'customer moved')).code).toBe(0);
    expect((await support('retry-payment', id, '--reason', 'customer says done')).code).toBe(1);
    const cancel = await support('cancel', id, '--reason', 'customer called');
    expect(cancel.code).toBe(0);
    expect(cancel.json.result.summary).toBe(`order ${id} is cancelled`);
    await waitForOrders([id], ['cancelled'], 30_000);
    expect(await sql('select status from reservations where order_id = $1', [id])).toEqual([{ status: 'released' }]);
    expect(await sql('select reserved from inventory where sku = $1', [skus[0]])).toEqual([{ reserved: 0 }]);
    expect(await sql(`select status from simulated_payment_intents where metadata->>'orderId' = $1`, [id])).toEqual([{ status: 'canceled' }]);
    expect(await audit(id)).toEqual([
      ['hold', 'staff:stack', 'cli', 'done'], ['hold', 'staff:stack', 'cli', 'refused'], ['release', 'staff:stack', 'cli', 'done'],
      ['change_address', 'staff:stack', 'cli', 'done'], ['retry_payment', 'staff:stack', 'cli', 'refused'], ['cancel', 'staff:stack', 'cli', 'done']]);
  });

  it('refunds part of a shipped order once, resends its confirmation, records a carrier scan, and refuses to cancel it', async () => {
    const id = shipped.orderId;
    const requestId = randomUUID();
    expect((await support('cancel', id, '--reason', 'too late')).code).toBe(1);
    const refund = await support('refund', id, '--amount', '5.00', '--reason', 'scratched', '--request-id', requestId);
    expect(refund.code).toBe(0);
    expect((await support('refund', id, '--amount', '5.00', '--reason', 'scratched', '--request-id', requestId)).code).toBe(0);
    expect(await sql('select captured_amount, refunded_amount from payments where order_id = $1', [id])).toEqual([{ captured_amount: String(shipped.total), refunded_amount: '500' }]);
    expect(await sql(`select amount_refunded from simulated_payment_intents where metadata->>'orderId' = $1`, [id])).toEqual([{ amount_refunded: '500' }]);
    expect((await support('resend', id, 'order_confirmed', '--channel', 'email', '--reason', 'lost it')).code).toBe(0);
    const [shipment] = await sql<{ id: string }>('select id from shipments where order_id = $1', [id]);
    expect((await support('carrier-event', shipment.id, 'delivered', '--reason', 'signed for')).code).toBe(0);
    await waitForOrders([id], ['delivered'], 30_000);
  });
});
