/** Staff manage the catalog: products created whole or not at all, optimistic concurrency, audit, and what storefronts and carts then see. */
import { createTestDatabase, type TestDatabase } from '../support/db';
import { staffAs, startTestApi, STAFF, type ApiResponse, type TestApi } from '../support/api';
import { insertDemoTaxonomy } from '../../src/db/demo-catalog';

let db: TestDatabase;
let api: TestApi;
const staff = staffAs('catalog');

beforeAll(async () => {
  db = await createTestDatabase();
  await insertDemoTaxonomy(db.orm.em.fork());
  api = await startTestApi(db.orm);
});
afterAll(async () => {
  await api?.close();
  await db?.drop();
});

async function scalar(sql: string, args: unknown[] = []): Promise<number> {
  const [row] = await db.orm.em.fork().getConnection().execute(sql, args);
  return Number(Object.values(row)[0]);
}

const idOf = async (table: 'categories' | 'collections', handle: string): Promise<string> => {
  const [row] = await db.orm.em.fork().getConnection().execute(`select id from ${table} where handle = ?`, [handle]);
  return row.id;
};

let counter = 0;
function teeBody(overrides: Record<string, unknown> = {}) {
  counter += 1;
  const code = `TST${counter}`;
  return {
    title: `Trail Tee ${counter}`, description: 'A merino tee for long walks.', status: 'published',
    options: [{ name: 'Colour', values: ['Black', 'Navy'] }],
    variants: [
      { sku: `${code}-BLK`, options: { Colour: 'Black' }, prices: { USD: 3500, EUR: 3200 }, weightGrams: 180, onHand: 5 },
      { sku: `${code}-NAV`, options: { Colour: 'Navy' }, prices: { USD: 3500 }, weightGrams: 185, onHand: 3 },
    ],
    attributes: { brand: ['Northwind'], material: ['Merino Wool'] },
    images: [{ url: 'https://images.example.com/trail-tee.jpg', alt: 'The tee, folded' }],
    ...overrides,
  };
}

async function create(overrides: Record<string, unknown> = {}): Promise<ApiResponse> {
  const res = await api.request('POST', '/admin/catalog/products', { headers: staff, body: teeBody(overrides) });
  return res;
}

const write = (method: string, path: string, etag: string | null, body?: unknown) =>
  api.request(method, path, { headers: { ...staff, ...(etag === null ? {} : { 'If-Match': etag }) }, body });

