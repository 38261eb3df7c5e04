/**
 * Staff accounts, roles and keys against the real API and database: every route declares who may
 * call it and the router enforces it (401 without a live key, 403 without the role), each role
 * reaches its own routes and not another's, admins manage accounts and keys (shown once, kept as
 * digests, revocable at once, last use recorded at most once a minute), and every change is audited
 * with the account that made it.
 */
import Router from '@koa/router';
import { createHash } from 'node:crypto';
import { allRoutes } from '../../src/api/app';
import { mount, route } from '../../src/api/http';
import { accountSettings } from '../../src/accounts/settings';
import { RateLimits } from '../../src/api/rate-limits';
import { OrderTokens } from '../../src/auth/order-tokens';
import { SimulatedPaymentProvider } from '../../src/integrations/simulated/payments';
import { logger } from '../../src/logger';
import { STAFF_ROLES } from '../../src/domain/staff';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { seedCheckoutCatalog } from '../support/checkout';
import { STAFF, staffAs, startTestApi, type ApiResponse, type TestApi } from '../support/api';

let db: TestDatabase;
let api: TestApi;

beforeAll(async () => {
  db = await createTestDatabase();
  await seedCheckoutCatalog(db, 10);
  api = await startTestApi(db.orm);
});
afterAll(async () => {
  await api?.close();
  await db?.drop();
});

const sql = <T = Record<string, unknown>>(text: string, args: unknown[] = []) => db.orm.em.fork().getConnection().execute<T[]>(text, args);
const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const SKU = 'MUG-1';

/** A route each role owns, and what it answers when allowed. */
const OWN: Record<'support' | 'warehouse' | 'catalog' | 'admin', { method: string; path: string; body?: unknown; status: number }> = {
  support: { method: 'GET', path: '/admin/notices', status: 200 },
  warehouse: { method: 'PUT', path: `/admin/inventory/${SKU}`, body: { onHand: 10 }, status: 200 },
  catalog: { method: 'GET', path: `/admin/inventory/${SKU}`, status: 200 },
  admin: { method: 'GET', path: '/admin/staff', status: 200 },
};

describe('every route declares who may call it', () => {
  it('all routes of the app, the webhooks included, have an access rule; the OpenAPI document says each staff route\'s roles', async () => {
    const deps = { orm: db.orm, logger, temporal: { ping: async () => {} }, taskQueue: 'q', paymentActionTimeout: '15m', limits: new RateLimits(undefined),
      simulatedPayments: new SimulatedPaymentProvider(db.orm), orderTokens: new OrderTokens(), accounts: accountSettings() };
    const routes = allRoutes(deps);
    expect(routes.map((r) => r.path)).toEqual(expect.arrayContaining(['/webhooks/stripe', '/webhooks/twilio', '/webhooks/carrier']));
    expect(routes.length).toBeGreaterThan(30);
    expect(routes.filter((r) => !r.access).map((r) => `${r.method} ${r.path}`)).toEqual([]);
    const { body } = await api.request('GET', '/openapi.json');
    expect(body.components.securitySchemes.staffKey).toEqual(expect.objectContaining({ type: 'http', scheme: 'bearer' }));
    for (const r of routes.filter((x) => typeof x.access === 'object' && x.access.staff)) {
      const op = body.paths[r.path.replace(/:(\w+)/g, '{$1}')][r.method];
      const roles = (r.access as { staff: string[] }).staff;
      expect({ route: `${r.method} ${r.path}`, security: op.security.at(-1) })
        .toEqual({ route: `${r.method} ${r.path}`, security: { staffKey: [...new Set([...roles, 'admin'])] } });
      expect(op.responses).toEqual(expect.objectContaining({ 401: expect.anything(), 403: expect.anything() }));
    }
    expect(body.paths['/admin/staff'].post.security).toEqual([{ staffKey: ['admin'] }]);
    expect(body.paths['/admin/staff'].post.description).toBe('Who may call it: staff with admin.');
  });

  it('the router refuses to start with a route that declares none', () => {
    const bare = route({ method: 'get', path: '/nobody-said', tag: 'x', summary: 'x', responses: {}, handler: async () => {} } as never);
    expect(() => mount(new Router(), [bare], { orderTokens: new OrderTokens() })).toThrow('GET /nobody-said declares no access');
  });
});

