/**
 * A customer's data through the API: the export holds everything kept about them (and no card data);
 * DELETE /me closes the account at once (wrong password: nothing changes) and the erasure it starts
 * scrubs the outbox, the stored webhook payloads and support's notes while the order's money stays;
 * an erased customer cannot sign in; staff reach both with the right roles only. Retention empties
 * old webhook payloads and delivery reports, keeping their ids.
 */
import { randomUUID } from 'node:crypto';
import { connectClient } from '../../src/temporal/client';
import { workflowIds } from '../../src/contracts/temporal';
import { pruneDeliveryReports, pruneWebhookPayloads } from '../../src/store/retention';
import { pgArray } from '../../src/store/erasures';
import { customerKeysOf } from '../../src/store/promotions';
import { ADDRESS } from '../support/checkout';
import { accountsWorld, signIn, signUp, type Customer } from '../support/accounts';
import { staffAs } from '../support/api';
import { waitForOrder } from '../support/orders-api';
import { testTarget } from '../support/temporal';

const { world, api, sql } = accountsWorld();

async function order(c: Customer): Promise<string> {
  const cart = await api().request('POST', '/carts', { headers: c.headers });
  await api().request('POST', `/carts/${cart.body.id}/items`, { headers: c.headers, body: { sku: 'MUG-1', quantity: 1 } });
  const res = await api().request('POST', `/carts/${cart.body.id}/checkout`, { headers: { ...c.headers, 'Idempotency-Key': randomUUID() },
    body: { shippingAddress: ADDRESS, phone: '+447700900123', paymentMethod: 'pm_card_visa' } });
  expect(res.status).toBe(202);
  await waitForOrder(api(), res.body.orderId, (l) => l.status === 'awaiting_fulfillment');
  return res.body.orderId;
}

async function erasureDone(customerId: string) {
  const temporal = await connectClient(testTarget());
  try {
    return await temporal.client.workflow.getHandle(workflowIds.erasure(customerId)).result();
  } finally {
    await temporal.connection.close();
  }
}

it('the export: the account, addresses, orders with lines, payments by reference, messages by template, support\'s actions; no card data; staff with support or admin only', async () => {
  const c = await signUp(api(), { name: 'Ada Lovelace' });
  await api().request('POST', '/me/addresses', { headers: c.headers, body: ADDRESS });
  const orderId = await order(c);
  expect((await api().request('POST', `/admin/orders/${orderId}/hold`, { headers: staffAs('support'), body: { reason: 'fraud check' } })).status).toBe(200);
  const res = await api().request('GET', '/me/export', { headers: c.headers });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-disposition')).toBe(`attachment; filename="customer-${c.id}.json"`);
  const doc = res.body;
  expect(doc.account).toEqual(expect.objectContaining({ id: c.id, email: c.email, name: 'Ada Lovelace' }));
  expect(doc.addresses).toEqual([expect.objectContaining({ line1: ADDRESS.line1, isDefault: true })]);
  expect(doc.sessions.length).toBeGreaterThanOrEqual(1);
  const [o] = doc.orders;
  expect(o).toEqual(expect.objectContaining({ id: orderId, email: c.email, phone: '+447700900123', shippingAddress: ADDRESS, totalAmount: '1200' }));
  expect(o.lines).toEqual([expect.objectContaining({ sku: 'MUG-1', quantity: 1 })]);
  expect(o.payments).toEqual([expect.objectContaining({ provider: 'simulated', providerRef: expect.stringMatching(/^pi_sim_/), status: 'authorized' })]);
  expect(doc.messages).toEqual(expect.arrayContaining([expect.objectContaining({ template: 'order_confirmed', channel: 'email' })]));
  expect(doc.supportActions).toEqual([expect.objectContaining({ orderId, action: 'hold', actor: 'staff:sam', reason: 'fraud check' })]);
  expect(JSON.stringify(doc)).not.toMatch(/pm_card|password_hash|passwordHash|token_hash/);
  const staff = await api().request('GET', `/admin/customers/${c.id}/export`, { headers: staffAs('support') });
  expect(staff.body.orders.map((x: { id: string }) => x.id)).toEqual([orderId]);
  expect((await api().request('GET', `/admin/customers/${c.id}/export`, { headers: staffAs('warehouse') })).status).toBe(403);
  expect((await api().request('GET', `/admin/customers/${randomUUID()}/export`, { headers: staffAs('support') })).body.error.code).toBe('customer_not_found');
});

