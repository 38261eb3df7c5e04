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
    expect(ready.body).toEqual({ status: 'ready', checks: { postgres: { ok: true }, temporal: { ok: true }, search: { ok: true } } });
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
    // The statuses the route really answers, each error in the one shape; no catch-all `default` anywhere.
    expect(Object.keys(addItem.responses).sort()).toEqual(['200', '400', '401', '404', '409', '413', '415', '422']);
    expect(addItem.responses['409'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Error' });
    for (const [path, operations] of Object.entries(paths as Record<string, Record<string, { responses: Record<string, unknown> }>>)) {
      for (const [method, operation] of Object.entries(operations)) {
        expect([`${method} ${path}`, operation.responses.default]).toEqual([`${method} ${path}`, undefined]);
        expect([`${method} ${path}`, operation.responses['400']]).toEqual([`${method} ${path}`, expect.anything()]);
      }
    }
    const checkout = paths['/carts/{id}/checkout'].post.responses;
    expect(checkout['503'].headers['Retry-After']).toBeDefined();
    expect(checkout['503'].description).toMatch(/same Idempotency-Key is safe/);
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

describe('the document states the rules the routes enforce (so a fuzzer\'s valid request is not refused as malformed)', () => {
  it('free text without NUL, trimmed text with a character the trim keeps, refinements, formats, headers and signatures', async () => {
    const { body: doc } = await api.request('GET', '/openapi.json');
    const schemas = doc.components.schemas;
    expect(doc.info.description).toMatch(/NUL character \(U\+0000\) or an unpaired UTF-16 surrogate/);
    const cancel = doc.paths['/orders/{id}/cancel'].post.requestBody.content['application/json'].schema;
    const reason = cancel.properties.reason;
    expect(reason.pattern).toBeDefined();
    const pattern = new RegExp(reason.pattern);
    expect([pattern.test('changed my mind'), pattern.test('changed\u0000mind'), pattern.test('   ')]).toEqual([true, false, false]);
    expect(new RegExp(doc.paths['/products'].get.parameters.find((p: { name: string }) => p.name === 'q').schema.pattern).test('a\u0000')).toBe(false);
    expect(schemas.CheckoutRequest.not).toEqual({ required: ['shippingAddress', 'shippingAddressId'] });
    expect(doc.paths['/admin/staff/{id}'].patch.requestBody.content['application/json'].schema.minProperties).toBe(1);
    const ifMatch = doc.paths['/admin/catalog/categories/{id}'].patch.parameters.find((p: { name: string }) => p.name === 'If-Match');
    expect([ifMatch.required, new RegExp(ifMatch.schema.pattern).test('"3"'), new RegExp(ifMatch.schema.pattern).test('3')]).toEqual([true, true, false]);
    const since = doc.paths['/admin/orders'].get.parameters.find((p: { name: string }) => p.name === 'since').schema;
    expect(since.anyOf.map((s: { format: string }) => s.format)).toEqual(['date', 'date-time']);
    expect(doc.paths['/webhooks/twilio'].post.security).toEqual([{ twilioSignature: [] }]);
    expect(doc.components.securitySchemes.carrierSignature.name).toBe('X-Carrier-Signature');
  });
});