describe('roles', () => {
  for (const role of STAFF_ROLES) {
    const title = role === 'admin' ? 'admin: its own route (staff accounts) and every other role\'s are allowed'
      : `${role}: its own route is allowed; another role's (admin's included) answers 403 in the one error shape`;
    it(title, async () => {
      const own = OWN[role];
      const mine = await api.request(own.method, own.path, { headers: staffAs(role), body: own.body });
      expect({ role, status: mine.status }).toEqual({ role, status: own.status });
      const others = role === 'admin' ? [] : STAFF_ROLES.filter((r) => r !== role);
      for (const other of others) {
        const theirs = OWN[other];
        // Reading stock is open to catalog, support and warehouse alike: only the routes a role does not share are tried.
        if (theirs.method === 'GET' && theirs.path.startsWith('/admin/inventory') && role !== 'admin') continue;
        const res = await api.request(theirs.method, theirs.path, { headers: staffAs(role), body: theirs.body });
        expect({ role, tried: other, status: res.status, code: res.body.error?.code }).toEqual({ role, tried: other, status: 403, code: 'forbidden' });
        expect(res.body.error.message).toMatch(new RegExp(`needs the .*role; staff:${STAFF[role].name} has ${role}`));
        expect(res.body.error.details).toEqual({ needs: expect.arrayContaining(['admin']), has: [role] });
      }
      if (role === 'admin') {
        for (const r of ['support', 'warehouse', 'catalog'] as const) {
          const theirs = OWN[r];
          expect((await api.request(theirs.method, theirs.path, { headers: staffAs('admin'), body: theirs.body })).status).toBe(theirs.status);
        }
      }
    });
  }

  it('a refused stock change leaves the stock as it was', async () => {
    await sql(`update inventory set on_hand = 10 where sku = ?`, [SKU]);
    const res = await api.request('PUT', `/admin/inventory/${SKU}`, { headers: staffAs('support'), body: { onHand: 0 } });
    expect(res.status).toBe(403);
    expect(await sql('select on_hand from inventory where sku = ?', [SKU])).toEqual([{ on_hand: 10 }]);
    expect(await sql(`select count(*)::int as n from support_actions where sku = ? and staff_id = (select id from staff_accounts where name = 'sam')`, [SKU]))
      .toEqual([{ n: 0 }]);
  });
});

