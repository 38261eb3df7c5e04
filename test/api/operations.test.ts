import { createTestDatabase, type TestDatabase } from '../support/db';
import { startTestApi, STAFF_TOKEN, type TestApi } from '../support/api';
import { insertProducts } from '../../src/db/seed';

let db: TestDatabase;
let api: TestApi;

beforeAll(async () => {
  db = await createTestDatabase();
  await insertProducts(db.orm.em.fork(), [{ handle: 'pin', title: 'Pin', description: '', variants: [
    { sku: 'PIN-1', title: 'Gold', prices: { USD: 500 }, onHand: 10 }] }]);
  api = await startTestApi(db.orm);
});
afterAll(async () => {
  await api?.close();
  await db?.drop();
});

describe('health and readiness', () => {
  it('is live and ready when PostgreSQL and Temporal answer', async () => {
    expect((await api.request('GET', '/healthz')).body).toEqual({ status: 'ok' });
    const ready = await api.request('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready', checks: { postgres: { ok: true }, temporal: { ok: true } } });
  });
});

describe('OpenAPI document', () => {
  it('describes every route with its parameters, body schema and error shape', async () => {
    const res = await api.request('GET', '/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    const paths = res.body.paths;
    for (const [path, method] of [['/products', 'get'], ['/products/{idOrSlug}', 'get'], ['/carts', 'post'], ['/carts/{id}', 'get'],
      ['/carts/{id}/items', 'post'], ['/carts/{id}/items/{sku}', 'patch'], ['/carts/{id}/items/{sku}', 'delete'],
      ['/healthz', 'get'], ['/readyz', 'get'], ['/admin/inventory/{sku}', 'put']]) {
      expect(paths[path]?.[method]).toBeDefined();
    }
    const addItem = paths['/carts/{id}/items'].post;
    const body = addItem.requestBody.content['application/json'].schema;
    expect(body.required).toEqual(['sku', 'quantity']);
    expect(body.additionalProperties).toBe(false);
    expect(body.properties.quantity).toEqual(expect.objectContaining({ type: 'integer', minimum: 1, maximum: 999 }));
    expect(addItem.responses.default.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Error' });
    expect(res.body.components.schemas.Error.properties.error.required).toEqual(expect.arrayContaining(['code', 'message', 'details']));
    expect(res.body.components.schemas.Cart).toBeDefined();
    expect(paths['/admin/inventory/{sku}'].put.security).toEqual([{ staffKey: ['warehouse', 'admin'] }]);
  });
});

describe('staff routes', () => {
  it('refuse a missing or wrong token with 401 and change nothing', async () => {
    const none = await api.request('PUT', '/admin/inventory/PIN-1', { body: { onHand: 99 } });
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('unauthorized');
    expect(none.headers.get('www-authenticate')).toMatch(/Bearer/);
    const wrong = await api.request('PUT', '/admin/inventory/PIN-1', { body: { onHand: 99 }, headers: { Authorization: 'Bearer not-the-token' } });
    expect(wrong.status).toBe(401);
    const basic = await api.request('GET', '/admin/inventory/PIN-1', { headers: { Authorization: `Basic ${STAFF_TOKEN}` } });
    expect(basic.status).toBe(401);
    const [row] = await db.orm.em.fork().getConnection().execute(`select on_hand from inventory where sku = 'PIN-1'`);
    expect(row.on_hand).toBe(10);
  });

  it('let staff set stock on hand, but never below what orders reserved', async () => {
    const auth = { Authorization: `Bearer ${STAFF_TOKEN}` };
    const set = await api.request('PUT', '/admin/inventory/PIN-1', { body: { onHand: 20 }, headers: auth });
    expect(set.status).toBe(200);
    expect(set.body).toEqual({ sku: 'PIN-1', onHand: 20, reserved: 0, available: 20 });
    await db.orm.em.fork().getConnection().execute(`update inventory set reserved = 7 where sku = 'PIN-1'`);
    const tooLow = await api.request('PUT', '/admin/inventory/PIN-1', { body: { onHand: 5 }, headers: auth });
    expect(tooLow.status).toBe(409);
    expect(tooLow.body.error.code).toBe('inventory_conflict');
    expect((await api.request('GET', '/admin/inventory/PIN-1', { headers: auth })).body).toEqual({ sku: 'PIN-1', onHand: 20, reserved: 7, available: 13 });
  });
});

describe('the database itself protects stock', () => {
  it('rejects negative stock and reservations above what is on hand, whatever the caller', async () => {
    const conn = db.orm.em.fork().getConnection();
    await expect(conn.execute(`update inventory set on_hand = -1 where sku = 'PIN-1'`)).rejects.toThrow(/check constraint/);
    await expect(conn.execute(`update inventory set reserved = on_hand + 1 where sku = 'PIN-1'`)).rejects.toThrow(/inventory_reserved_within_on_hand/);
    await expect(conn.execute(`update inventory set reserved = -1 where sku = 'PIN-1'`)).rejects.toThrow(/check constraint/);
  });
});
