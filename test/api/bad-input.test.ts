import { createTestDatabase, type TestDatabase } from '../support/db';
import { startTestApi, type TestApi } from '../support/api';
import { insertProducts } from '../../src/db/seed';

let db: TestDatabase;
let api: TestApi;
let cartId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  await insertProducts(db.orm.em.fork(), [{ handle: 'cap', title: 'Cap', description: '', variants: [
    { sku: 'CAP-1', title: 'One size', prices: { USD: 1500 }, onHand: 10 }] }]);
  api = await startTestApi(db.orm);
  cartId = (await api.request('POST', '/carts')).body.id;
});
afterAll(async () => {
  await api?.close();
  await db?.drop();
});

async function rowCounts() {
  const [row] = await db.orm.em.fork().getConnection().execute(
    'select (select count(*) from carts)::int as carts, (select count(*) from cart_lines)::int as lines');
  return row;
}

function expectErrorShape(body: any, code: string) { // eslint-disable-line @typescript-eslint/no-explicit-any
  expect(body).toEqual({ error: { code, message: expect.any(String), details: expect.any(Object), requestId: expect.any(String) } });
}

describe('bad input gets a clear 4xx in one error shape, and nothing is written', () => {
  const cases: [string, string, () => string, Record<string, unknown>, number, string][] = [
    ['a missing quantity', 'POST', () => `/carts/${cartId}/items`, { body: { sku: 'CAP-1' } }, 400, 'validation_failed'],
    ['a zero quantity', 'POST', () => `/carts/${cartId}/items`, { body: { sku: 'CAP-1', quantity: 0 } }, 400, 'validation_failed'],
    ['a negative quantity', 'POST', () => `/carts/${cartId}/items`, { body: { sku: 'CAP-1', quantity: -2 } }, 400, 'validation_failed'],
    ['a fractional quantity', 'POST', () => `/carts/${cartId}/items`, { body: { sku: 'CAP-1', quantity: 1.5 } }, 400, 'validation_failed'],
    ['a quantity sent as a string', 'POST', () => `/carts/${cartId}/items`, { body: { sku: 'CAP-1', quantity: '2' } }, 400, 'validation_failed'],
    ['a huge quantity', 'POST', () => `/carts/${cartId}/items`, { body: { sku: 'CAP-1', quantity: 1e9 } }, 400, 'validation_failed'],
    ['an unknown field', 'POST', () => `/carts/${cartId}/items`, { body: { sku: 'CAP-1', quantity: 1, price: 1 } }, 400, 'validation_failed'],
    ['a malformed SKU', 'POST', () => `/carts/${cartId}/items`, { body: { sku: 'drop table;', quantity: 1 } }, 400, 'validation_failed'],
    ['a body that is not an object', 'POST', () => `/carts/${cartId}/items`, { body: [1, 2] }, 400, 'validation_failed'],
    ['invalid JSON', 'POST', () => `/carts/${cartId}/items`, { rawBody: '{"sku":', headers: { 'content-type': 'application/json' } }, 400, 'invalid_json'],
    ['a body that is not JSON', 'POST', () => `/carts/${cartId}/items`, { rawBody: 'sku=CAP-1', headers: { 'content-type': 'text/plain' } }, 415, 'unsupported_media_type'],
    ['a body over 100 kB', 'POST', () => `/carts/${cartId}/items`, { rawBody: JSON.stringify({ sku: 'CAP-1', quantity: 1, x: 'a'.repeat(200_000) }), headers: { 'content-type': 'application/json' } }, 413, 'payload_too_large'],
    ['an unknown currency format', 'POST', () => '/carts', { body: { currency: 'usd' } }, 400, 'validation_failed'],
    ['an unknown field on a new cart', 'POST', () => '/carts', { body: { currency: 'USD', owner: 'x' } }, 400, 'validation_failed'],
    ['a malformed cart id', 'GET', () => '/carts/123', {}, 400, 'validation_failed'],
    ['a PATCH without a quantity', 'PATCH', () => `/carts/${cartId}/items/CAP-1`, { body: {} }, 400, 'validation_failed'],
    ['a page size above the limit', 'GET', () => '/products?limit=1000', {}, 400, 'validation_failed'],
    ['a negative offset', 'GET', () => '/products?offset=-1', {}, 400, 'validation_failed'],
    ['an unknown query parameter', 'GET', () => '/products?colour=red', {}, 400, 'validation_failed'],
    ['a sort the search does not have', 'GET', () => '/products?sort=price', {}, 400, 'validation_failed'],
    ['an unknown product', 'GET', () => '/products/no-such-thing', {}, 404, 'product_not_found'],
    ['an unknown route', 'GET', () => '/nowhere', {}, 404, 'not_found'],
    ['a method the route does not allow', 'PUT', () => '/products', {}, 405, 'method_not_allowed'],
  ];

  it.each(cases)('%s', async (_name, method, path, opts, status, code) => {
    const before = await rowCounts();
    const res = await api.request(method, path(), opts);
    expect(res.status).toBe(status);
    expectErrorShape(res.body, code);
    expect(await rowCounts()).toEqual(before);
  });

  it('names the offending field in the error details', async () => {
    const res = await api.request('POST', `/carts/${cartId}/items`, { body: { sku: 'CAP-1', quantity: 0 } });
    expect(res.body.error.details.issues[0]).toEqual(expect.objectContaining({ path: 'quantity' }));
    expect(res.body.error.message).toMatch(/quantity/);
  });

  it('returns the request id in a header and in the error, honouring one the caller sent', async () => {
    const res = await api.request('GET', '/nowhere', { headers: { 'X-Request-Id': 'trace-abc-12345' } });
    expect(res.headers.get('x-request-id')).toBe('trace-abc-12345');
    expect(res.body.error.requestId).toBe('trace-abc-12345');
    const fresh = await api.request('GET', '/healthz');
    expect(fresh.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
