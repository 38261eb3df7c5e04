/**
 * The e-mailed one-time links: confirming the address at sign-up and resetting a forgotten password.
 * Each goes through the outbox (one row per link) and an account-message workflow named after the
 * row, on the notification queue, sent once; the link is never in a workflow's history or a log.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ADDRESS, realActivities } from '../support/checkout';
import { accountsWorld, bearer, capturingLogger, FAST_ACCOUNTS, readableHistory, RecordingNotifier, signIn, signUp } from '../support/accounts';
import { connectClient } from '../../src/temporal/client';
import { CustomerIdAttr, workflowIds } from '../../src/contracts/temporal';
import { testTarget } from '../support/temporal';

const notifier = new RecordingNotifier();
const capture = capturingLogger();
const accounts = { ...FAST_ACCOUNTS, resetLinkTtlMs: 15 * 60_000, storefrontUrl: 'https://shop.example.com' };
const { world, api, sql } = accountsWorld({ workerDeps: { notifier, logger: capture.logger }, api: { app: { accounts, logger: capture.logger } } });
let temporal: Awaited<ReturnType<typeof connectClient>>;

beforeAll(async () => {
  temporal = await connectClient(testTarget());
});
afterAll(async () => {
  await temporal?.connection.close();
});

const CONFIRM = /Confirm your e-mail address/;
const RESET = /Reset your password/;

async function outboxOf(customerId: string, template: string) {
  return sql<{ id: string; status: string; recipient: string; payload: Record<string, unknown> }>(
    'select id, status, recipient, payload from notifications where customer_id = ? and template = ? order by created_at', [customerId, template]);
}

async function guestOrder(email: string): Promise<{ orderId: string; accessToken: string }> {
  const cart = await api().request('POST', '/carts');
  await api().request('POST', `/carts/${cart.body.id}/items`, { body: { sku: 'MUG-1', quantity: 1 } });
  const res = await api().request('POST', `/carts/${cart.body.id}/checkout`, { headers: { 'Idempotency-Key': randomUUID() },
    body: { email, shippingAddress: ADDRESS, paymentMethod: 'pm_card_visa' } });
  expect(res.status).toBe(202);
  return res.body;
}

describe('confirming the e-mail address', () => {
  it('sign-up e-mails a link through the outbox and a workflow named after its row; the link confirms the address once', async () => {
    const c = await signUp(api(), { name: 'Ada' });
    const token = await notifier.linkToken(c.email, CONFIRM);
    const [message] = notifier.to(c.email, CONFIRM);
    expect(message.text).toContain(`https://shop.example.com/account/verify-email#token=${token}`);
    expect(message.text).toContain('for 1 day');
    const [{ id: outboxId }] = await outboxOf(c.id, 'verify_email');
    expect(message.idempotencyKey).toBe(outboxId);
    const handle = temporal.client.workflow.getHandle(workflowIds.accountMessage(outboxId));
    expect(await handle.result()).toEqual(expect.objectContaining({ status: 'sent' }));
    expect((await handle.describe()).typedSearchAttributes.get(CustomerIdAttr)).toBe(c.id);
    // Sent (the workflow has ended), the row keeps its subject and the record of sending, not the link.
    const [row] = await outboxOf(c.id, 'verify_email');
    expect(row.status).toBe('sent');
    expect(row.payload).toEqual({ subject: 'Confirm your e-mail address', redacted: true });
    const history = await readableHistory(await handle.fetchHistory());
    expect(history).toContain(row.id);
    expect(history).not.toContain(token);
    expect(capture.text()).not.toContain(token);

    const res = await api().request('POST', '/auth/verify-email', { body: { token } });
    expect(res.body).toEqual({ emailVerified: true, ordersAdded: 0 });
    expect((await api().request('GET', '/me', { headers: c.headers })).body.emailVerified).toBe(true);
    const again = await api().request('POST', '/auth/verify-email', { body: { token } });
    expect(again.status).toBe(400);
    expect(again.body.error.code).toBe('invalid_link');
  });

  it('the e-mail goes once, however often its workflow is started or its sending retried', async () => {
    const c = await signUp(api());
    await notifier.linkToken(c.email, CONFIRM);
    const [row] = await outboxOf(c.id, 'verify_email');
    await expect(temporal.client.workflow.start('accountMessage', { workflowId: workflowIds.accountMessage(row.id), taskQueue: world().worker.taskQueue,
      args: [{ outboxId: row.id, template: 'verify_email' }], workflowIdReusePolicy: 'REJECT_DUPLICATE' })).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
    const activities = realActivities(world().db, { notifier });
    expect(await activities.sendAccountMessage({ outboxId: row.id })).toEqual({ status: 'already_sent', messageId: `rec-${row.id}` });
    expect(notifier.to(c.email)).toHaveLength(1);
  });

  it('a new link can be asked for while the address is unconfirmed, and is refused once it is confirmed', async () => {
    const c = await signUp(api());
    const res = await api().request('POST', '/me/email-verification', { headers: c.headers });
    expect(res.status).toBe(202);
    const second = await notifier.linkToken(c.email, CONFIRM, 2);
    expect((await api().request('POST', '/auth/verify-email', { body: { token: second } })).status).toBe(200);
    const refused = await api().request('POST', '/me/email-verification', { headers: c.headers });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('email_already_verified');
  });

  it('a link sent to an address the account no longer uses confirms nothing', async () => {
    const c = await signUp(api());
    const old = await notifier.linkToken(c.email, CONFIRM);
    const newEmail = `moved-${randomUUID()}@example.com`;
    await api().request('PATCH', '/me', { headers: c.headers, body: { email: newEmail, currentPassword: c.password } });
    expect((await api().request('POST', '/auth/verify-email', { body: { token: old } })).body.error.code).toBe('invalid_link');
    const fresh = await notifier.linkToken(newEmail, CONFIRM);
    expect((await api().request('POST', '/auth/verify-email', { body: { token: fresh } })).status).toBe(200);
    expect((await api().request('GET', '/me', { headers: c.headers })).body).toEqual(expect.objectContaining({ email: newEmail, emailVerified: true }));
  });

  it('guest orders placed with the address join the account once it is confirmed, and later ones at once; their access tokens still work', async () => {
    const email = `guest-${randomUUID()}@example.com`;
    const before = await guestOrder(email);
    const c = await signUp(api(), { email });
    expect((await api().request('GET', '/me/orders', { headers: c.headers })).body.items).toEqual([]);
    const token = await notifier.linkToken(email, CONFIRM);
    expect((await api().request('POST', '/auth/verify-email', { body: { token } })).body).toEqual({ emailVerified: true, ordersAdded: 1 });
    const after = await guestOrder(email.toUpperCase());
    const mine = await api().request('GET', '/me/orders', { headers: c.headers });
    expect(mine.body.items.map((o: { id: string }) => o.id)).toEqual([after.orderId, before.orderId]);
    expect((await api().request('GET', `/orders/${before.orderId}`, { headers: c.headers })).status).toBe(200);
    expect((await api().request('GET', `/orders/${before.orderId}`, { headers: bearer(before.accessToken) })).status).toBe(200);
  });
});

describe('resetting a forgotten password', () => {
  it('answers the same whether or not the address has an account, and e-mails only an account\'s owner', async () => {
    const c = await signUp(api());
    const known = await api().request('POST', '/auth/password-reset', { body: { email: c.email } });
    const unknownEmail = `nobody-${randomUUID()}@example.com`;
    const unknown = await api().request('POST', '/auth/password-reset', { body: { email: unknownEmail } });
    expect([known.status, unknown.status]).toEqual([202, 202]);
    expect(unknown.body).toEqual(known.body);
    await notifier.linkToken(c.email, RESET);
    expect(notifier.to(unknownEmail)).toEqual([]);
    expect(await sql('select id from notifications where recipient = ?', [unknownEmail])).toEqual([]);
  });

  it('the link sets a new password once, ends every session, spends older links, and a refused password leaves it usable', async () => {
    const c = await signUp(api());
    const other = (await signIn(api(), c)).body.session.token as string;
    await api().request('POST', '/auth/password-reset', { body: { email: c.email } });
    const older = await notifier.linkToken(c.email, RESET, 1);
    await api().request('POST', '/auth/password-reset', { body: { email: c.email } });
    const token = await notifier.linkToken(c.email, RESET, 2);
    expect(notifier.to(c.email, RESET)[1].text).toContain('for 15 minutes');
    const weak = await api().request('POST', '/auth/password-reset/confirm', { body: { token, password: 'password' } });
    expect(weak.status).toBe(422);
    const done = await api().request('POST', '/auth/password-reset/confirm', { body: { token, password: 'a fresh start at last' } });
    expect(done.status).toBe(204);
    for (const t of [c.token, other]) expect((await api().request('GET', '/me', { headers: bearer(t) })).status).toBe(401);
    expect((await signIn(api(), c)).status).toBe(401);
    expect((await signIn(api(), { email: c.email, password: 'a fresh start at last' })).status).toBe(200);
    for (const t of [token, older]) {
      const reused = await api().request('POST', '/auth/password-reset/confirm', { body: { token: t, password: 'yet another passphrase' } });
      expect(reused.status).toBe(400);
      expect(reused.body.error.code).toBe('invalid_link');
    }
    // It came through the account's inbox, so the address is confirmed as well.
    expect((await signIn(api(), { email: c.email, password: 'a fresh start at last' })).body.customer.emailVerified).toBe(true);
  });

  it('the link expires after the configured time (PASSWORD_RESET_LINK_TTL)', async () => {
    const c = await signUp(api());
    await api().request('POST', '/auth/password-reset', { body: { email: c.email } });
    const token = await notifier.linkToken(c.email, RESET);
    const [link] = await sql<{ ttl_s: number }>(`select extract(epoch from expires_at - created_at)::int as ttl_s from customer_links
      where customer_id = ? and purpose = 'password_reset'`, [c.id]);
    expect(link.ttl_s).toBe(15 * 60);
    await sql(`update customer_links set created_at = created_at - interval '16 minutes', expires_at = expires_at - interval '16 minutes'
      where customer_id = ? and purpose = 'password_reset'`, [c.id]);
    const res = await api().request('POST', '/auth/password-reset/confirm', { body: { token, password: 'too late for this one' } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_link');
    expect((await signIn(api(), c)).status).toBe(200);
  });
});