describe('creating a product', () => {
  it('creates a product with two variants, prices in two currencies, stock, taxonomy and an image, and shows it to storefronts', async () => {
    const tops = await idOf('categories', 'tops');
    const winter = await idOf('collections', 'winter-warmers');
    const res = await create({ categoryIds: [tops], collectionIds: [winter] });
    expect(res.status).toBe(201);
    expect(res.headers.get('etag')).toBe('"1"');
    expect(res.headers.get('location')).toBe(`/admin/catalog/products/${res.body.id}`);
    expect(res.body).toEqual(expect.objectContaining({ handle: `trail-tee-${counter}`, status: 'published', version: 1, categoryIds: [tops], collectionIds: [winter],
      attributes: { brand: ['Northwind'], material: ['Merino Wool'] } }));
    expect(res.body.variants.map((v: { sku: string; title: string; options: unknown; prices: unknown; onHand: number }) =>
      [v.sku, v.title, v.options, v.prices, v.onHand])).toEqual([
      [`TST${counter}-BLK`, 'Black', { Colour: 'Black' }, { EUR: 3200, USD: 3500 }, 5],
      [`TST${counter}-NAV`, 'Navy', { Colour: 'Navy' }, { USD: 3500 }, 3],
    ]);

    const page = await api.request('GET', `/products/${res.body.handle}?currency=EUR`);
    expect(page.status).toBe(200);
    expect(page.body.options).toEqual([{ name: 'Colour', values: ['Black', 'Navy'] }]);
    expect(page.body.variants[0]).toEqual(expect.objectContaining({ sku: `TST${counter}-BLK`, options: { Colour: 'Black' }, weightGrams: 180, available: 5,
      price: { amount: 3200, currency: 'EUR', formatted: '€32.00' },
      prices: [{ amount: 3200, currency: 'EUR', formatted: '€32.00' }, { amount: 3500, currency: 'USD', formatted: '$35.00' }] }));
    expect(page.body.variants[1].price).toBeNull();
    expect(page.body.categories).toEqual([{ id: tops, handle: 'tops', name: 'Tops' }]);
    expect(page.body.images).toEqual([{ url: 'https://images.example.com/trail-tee.jpg', alt: 'The tee, folded' }]);
    const search = await api.request('GET', `/products?q=${encodeURIComponent(`trail tee ${counter}`)}`);
    expect(search.body.items.map((p: { handle: string }) => p.handle)).toContain(res.body.handle);
  });

  it('writes nothing at all when one variant repeats another\'s option values (the database refuses the combination)', async () => {
    const before = await scalar('select count(*) from products');
    const res = await create({ variants: [
      { sku: 'DUP-A', options: { Colour: 'Black' }, prices: { USD: 100 } },
      { sku: 'DUP-B', options: { Colour: 'Black' }, prices: { USD: 100 } },
    ] });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('duplicate_variant');
    expect(await scalar('select count(*) from products')).toBe(before);
    expect(await scalar(`select count(*) from variants where sku like 'DUP-%'`)).toBe(0);
  });

  it('refuses a variant that does not pick a value of every option, a SKU already taken and a handle already taken, with nothing written', async () => {
    const before = await scalar('select count(*) from products');
    const missing = await create({ options: [{ name: 'Colour', values: ['Black'] }, { name: 'Size', values: ['M'] }],
      variants: [{ sku: 'HALF-1', options: { Colour: 'Black' }, prices: { USD: 100 } }] });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toEqual(expect.objectContaining({ code: 'validation_failed', details: expect.objectContaining({ missing: ['Size'] }) }));
    const first = await create();
    const sku = await create({ variants: [{ sku: first.body.variants[0].sku, options: { Colour: 'Black' }, prices: { USD: 1 } }] });
    expect(sku.status).toBe(409);
    expect(sku.body.error.code).toBe('sku_taken');
    const handle = await create({ handle: first.body.handle });
    expect(handle.status).toBe(409);
    expect(handle.body.error.code).toBe('handle_taken');
    expect(await scalar('select count(*) from products')).toBe(before + 1);
  });

  it('refuses bad input with the one error shape: a negative price, an unknown field, a non-integer amount, no staff key, a key without the catalog role', async () => {
    const negative = await create({ variants: [{ sku: 'NEG-1', options: { Colour: 'Black' }, prices: { USD: -1 } }] });
    expect(negative.status).toBe(400);
    expect(negative.body.error.code).toBe('validation_failed');
    expect((await create({ colour: 'red' })).status).toBe(400);
    expect((await create({ variants: [{ sku: 'FLT-1', options: { Colour: 'Black' }, prices: { USD: 12.5 } }] })).status).toBe(400);
    const anonymous = await api.request('POST', '/admin/catalog/products', { body: teeBody() });
    expect(anonymous.status).toBe(401);
    const support = await api.request('POST', '/admin/catalog/products', { headers: staffAs('support'), body: teeBody() });
    expect(support.status).toBe(403);
    expect(await scalar(`select count(*) from variants where sku in ('NEG-1', 'FLT-1')`)).toBe(0);
  });

  it('keeps a draft off the storefront and out of carts until it is published', async () => {
    const draft = await create({ status: 'draft' });
    expect((await api.request('GET', `/products/${draft.body.handle}`)).status).toBe(404);
    expect((await api.request('GET', `/products/${draft.body.id}`)).status).toBe(404);
    const cart = await api.request('POST', '/carts', { body: {} });
    const add = await api.request('POST', `/carts/${cart.body.id}/items`, { body: { sku: draft.body.variants[0].sku, quantity: 1 } });
    expect(add.body.error.code).toBe('unknown_sku');
    const published = await write('PATCH', `/admin/catalog/products/${draft.body.id}`, '"1"', { status: 'published' });
    expect(published.status).toBe(200);
    expect(published.headers.get('etag')).toBe('"2"');
    expect((await api.request('GET', `/products/${draft.body.handle}`)).status).toBe(200);
  });

  it('refuses to publish a product without variants', async () => {
    const res = await create({ variants: [], options: [] });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('product_not_publishable');
  });
});

