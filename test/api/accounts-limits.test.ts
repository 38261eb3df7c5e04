/**
 * Sign-in and password-reset requests under the abuse limits (src/api/rate-limits.ts, counted in
 * PostgreSQL): per account, whether or not it exists, and per client address. A refusal is 429
 * rate_limited with Retry-After, and does nothing: no session, no e-mail.
 */
import { randomUUID } from 'node:crypto';
import { accountsWorld, PASSWORD, RecordingNotifier, signUp } from '../support/accounts';

const notifier = new RecordingNotifier();
const { api, sql } = accountsWorld({ workerDeps: { notifier }, api: {
  rateLimits: { signIn: { account: { points: 3, windowSeconds: 900 }, ip: { points: 8, windowSeconds: 900 } },
    passwordReset: { account: { points: 2, windowSeconds: 3600 }, ip: { points: 5, windowSeconds: 3600 } } },
  app: { trustProxyHops: 1 } } });

let nextIp = 1;
const newIp = () => `198.51.100.${nextIp++}`;
const from = (ip: string) => ({ 'X-Forwarded-For': ip });
const signInFrom = (ip: string, email: string, password: string) =>
  api().request('POST', '/auth/sign-in', { headers: from(ip), body: { email, password } });

function expectLimited(res: { status: number; headers: Headers; body: { error?: { code: string; details: Record<string, unknown> } } }, limit: string, per: string) {
  expect({ status: res.status, code: res.body.error?.code, limit: res.body.error?.details.limit, per: res.body.error?.details.per })
    .toEqual({ status: 429, code: 'rate_limited', limit, per });
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
}

describe('signing in', () => {
  it('attempts on one account are limited from any address, the right password too once the limit is reached, and no session is opened', async () => {
    const c = await signUp(api());
    for (let i = 0; i < 3; i++) expect((await signInFrom(newIp(), c.email, `wrong ${i} password`)).status).toBe(401);
    const sessions = await sql('select count(*)::int as n from customer_sessions where customer_id = ?', [c.id]);
    expectLimited(await signInFrom(newIp(), c.email.toUpperCase(), PASSWORD), 'signIn', 'account');
    expect(await sql('select count(*)::int as n from customer_sessions where customer_id = ?', [c.id])).toEqual(sessions);
  });

  it('an address without an account is limited exactly as one with an account, so the limit tells nothing', async () => {
    const unknown = `nobody-${randomUUID()}@example.com`;
    for (let i = 0; i < 3; i++) expect((await signInFrom(newIp(), unknown, 'whatever it is')).status).toBe(401);
    expectLimited(await signInFrom(newIp(), unknown, 'whatever it is'), 'signIn', 'account');
  });

  it('signing in forgets the account\'s earlier attempts', async () => {
    const c = await signUp(api());
    for (let i = 0; i < 2; i++) expect((await signInFrom(newIp(), c.email, `typo ${i} password`)).status).toBe(401);
    expect((await signInFrom(newIp(), c.email, PASSWORD)).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await signInFrom(newIp(), c.email, `typo again ${i}`)).status).toBe(401);
    expect((await signInFrom(newIp(), c.email, PASSWORD)).status).toBe(200);
  });

  it('one address trying many accounts is limited across them', async () => {
    const ip = newIp();
    for (let i = 0; i < 8; i++) expect((await signInFrom(ip, `spray-${i}-${randomUUID()}@example.com`, 'password guess')).status).toBe(401);
    expectLimited(await signInFrom(ip, `spray-last-${randomUUID()}@example.com`, 'password guess'), 'signIn', 'ip');
  });
});

describe('asking for a password reset', () => {
  it('is limited per account; a refused request e-mails nothing', async () => {
    const c = await signUp(api());
    for (let i = 0; i < 2; i++) {
      expect((await api().request('POST', '/auth/password-reset', { headers: from(newIp()), body: { email: c.email } })).status).toBe(202);
    }
    expectLimited(await api().request('POST', '/auth/password-reset', { headers: from(newIp()), body: { email: c.email } }), 'passwordReset', 'account');
    await notifier.linkToken(c.email, /Reset your password/, 2);
    await new Promise((r) => setTimeout(r, 500));
    expect(notifier.to(c.email, /Reset your password/)).toHaveLength(2);
    expect(await sql(`select count(*)::int as n from customer_links where customer_id = ? and purpose = 'password_reset'`, [c.id])).toEqual([{ n: 2 }]);
  });
});
