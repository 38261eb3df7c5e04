/** Signing up, signing in and out, sessions, the account and its password, against the real API and database. */
import { randomUUID } from 'node:crypto';
import { startTestApi } from '../support/api';
import { accountsWorld, bearer, FAST_ACCOUNTS, PASSWORD, signIn, signUp } from '../support/accounts';
import { sha256Hex } from '../../src/auth/tokens';
import { accountSettings } from '../../src/accounts/settings';


const { world, api, sql } = accountsWorld();

describe('signing up', () => {
  it('creates the account, signs it in with a sess_ token kept only as its SHA-256, and stores an argon2id hash, never the password', async () => {
    const email = `ada-${randomUUID()}@example.com`;
    const res = await api().request('POST', '/auth/sign-up', { body: { email, password: PASSWORD, name: 'Ada Lovelace', marketingOptIn: true } });
    expect(res.status).toBe(201);
    expect(res.body.customer).toEqual({ id: expect.any(String), email, emailVerified: false, name: 'Ada Lovelace', marketingOptIn: true,
      createdAt: expect.any(String) });
    expect(res.body.session.token).toMatch(/^sess_[A-Za-z0-9_-]{43}$/);
    expect(res.body.session.idleTimeoutSeconds).toBe(7 * 86400);
    expect(Date.parse(res.body.session.expiresAt) - Date.now()).toBeGreaterThan(29 * 86400_000);
    const [customer] = await sql<{ password_hash: string }>('select password_hash from customers where id = ?', [res.body.customer.id]);
    expect(customer.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(customer.password_hash).not.toContain(PASSWORD);
    const sessions = await sql<{ token_hash: string }>('select token_hash from customer_sessions where customer_id = ?', [res.body.customer.id]);
    expect(sessions).toEqual([{ token_hash: sha256Hex(res.body.session.token) }]);
    expect((await api().request('GET', '/me', { headers: bearer(res.body.session.token) })).body.email).toBe(email);
  });

  it('refuses an address that already has an account, in any case, and writes nothing', async () => {
    const first = await signUp(api());
    const before = await sql('select count(*)::int as n from customers');
    const res = await api().request('POST', '/auth/sign-up', { body: { email: first.email.toUpperCase(), password: 'another good passphrase' } });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('email_taken');
    expect(await sql('select count(*)::int as n from customers')).toEqual(before);
  });

  it.each([
    ['too short', 'seven77', 'too_short'],
    ['too long', 'x'.repeat(257), 'too_long'],
    ['one of the most common', 'sunshine1', 'common'],
    ['common once normalized (full-width letters)', 'ｐａｓｓｗｏｒｄ１', 'common'],
    ['a run of digits', '87654321', 'common'],
  ])('refuses a password that is %s with 422 weak_password, and creates no account', async (_what, password, reason) => {
    const email = `weak-${randomUUID()}@example.com`;
    const res = await api().request('POST', '/auth/sign-up', { body: { email, password } });
    expect(res.status).toBe(422);
    expect(res.body.error).toEqual(expect.objectContaining({ code: 'weak_password', details: expect.objectContaining({ reason }) }));
    expect(await sql('select id from customers where email = ?', [email])).toEqual([]);
  });

  it('counts a password\'s length in characters, not bytes: eight emoji are long enough', async () => {
    const c = await signUp(api(), { password: '🦊🐻🐼🐨🐯🦁🐮🐷' });
    expect((await signIn(api(), c)).status).toBe(200);
  });
});

describe('signing in', () => {
  it('answers a new session for the right password, and the same password typed in another Unicode form works too', async () => {
    const c = await signUp(api(), { password: 'café au lait 1899' });
    const res = await signIn(api(), { email: c.email.toUpperCase(), password: 'cafe\u0301 au lait 1899' });
    expect(res.status).toBe(200);
    expect(res.body.customer.id).toBe(c.id);
    expect(res.body.session.token).not.toBe(c.token);
    expect(res.body.cart).toEqual({ id: null });
  });

  it('answers a wrong password and an unknown address alike: same status, code and message', async () => {
    const c = await signUp(api());
    const wrong = await signIn(api(), { email: c.email, password: 'not the password at all' });
    const unknown = await signIn(api(), { email: `nobody-${randomUUID()}@example.com`, password: 'not the password at all' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('invalid_credentials');
    const { requestId: _a, ...wrongError } = wrong.body.error;
    const { requestId: _b, ...unknownError } = unknown.body.error;
    expect(unknownError).toEqual(wrongError);
    expect(unknown.status).toBe(wrong.status);
  });

  it('hashes the password again at sign-in when the configured cost has changed', async () => {
    const c = await signUp(api());
    const stronger = { ...FAST_ACCOUNTS, argon2: { memoryKiB: 24576, iterations: 3, parallelism: 1 } };
    const other = await startTestApi(world().db.orm, { taskQueue: world().worker.taskQueue, app: { accounts: stronger } });
    try {
      expect((await signIn(other, c)).status).toBe(200);
    } finally {
      await other.close();
    }
    const [row] = await sql<{ password_hash: string }>('select password_hash from customers where id = ?', [c.id]);
    expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=24576,t=3,p=1\$/);
    expect((await signIn(api(), c)).status).toBe(200);
  });
});

describe('sessions', () => {
  it('a session is sent as a bearer token; without one, or with a made-up one, /me answers 401', async () => {
    const none = await api().request('GET', '/me');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="customer"');
    const madeUp = await api().request('GET', '/me', { headers: bearer(`sess_${'A'.repeat(43)}`) });
    expect(madeUp.status).toBe(401);
    expect(madeUp.body.error.code).toBe('unauthorized');
  });

  it('signing out ends this session only; signing out everywhere ends them all', async () => {
    const c = await signUp(api());
    const second = (await signIn(api(), c)).body.session.token as string;
    const third = (await signIn(api(), c)).body.session.token as string;
    const out = await api().request('POST', '/auth/sign-out', { headers: c.headers });
    expect(out.body).toEqual({ sessionsEnded: 1 });
    expect((await api().request('GET', '/me', { headers: c.headers })).status).toBe(401);
    expect((await api().request('GET', '/me', { headers: bearer(second) })).status).toBe(200);
    const everywhere = await api().request('POST', '/auth/sign-out', { headers: bearer(second), body: { everywhere: true } });
    expect(everywhere.body).toEqual({ sessionsEnded: 2 });
    for (const token of [second, third]) expect((await api().request('GET', '/me', { headers: bearer(token) })).status).toBe(401);
  });

  it('a session unused for longer than the idle timeout has ended, even before its absolute expiry', async () => {
    const c = await signUp(api());
    const idle = accountSettings().sessionIdleMs / 1000;
    await sql(`update customer_sessions set last_used_at = now() - make_interval(secs => ?) where customer_id = ?`, [idle + 60, c.id]);
    const res = await api().request('GET', '/me', { headers: c.headers });
    expect(res.status).toBe(401);
    expect(res.body.error.message).toMatch(/session has ended/);
  });

  it('a session in use ends at its absolute expiry all the same', async () => {
    const c = await signUp(api());
    await sql(`update customer_sessions set created_at = now() - interval '31 days', expires_at = now() - interval '1 second' where customer_id = ?`, [c.id]);
    expect((await api().request('GET', '/me', { headers: c.headers })).status).toBe(401);
  });

  it('a session in use is marked used (at most once a minute), which keeps it from going idle', async () => {
    const c = await signUp(api());
    await sql(`update customer_sessions set last_used_at = now() - interval '2 days' where customer_id = ?`, [c.id]);
    expect((await api().request('GET', '/me', { headers: c.headers })).status).toBe(200);
    const [row] = await sql<{ idle_s: number }>('select extract(epoch from now() - last_used_at)::float as idle_s from customer_sessions where customer_id = ?', [c.id]);
    expect(row.idle_s).toBeLessThan(5);
  });
});

describe('the account', () => {
  it('changes the name and the marketing choice', async () => {
    const c = await signUp(api());
    const res = await api().request('PATCH', '/me', { headers: c.headers, body: { name: 'Augusta Ada King', marketingOptIn: true } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(expect.objectContaining({ name: 'Augusta Ada King', marketingOptIn: true, email: c.email }));
  });

  it('a new e-mail address needs the current password, is unconfirmed until its link is opened, and nothing changes if refused', async () => {
    const c = await signUp(api());
    const newEmail = `new-${randomUUID()}@example.com`;
    const without = await api().request('PATCH', '/me', { headers: c.headers, body: { email: newEmail, name: 'Changed' } });
    expect(without.status).toBe(400);
    const wrong = await api().request('PATCH', '/me', { headers: c.headers, body: { email: newEmail, name: 'Changed', currentPassword: 'wrong password here' } });
    expect(wrong.status).toBe(403);
    expect(wrong.body.error.code).toBe('current_password_wrong');
    expect((await api().request('GET', '/me', { headers: c.headers })).body).toEqual(expect.objectContaining({ email: c.email, name: 'Ada' }));
    const ok = await api().request('PATCH', '/me', { headers: c.headers, body: { email: newEmail, currentPassword: c.password } });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual(expect.objectContaining({ email: newEmail, emailVerified: false, verificationEmail: 'queued' }));
    const taken = await signUp(api());
    const clash = await api().request('PATCH', '/me', { headers: taken.headers, body: { email: newEmail, currentPassword: taken.password, name: 'X' } });
    expect(clash.status).toBe(409);
    expect((await api().request('GET', '/me', { headers: taken.headers })).body.name).toBe('Ada');
  });

  it('a password change needs the current password and ends every other session, keeping this one', async () => {
    const c = await signUp(api());
    const other = (await signIn(api(), c)).body.session.token as string;
    const wrong = await api().request('POST', '/me/password', { headers: c.headers, body: { currentPassword: 'not it at all', newPassword: 'a brand new passphrase' } });
    expect(wrong.status).toBe(403);
    expect((await api().request('GET', '/me', { headers: bearer(other) })).status).toBe(200);
    const weak = await api().request('POST', '/me/password', { headers: c.headers, body: { currentPassword: c.password, newPassword: 'password1' } });
    expect(weak.status).toBe(422);
    const res = await api().request('POST', '/me/password', { headers: c.headers, body: { currentPassword: c.password, newPassword: 'a brand new passphrase' } });
    expect(res.body).toEqual({ otherSessionsEnded: 1 });
    expect((await api().request('GET', '/me', { headers: bearer(other) })).status).toBe(401);
    expect((await api().request('GET', '/me', { headers: c.headers })).status).toBe(200);
    expect((await signIn(api(), c)).status).toBe(401);
    expect((await signIn(api(), { email: c.email, password: 'a brand new passphrase' })).status).toBe(200);
  });
});

describe('the OpenAPI document', () => {
  it('describes the account routes with their schemas, the customerSession bearer scheme, and which routes need a session', async () => {
    const doc = (await api().request('GET', '/openapi.json')).body;
    expect(doc.components.securitySchemes.customerSession).toEqual(expect.objectContaining({ type: 'http', scheme: 'bearer' }));
    const security = (method: string, path: string) => doc.paths[path][method].security;
    for (const [method, path] of [['get', '/me'], ['patch', '/me'], ['post', '/me/password'], ['post', '/me/email-verification'], ['get', '/me/addresses'],
      ['post', '/me/addresses'], ['patch', '/me/addresses/{id}'], ['delete', '/me/addresses/{id}'], ['get', '/me/orders'], ['get', '/me/orders/{id}'],
      ['get', '/me/orders/{id}/shipments'], ['post', '/auth/sign-out']]) {
      expect([method, path, security(method, path)]).toEqual([method, path, [{ customerSession: [] }]]);
    }
    for (const [method, path] of [['post', '/auth/sign-up'], ['post', '/auth/sign-in'], ['post', '/auth/password-reset'], ['post', '/auth/password-reset/confirm'],
      ['post', '/auth/verify-email']]) {
      expect([method, path, security(method, path)]).toEqual([method, path, undefined]);
    }
    // A cart and its checkout: a guest needs nothing, a customer's cart their session.
    expect(security('post', '/carts/{id}/items')).toEqual([{}, { customerSession: [] }]);
    expect(security('post', '/carts/{id}/checkout')).toEqual([{}, { customerSession: [] }]);
    expect(doc.paths['/auth/sign-in'].post.requestBody.content['application/json'].schema.properties.password).toBeDefined();
    expect(doc.paths['/auth/sign-in'].post.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/SignedIn' });
    expect(doc.components.schemas.SignedIn.properties.session).toEqual({ $ref: '#/components/schemas/Session' });
    expect(doc.paths['/me/orders'].get.parameters.map((p: { name: string }) => p.name)).toEqual(['limit', 'cursor']);
  });
});
