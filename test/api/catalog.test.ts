import { createTestDatabase, type TestDatabase } from '../support/db';
import { startTestApi, type TestApi } from '../support/api';
import { seedDemoCatalogOnce } from '../../src/db/demo-catalog';

let db: TestDatabase;
let api: TestApi;

beforeAll(async () => {
  db = await createTestDatabase();
  await seedDemoCatalogOnce(db.orm.em.fork());
  api = await startTestApi(db.orm);
});
afterAll(async () => {
  await api?.close();
  await db?.drop();
});

describe('catalog', () => {
  it('lists products a page at a time with prices and stock flags', async () => {
    const first = await api.request('GET', '/products?limit=10');
    expect(first.status).toBe(200);
    expect(first.body.total).toBe(64);
    expect(first.body.items).toHaveLength(10);
    expect(first.body.nextOffset).toBe(10);
    const variant = first.body.items[0].variants[0];
    expect(variant).toEqual(expect.objectContaining({ sku: expect.any(String), inStock: expect.any(Boolean) }));
    expect(Number.isInteger(variant.price.amount)).toBe(true);
    const last = await api.request('GET', '/products?limit=10&offset=60');
    expect(last.body.items).toHaveLength(4);
    expect(last.body.nextOffset).toBeNull();
  });

  it('finds products by words in their title or description, best match first', async () => {
    const res = await api.request('GET', '/products?q=merino%20hoodie');
    expect(res.status).toBe(200);
    expect(res.body.items[0].slug).toBe('merino-wool-hoodie');
    expect(res.body.items.every((p: { title: string; description: string }) => /merino/i.test(p.title + p.description))).toBe(true);
  });
});