describe('optimistic concurrency', () => {
  it('answers 428 to a write without If-Match and 412 to a stale one, changing nothing', async () => {
    const p = await create();
    const none = await write('PATCH', `/admin/catalog/products/${p.body.id}`, null, { title: 'Changed' });
    expect(none.status).toBe(428);
    expect(none.body.error.code).toBe('if_match_required');
    await write('PATCH', `/admin/catalog/products/${p.body.id}`, '"1"', { description: 'Now version 2' });
    const stale = await write('PATCH', `/admin/catalog/products/${p.body.id}`, '"1"', { title: 'Changed' });
    expect(stale.status).toBe(412);
    expect(stale.body.error).toEqual(expect.objectContaining({ code: 'version_mismatch', details: expect.objectContaining({ current: 2, etag: '"2"' }) }));
    const now = await api.request('GET', `/admin/catalog/products/${p.body.id}`, { headers: staff });
    expect(now.body.title).toBe(p.body.title);
    expect(now.headers.get('etag')).toBe('"2"');
  });

  it('lets exactly one of two concurrent writers of the same version win; the other is told, and nothing is lost', async () => {
    const p = await create();
    const path = `/admin/catalog/products/${p.body.id}/variants/${p.body.variants[0].sku}`;
    const [a, b] = await Promise.all([
      write('PATCH', path, '"1"', { prices: { USD: 4000 } }),
      write('PATCH', path, '"1"', { prices: { EUR: 3700 } }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 412]);
    const winner = a.status === 200 ? a : b;
    const loser = a.status === 200 ? b : a;
    // The loser reads again and reapplies its change on top of the winner's: both survive.
    const retry = await write('PATCH', path, winner.headers.get('etag'), loser === a ? { prices: { USD: 4000 } } : { prices: { EUR: 3700 } });
    expect(retry.status).toBe(200);
    expect(retry.body.variants[0].prices).toEqual({ USD: 4000, EUR: 3700 });
    expect(retry.headers.get('etag')).toBe('"3"');
  });
});

describe('variants, prices and stock', () => {
  it('adds, changes and removes variants and their prices, and a cart in EUR uses EUR prices or refuses the variant', async () => {
    const p = await create();
    const base = `/admin/catalog/products/${p.body.id}`;
    const added = await write('POST', `${base}/variants`, '"1"', { sku: `${p.body.variants[0].sku}-X`, options: { Colour: 'Green' }, prices: { EUR: 2900 }, onHand: 4 });
    expect(added.status).toBe(201);
    expect(added.body.options[0].values.map((v: { value: string }) => v.value)).toEqual(['Black', 'Navy', 'Green']);
    const green = added.body.variants[2].sku;
    const eur = (await api.request('POST', '/carts', { body: { currency: 'EUR' } })).body.id;
    const line = await api.request('POST', `/carts/${eur}/items`, { body: { sku: green, quantity: 1 } });
    expect(line.body.lines[0].unitPrice).toEqual({ amount: 2900, currency: 'EUR', formatted: '€29.00' });
    const navy = p.body.variants[1].sku;
    const refused = await api.request('POST', `/carts/${eur}/items`, { body: { sku: navy, quantity: 1 } });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('no_price_in_currency');

    const repriced = await write('PATCH', `${base}/variants/${green}`, '"2"', { prices: { EUR: null, USD: 3100 }, title: 'Green' });
    expect(repriced.body.variants[2]).toEqual(expect.objectContaining({ prices: { USD: 3100 }, title: 'Green' }));
    const cart = await api.request('GET', `/carts/${eur}`);
    expect(cart.body.lines[0]).toEqual(expect.objectContaining({ sku: green, forSale: false, unitPrice: null }));
    expect(cart.body.subtotal.amount).toBe(0);

    const removed = await write('DELETE', `${base}/variants/${green}`, '"3"');
    expect(removed.status).toBe(200);
    expect(removed.body.variants.map((v: { sku: string }) => v.sku)).not.toContain(green);
    expect(await scalar('select count(*) from inventory where sku = ?', [green])).toBe(0);
    expect((await api.request('GET', `/carts/${eur}`)).body.lines).toEqual([]);
  });

  it('sets stock per variant, never below what orders reserved, and refuses to remove a variant live orders hold', async () => {
    const p = await create();
    const sku = p.body.variants[0].sku;
    const base = `/admin/catalog/products/${p.body.id}/variants/${sku}`;
    const set = await write('PUT', `${base}/stock`, '"1"', { onHand: 40 });
    expect(set.body.variants[0].onHand).toBe(40);
    const [{ id: orderId }] = await db.orm.em.fork().getConnection().execute(
      `insert into orders (idempotency_key, request_hash, status, email, shipping_address, currency, subtotal_amount, total_amount)
       values (?, 'h', 'pending', 'a@example.com', '{}', 'USD', 0, 0) returning id`, [`stock-${sku}`]);
    await db.orm.em.fork().getConnection().execute(`insert into reservations (order_id, sku, quantity) values (?, ?, 7)`, [orderId, sku]);
    await db.orm.em.fork().getConnection().execute('update inventory set reserved = 7 where sku = ?', [sku]);
    const below = await write('PUT', `${base}/stock`, '"2"', { onHand: 6 });
    expect(below.status).toBe(409);
    expect(below.body.error.code).toBe('inventory_conflict');
    const remove = await write('DELETE', base, '"2"');
    expect(remove.status).toBe(409);
    expect(remove.body.error).toEqual(expect.objectContaining({ code: 'in_use', details: { sku, reserved: 7 } }));
    expect(await scalar('select on_hand from inventory where sku = ?', [sku])).toBe(40);
  });

  it('records who changed what and when', async () => {
    const p = await create();
    await write('PATCH', `/admin/catalog/products/${p.body.id}/variants/${p.body.variants[0].sku}`, '"1"', { prices: { USD: 3900 } });
    const trail = await api.request('GET', `/admin/catalog/products/${p.body.id}/audit`, { headers: staff });
    expect(trail.body.items.map((e: { action: string }) => e.action)).toEqual(['variant.updated', 'product.created']);
    const [change] = trail.body.items;
    expect(change).toEqual(expect.objectContaining({ actor: STAFF.catalog.name, version: 2, productId: p.body.id }));
    expect(change.staffId).toEqual(expect.any(String));
    expect(change.changes[`variant:${p.body.variants[0].sku}`].from.prices).toEqual({ USD: 3500, EUR: 3200 });
    expect(change.changes[`variant:${p.body.variants[0].sku}`].to.prices).toEqual({ USD: 3900, EUR: 3200 });
  });

  it('archives a product: off the storefront, and a cart holding it cannot check out', async () => {
    const p = await create();
    const cart = (await api.request('POST', '/carts', { body: {} })).body.id;
    await api.request('POST', `/carts/${cart}/items`, { body: { sku: p.body.variants[0].sku, quantity: 1 } });
    const archived = await write('POST', `/admin/catalog/products/${p.body.id}/archive`, '"1"');
    expect(archived.body.status).toBe('archived');
    expect((await api.request('GET', `/products/${p.body.handle}`)).status).toBe(404);
    expect((await api.request('GET', `/carts/${cart}`)).body.lines[0].forSale).toBe(false);
    const checkout = await api.request('POST', `/carts/${cart}/checkout`, { headers: { 'Idempotency-Key': `archived-${cart}` }, body: {
      email: 'ada@example.com', paymentMethod: 'pm_card_visa',
      shippingAddress: { name: 'Ada', line1: '1 Road', city: 'London', postalCode: 'N1 1AA', country: 'GB' } } });
    expect(checkout.status).toBe(422);
    expect(checkout.body.error.code).toBe('product_unavailable');
    expect(await scalar('select count(*) from orders where cart_id = ?', [cart])).toBe(0);
  });
});

describe('the OpenAPI document', () => {
  it('describes every catalog staff route with its schemas, its roles, If-Match and ETag', async () => {
    const doc = (await api.request('GET', '/openapi.json')).body;
    const adminPaths = Object.keys(doc.paths).filter((p) => p.startsWith('/admin/catalog'));
    expect(adminPaths).toEqual(expect.arrayContaining(['/admin/catalog/products', '/admin/catalog/products/{id}', '/admin/catalog/products/{id}/variants/{sku}',
      '/admin/catalog/products/{id}/variants/{sku}/stock', '/admin/catalog/images', '/admin/catalog/categories/{id}', '/admin/catalog/attributes/{id}/values/{valueId}']));
    for (const path of adminPaths) {
      for (const [method, op] of Object.entries(doc.paths[path]) as [string, Record<string, any>][]) { // eslint-disable-line @typescript-eslint/no-explicit-any
        expect({ path, method, roles: op['x-staff-roles'] }).toEqual({ path, method, roles: ['catalog', 'admin'] });
        if (['patch', 'delete', 'put'].includes(method)) expect(op.parameters.some((p: { name: string; required: boolean }) => p.name === 'If-Match' && p.required)).toBe(true);
      }
    }
    const create = doc.paths['/admin/catalog/products'].post;
    expect(create.requestBody.content['application/json'].schema.$ref).toBe('#/components/schemas/ProductInput');
    expect(create.responses['201'].headers.ETag).toBeDefined();
    expect(doc.paths['/admin/catalog/images'].post.requestBody.content['multipart/form-data'].schema.properties.file.format).toBe('binary');
    expect(doc.components.schemas.ProductDetail.properties.variants).toBeDefined();
  });
});