it('DELETE /me: a wrong password changes nothing; the right one closes the account at once and the erasure scrubs what mentions them, keeping the money', async () => {
  const c = await signUp(api(), { name: 'Grace Hopper' });
  const orderId = await order(c);
  const [{ provider_ref: ref }] = await sql<{ provider_ref: string }>('select provider_ref from payments where order_id = ?', [orderId]);
  await sql(`insert into webhook_events (provider, event_id, type, payload) values ('stripe', ?, 'payment_intent.succeeded', ?)`,
    [`evt_${randomUUID()}`, JSON.stringify({ data: { object: { id: ref, billing_details: { name: 'Grace Hopper', email: c.email } } } })]);
  // A carrier's scan as the storefront's timeline keeps it (order_events): its words name the customer.
  await sql(`insert into order_events (order_id, kind, status, detail) values (?, 'scan', 'delivered', '{"description":"Handed to Grace Hopper at the door","carrier":"acme"}')`, [orderId]);
  // A once-per-customer code the order used: counted under the account and its e-mail (as redeemOrderPromotions counts), beside someone else's use.
  const [promo] = await sql<{ id: string }>(`insert into promotions (code, name, kind, percent_ppm, per_customer_limit)
    values (?, 'Once each', 'percentage', 100000, 1) returning id`, [`ONCE-${randomUUID().slice(0, 8).toUpperCase()}`]);
  const keys = customerKeysOf({ customerId: c.id, email: c.email });
  await sql(`insert into promotion_customer_uses (promotion_id, customer_key, used) select ?, k, 1 from unnest(?::text[]) k`, [promo.id, pgArray([...keys, 'email:someone@example.com'])]);
  await sql('insert into promotion_redemptions (promotion_id, order_id, customer_keys) values (?, ?, ?::text[])', [promo.id, orderId, pgArray(keys)]);
  const other = `evt_${randomUUID()}`;
  await sql(`insert into webhook_events (provider, event_id, type, payload) values ('stripe', ?, 'payment_intent.succeeded', '{"data":{"object":{"id":"pi_someone_else"}}}')`, [other]);

  const wrong = await api().request('DELETE', '/me', { headers: c.headers, body: { password: 'not the password at all' } });
  expect({ status: wrong.status, code: wrong.body.error.code }).toEqual({ status: 403, code: 'current_password_wrong' });
  expect((await api().request('GET', '/me', { headers: c.headers })).status).toBe(200);

  const erase = await api().request('DELETE', '/me', { headers: c.headers, body: { password: c.password } });
  expect(erase.status).toBe(202);
  expect(erase.body).toEqual({ workflowId: `gdpr-erasure-${c.id}`, customerId: c.id, stage: 'waiting_for_orders' });
  // Closed at once: the session ended, and the password no longer signs in (the same answer as an unknown address).
  expect((await api().request('GET', '/me', { headers: c.headers })).status).toBe(401);
  const again = await signIn(api(), c);
  expect({ status: again.status, code: again.body.error.code }).toEqual({ status: 401, code: 'invalid_credentials' });

  // The order waits for the warehouse: the erasure waits for it, until an admin decides to erase now.
  let waiting = await api().request('GET', `/admin/customers/${c.id}/erasure`, { headers: staffAs('support') });
  for (let i = 0; i < 100 && !waiting.body.waitingFor?.length; i++) {
    await new Promise((r) => setTimeout(r, 100));
    waiting = await api().request('GET', `/admin/customers/${c.id}/erasure`, { headers: staffAs('support') });
  }
  expect(waiting.body).toEqual(expect.objectContaining({ stage: 'waiting_for_orders', waitingFor: [orderId] }));
  expect((await api().request('POST', `/admin/customers/${c.id}/erasure/decision`, { headers: staffAs('support'), body: { decision: 'erase_now' } })).status).toBe(403);
  const decided = await api().request('POST', `/admin/customers/${c.id}/erasure/decision`, { headers: staffAs('admin'), body: { decision: 'erase_now' } });
  expect(decided.status).toBe(200);
  const done = await erasureDone(c.id);
  expect(done.stage).toBe('erased');
  const [row] = await sql<Record<string, unknown>>(`select o.email, o.phone, o.total_amount, p.amount, p.status as payment_status,
    (select count(*) from notifications n where n.order_id = o.id and n.recipient <> 'erased') as unscrubbed_messages,
    (select count(*) from webhook_events w where w.payload::text like '%Grace%') as webhook_mentions,
    (select count(*) from order_events e where e.order_id = o.id and e.detail::text like '%Grace%') as timeline_mentions,
    (select count(*) from order_events e where e.order_id = o.id and e.kind = 'scan' and e.detail->>'carrier' = 'acme') as timeline_scans,
    (select payload::text from webhook_events where event_id = ?) as other_payload
    from orders o join payments p on p.order_id = o.id where o.id = ?`, [other, orderId]);
  expect(row).toEqual({ email: 'erased', phone: null, total_amount: '1200', amount: '1200', payment_status: expect.any(String), unscrubbed_messages: '0',
    webhook_mentions: '0', timeline_mentions: '0', timeline_scans: '1', other_payload: expect.stringContaining('pi_someone_else') });
  // Their promotion counts are gone; the redemption keeps how many keys it counted, not whose; someone else's count stays.
  expect((await sql<{ customer_key: string }>('select customer_key from promotion_customer_uses where promotion_id = ?', [promo.id])).map((r) => r.customer_key))
    .toEqual(['email:someone@example.com']);
  expect(await sql('select customer_keys from promotion_redemptions where promotion_id = ?', [promo.id])).toEqual([{ customer_keys: ['erased', 'erased'] }]);
  expect((await signIn(api(), c)).status).toBe(401);
  const status = await api().request('GET', `/admin/customers/${c.id}/erasure`, { headers: staffAs('support') });
  expect(status.body).toEqual(expect.objectContaining({ customerId: c.id, stage: 'erased', rowsChanged: expect.objectContaining({ customers: 1, promotion_customer_uses: 2, promotion_redemptions: 1 }) }));
  const exported = (await api().request('GET', `/admin/customers/${c.id}/export`, { headers: staffAs('support') })).body;
  expect(JSON.stringify(exported)).not.toMatch(/Grace|Hopper|St James|\+4477/);
  expect(exported.erasure).toEqual(expect.objectContaining({ requestedBy: 'customer', status: 'erased' }));
});