describe('keys', () => {
  it('no key, a key that is not one, a token of another kind: 401 with WWW-Authenticate, one error shape', async () => {
    for (const headers of [{}, bearer('staff_nobody-has-this-key-0000000000000000'), bearer('not-a-staff-key'), { Authorization: `Basic ${STAFF.admin.key}` }]) {
      const res = await api.request('GET', '/admin/notices', { headers });
      expect({ headers, status: res.status, code: res.body.error.code }).toEqual({ headers, status: 401, code: 'unauthorized' });
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="staff"');
      expect(Object.keys(res.body.error).sort()).toEqual(['code', 'details', 'message', 'requestId']);
    }
  });

  it('an admin creates an account: its key is shown once, works at once, and only its digest is kept', async () => {
    const created = await api.request('POST', '/admin/staff', { headers: staffAs('admin'), body: { name: 'kim', roles: ['support', 'warehouse'], label: 'laptop' } });
    expect(created.status).toBe(201);
    const { key, account } = created.body;
    expect(key).toMatch(/^staff_[A-Za-z0-9_-]{43}$/);
    expect(account).toEqual(expect.objectContaining({ name: 'kim', roles: ['support', 'warehouse'], disabledAt: null,
      keys: [expect.objectContaining({ hint: `${key.slice(0, 12)}…`, label: 'laptop', lastUsedAt: null, revokedAt: null })] }));
    expect((await api.request('GET', '/admin/notices', { headers: bearer(key) })).status).toBe(200);
    expect((await api.request('PUT', `/admin/inventory/${SKU}`, { headers: bearer(key), body: { onHand: 10 } })).status).toBe(200);
    expect((await api.request('GET', '/admin/staff', { headers: bearer(key) })).status).toBe(403);
    // Only the digest: no column of the table holds the key.
    const rows = await sql('select * from staff_api_keys where staff_id = ?', [account.id]);
    expect(rows).toEqual([expect.objectContaining({ digest: sha256(key) })]);
    expect(JSON.stringify(rows)).not.toContain(key);
    const list = await api.request('GET', '/admin/staff', { headers: staffAs('admin') });
    expect(JSON.stringify(list.body)).not.toContain(key);
    expect(list.body.accounts.map((a: { name: string }) => a.name)).toEqual(['ada', 'cat', 'kim', 'pat', 'sam']);
    const taken = await api.request('POST', '/admin/staff', { headers: staffAs('admin'), body: { name: 'kim', roles: ['catalog'] } });
    expect({ status: taken.status, code: taken.body.error.code }).toEqual({ status: 409, code: 'staff_name_taken' });
    for (const body of [{ name: 'Kim Smith', roles: ['support'] }, { name: 'lee', roles: ['janitor'] }, { name: 'lee', roles: [] }]) {
      const bad = await api.request('POST', '/admin/staff', { headers: staffAs('admin'), body });
      expect({ body, status: bad.status, code: bad.body.error.code }).toEqual({ body, status: 400, code: 'validation_failed' });
    }
    expect(await sql(`select count(*)::int as n from staff_accounts where name = 'lee'`)).toEqual([{ n: 0 }]);
  });

  it('a second key, then the first revoked: the revoked one answers 401 from the next request on, the other still works', async () => {
    const { body: made } = await api.request('POST', '/admin/staff', { headers: staffAs('admin'), body: { name: 'rory', roles: ['catalog'] } });
    const second = await api.request('POST', `/admin/staff/rory/keys`, { headers: staffAs('admin'), body: { label: 'phone' } });
    expect(second.status).toBe(201);
    const firstKeyId = made.account.keys[0].id;
    const revoked = await api.request('DELETE', `/admin/staff/${made.account.id}/keys/${firstKeyId}`, { headers: staffAs('admin') });
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).toEqual(expect.any(String));
    expect((await api.request('GET', `/admin/inventory/${SKU}`, { headers: bearer(made.key) })).status).toBe(401);
    expect((await api.request('GET', `/admin/inventory/${SKU}`, { headers: bearer(second.body.key) })).status).toBe(200);
    const again = await api.request('DELETE', `/admin/staff/rory/keys/${firstKeyId}`, { headers: staffAs('admin') });
    expect(again.status).toBe(404);
  });

  it('roles change and accounts are disabled at once; a disabled account\'s keys answer 401 until it is enabled again', async () => {
    const { body: made } = await api.request('POST', '/admin/staff', { headers: staffAs('admin'), body: { name: 'noor', roles: ['catalog'] } });
    const asNoor = bearer(made.key);
    expect((await api.request('GET', '/admin/notices', { headers: asNoor })).status).toBe(403);
    const changed = await api.request('PATCH', '/admin/staff/noor', { headers: staffAs('admin'), body: { roles: ['support'] } });
    expect(changed.body.roles).toEqual(['support']);
    expect((await api.request('GET', '/admin/notices', { headers: asNoor })).status).toBe(200);
    await api.request('PATCH', '/admin/staff/noor', { headers: staffAs('admin'), body: { disabled: true } });
    expect((await api.request('GET', '/admin/notices', { headers: asNoor })).status).toBe(401);
    await api.request('PATCH', '/admin/staff/noor', { headers: staffAs('admin'), body: { disabled: false } });
    expect((await api.request('GET', '/admin/notices', { headers: asNoor })).status).toBe(200);
    expect((await api.request('PATCH', '/admin/staff/noor', { headers: staffAs('admin'), body: {} })).status).toBe(400);
    expect((await api.request('PATCH', '/admin/staff/nobody', { headers: staffAs('admin'), body: { disabled: true } })).status).toBe(404);
    // Every change is in the audit trail, by the admin who made it, through the key they used.
    const audit = await sql<{ action: string; actor: string; by: string; key_hint: string }>(
      `select a.action, a.actor, s.name as by, k.hint as key_hint from support_actions a join staff_accounts s on s.id = a.staff_id
         join staff_api_keys k on k.id = a.staff_key_id where a.subject_staff_id = ? order by a.requested_at`, [made.account.id]);
    expect(audit.map((r) => r.action)).toEqual(['staff_create', 'staff_update', 'staff_update', 'staff_update']);
    expect(new Set(audit.map((r) => `${r.actor} ${r.by} ${r.key_hint}`))).toEqual(new Set([`staff:ada ada ${STAFF.admin.key.slice(0, 12)}…`]));
  });

  it('last use is recorded, at most once a minute per key', async () => {
    const { body: made } = await api.request('POST', '/admin/staff', { headers: staffAs('admin'), body: { name: 'lou', roles: ['catalog'] } });
    const lastUsed = async () => (await sql<{ last_used_at: string | null }>('select last_used_at from staff_api_keys where staff_id = ?', [made.account.id]))[0]
      .last_used_at;
    expect(await lastUsed()).toBeNull();
    await api.request('GET', `/admin/inventory/${SKU}`, { headers: bearer(made.key) });
    const first = await lastUsed();
    expect(first).not.toBeNull();
    for (let i = 0; i < 3; i++) await api.request('GET', `/admin/inventory/${SKU}`, { headers: bearer(made.key) });
    expect(await lastUsed()).toEqual(first);
    await sql(`update staff_api_keys set last_used_at = now() - interval '61 seconds' where staff_id = ?`, [made.account.id]);
    const aged = await lastUsed();
    await api.request('GET', `/admin/inventory/${SKU}`, { headers: bearer(made.key) });
    expect(new Date((await lastUsed())!).getTime()).toBeGreaterThan(new Date(aged!).getTime() + 60_000);
  });
});