it('erasing a customer is for admins: support may not (403); an admin\'s DELETE starts it and a second one joins the first', async () => {
  const c = await signUp(api());
  expect((await api().request('DELETE', `/admin/customers/${c.id}`, { headers: staffAs('support') })).status).toBe(403);
  const first = await api().request('DELETE', `/admin/customers/${c.id}`, { headers: staffAs('admin') });
  const second = await api().request('DELETE', `/admin/customers/${c.id}`, { headers: staffAs('admin') });
  expect([first.status, second.status]).toEqual([202, 202]);
  expect((await erasureDone(c.id)).stage).toBe('erased');
  const [erasure] = await sql('select requested_by, status from erasures where customer_id = ?', [c.id]);
  expect(erasure).toEqual({ requested_by: 'staff:ada', status: 'erased' });
  expect((await api().request('DELETE', `/admin/customers/${randomUUID()}`, { headers: staffAs('admin') })).body.error.code).toBe('customer_not_found');
});

it('retention empties webhook payloads and delivery reports past their age, keeping the ids that recognise a redelivery', async () => {
  const old = `evt_${randomUUID()}`;
  const fresh = `evt_${randomUUID()}`;
  await sql(`insert into webhook_events (provider, event_id, type, payload, received_at) values
    ('stripe', ?, 't', '{"name":"Ada"}', now() - interval '31 days'), ('stripe', ?, 't', '{"name":"Ada"}', now())`, [old, fresh]);
  const msg = `SM${randomUUID().replace(/-/g, '')}`;
  await sql(`insert into delivery_reports (provider, message_id, status, detail, received_at) values ('twilio', ?, 'delivered', 'to +447700900123', now() - interval '31 days')`, [msg]);
  const em = world().db.orm.em.fork();
  const month = 30 * 86_400_000;
  expect(await pruneWebhookPayloads(em, month, 1000)).toBeGreaterThanOrEqual(1);
  expect(await pruneDeliveryReports(em, month, 1000)).toBeGreaterThanOrEqual(1);
  const events = await sql<{ event_id: string; payload: unknown; pruned: boolean }>(
    'select event_id, payload, payload_pruned_at is not null as pruned from webhook_events where event_id in (?, ?) order by received_at', [old, fresh]);
  expect(events).toEqual([{ event_id: old, payload: {}, pruned: true }, { event_id: fresh, payload: { name: 'Ada' }, pruned: false }]);
  expect(await sql('select detail from delivery_reports where message_id = ?', [msg])).toEqual([{ detail: null }]);
  expect(await pruneWebhookPayloads(em, month, 1000)).toBe(0);
});