describe('the audit trail of stock', () => {
  it('a stock count and a refused one are recorded with the account, the key, and the count before and after', async () => {
    await sql(`update inventory set on_hand = 10, reserved = 4 where sku = ?`, [SKU]);
    const set = await api.request('PUT', `/admin/inventory/${SKU}`, { headers: staffAs('warehouse'), body: { onHand: 25 } });
    expect(set.body).toEqual({ sku: SKU, onHand: 25, reserved: 4, available: 21 });
    const refused: ApiResponse = await api.request('PUT', `/admin/inventory/${SKU}`, { headers: staffAs('warehouse'), body: { onHand: 3 } });
    expect(refused.status).toBe(409);
    const rows = await sql(`select a.action, a.actor, a.via, a.outcome, a.outcome_detail, a.request, s.name
      from support_actions a join staff_accounts s on s.id = a.staff_id where a.sku = ? and s.name = 'pat' and a.request->>'onHand' in ('25', '3')
      order by a.requested_at`, [SKU]);
    expect(rows).toEqual([
      { action: 'set_stock', actor: 'staff:pat', via: 'api', outcome: 'done', outcome_detail: 'on hand 10 -> 25 (4 reserved)', request: { onHand: 25 }, name: 'pat' },
      { action: 'set_stock', actor: 'staff:pat', via: 'api', outcome: 'refused', outcome_detail: 'refused: orders have reserved 4, on hand stays 25',
        request: { onHand: 3 }, name: 'pat' },
    ]);
    await sql(`update inventory set reserved = 0 where sku = ?`, [SKU]);
  });
});
