/** Categories, collections and attributes through the staff routes, and the catalog rules the database itself enforces. */
import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { staffAs, startTestApi, type TestApi } from '../support/api';
import { seedDemoCatalogOnce } from '../../src/db/demo-catalog';

let db: TestDatabase;
let api: TestApi;
let pg: Client;
const staff = staffAs('catalog');

beforeAll(async () => {
  db = await createTestDatabase();
  await seedDemoCatalogOnce(db.orm.em.fork());
  api = await startTestApi(db.orm);
  pg = new Client({ connectionString: db.url });
  await pg.connect();
});
afterAll(async () => {
  await pg?.end();
  await api?.close();
  await db?.drop();
});

const send = (method: string, path: string, body?: unknown, etag?: string) =>
  api.request(method, path, { headers: { ...staff, ...(etag ? { 'If-Match': etag } : {}) }, body });

async function refusal(sql: string, args: unknown[] = []): Promise<{ code: string; constraint?: string }> {
  try {
    await pg.query('begin');
    await pg.query(sql, args);
    await pg.query('set constraints all immediate');
    throw new Error(`the database accepted: ${sql}`);
  } catch (err) {
    return err as { code: string; constraint?: string };
  } finally {
    await pg.query('rollback');
  }
}

describe('categories', () => {
  it('builds a tree and refuses to move a category under its own descendant', async () => {
    const a = await send('POST', '/admin/catalog/categories', { handle: 'home', name: 'Home' });
    expect(a.status).toBe(201);
    expect(a.headers.get('etag')).toBe('"1"');
    const b = await send('POST', '/admin/catalog/categories', { handle: 'kitchen', name: 'Kitchen', parentId: a.body.id });
    const c = await send('POST', '/admin/catalog/categories', { handle: 'knives', name: 'Knives', parentId: b.body.id });
    const cycle = await send('PATCH', `/admin/catalog/categories/${a.body.id}`, { parentId: c.body.id }, '"1"');
    expect(cycle.status).toBe(409);
    expect(cycle.body.error.code).toBe('category_cycle');
    expect((await send('GET', `/admin/catalog/categories/${a.body.id}`)).body.parentId).toBeNull();
    const children = await send('DELETE', `/admin/catalog/categories/${a.body.id}`, undefined, '"1"');
    expect(children.status).toBe(409);
    expect(children.body.error.code).toBe('in_use');
    const moved = await send('PATCH', `/admin/catalog/categories/${c.body.id}`, { parentId: null, name: 'Knives & Blocks' }, '"1"');
    expect(moved.body).toEqual(expect.objectContaining({ parentId: null, name: 'Knives & Blocks', version: 2 }));
    const trail = await send('GET', `/admin/catalog/categories/${c.body.id}/audit`);
    expect(trail.body.items[0].changes).toEqual(expect.objectContaining({ name: { from: 'Knives', to: 'Knives & Blocks' } }));
  });

  it('refuses two concurrent moves that would close a loop between them: one wins, the tree stays a tree', async () => {
    const x = (await send('POST', '/admin/catalog/categories', { handle: 'loop-x', name: 'X' })).body.id;
    const y = (await send('POST', '/admin/catalog/categories', { handle: 'loop-y', name: 'Y' })).body.id;
    const a = new Client({ connectionString: db.url });
    const b = new Client({ connectionString: db.url });
    await Promise.all([a.connect(), b.connect()]);
    try {
      await a.query('begin');
      await b.query('begin');
      await a.query('update categories set parent_id = $1 where id = $2', [y, x]);
      const second = b.query('update categories set parent_id = $1 where id = $2', [x, y]).then(() => 'moved', (err: { code: string }) => err.code);
      await a.query('commit');
      expect(await second).toBe('23514');
      await b.query('rollback');
    } finally {
      await Promise.all([a.end(), b.end()]);
    }
  });

  it('takes a deleted category off its products', async () => {
    const cat = await send('POST', '/admin/catalog/categories', { handle: 'sale', name: 'Sale' });
    const product = (await pg.query(`select id from products where handle = 'linen-shorts'`)).rows[0].id;
    const admin = await send('GET', `/admin/catalog/products/${product}`);
    await send('PATCH', `/admin/catalog/products/${product}`, { categoryIds: [...admin.body.categoryIds, cat.body.id] }, admin.headers.get('etag') as string);
    expect((await send('GET', `/admin/catalog/categories/${cat.body.id}`)).body.products).toBe(1);
    expect((await send('DELETE', `/admin/catalog/categories/${cat.body.id}`, undefined, '"1"')).status).toBe(204);
    expect((await send('GET', `/admin/catalog/products/${product}`)).body.categoryIds).toEqual(admin.body.categoryIds);
  });
});

describe('collections and attributes', () => {
  it('creates, renames and deletes a collection, with If-Match', async () => {
    const c = await send('POST', '/admin/catalog/collections', { handle: 'gifts', title: 'Gifts' });
    expect(c.status).toBe(201);
    expect((await send('PATCH', `/admin/catalog/collections/${c.body.id}`, { title: 'Gift Ideas' })).status).toBe(428);
    const renamed = await send('PATCH', `/admin/catalog/collections/${c.body.id}`, { title: 'Gift Ideas' }, '"1"');
    expect(renamed.body.title).toBe('Gift Ideas');
    expect((await send('DELETE', `/admin/catalog/collections/${c.body.id}`, undefined, '"1"')).status).toBe(412);
    expect((await send('DELETE', `/admin/catalog/collections/${c.body.id}`, undefined, '"2"')).status).toBe(204);
    expect((await send('GET', `/admin/catalog/collections/${c.body.id}`)).status).toBe(404);
  });

  it('manages an attribute\'s values; products refer to them by code', async () => {
    const fit = await send('POST', '/admin/catalog/attributes', { code: 'fit', name: 'Fit', values: ['Slim', 'Regular'] });
    expect(fit.body.values.map((v: { value: string }) => v.value)).toEqual(['Slim', 'Regular']);
    const added = await send('POST', `/admin/catalog/attributes/${fit.body.id}/values`, { value: 'Relaxed' }, '"1"');
    expect(added.body.values.map((v: { value: string }) => v.value)).toEqual(['Slim', 'Regular', 'Relaxed']);
    const duplicate = await send('POST', `/admin/catalog/attributes/${fit.body.id}/values`, { value: 'Slim' }, '"2"');
    expect(duplicate.status).toBe(409);
    const product = (await pg.query(`select id from products where handle = 'linen-t-shirt'`)).rows[0].id;
    const admin = await send('GET', `/admin/catalog/products/${product}`);
    const tagged = await send('PATCH', `/admin/catalog/products/${product}`, { attributes: { ...admin.body.attributes, fit: ['Relaxed'] } },
      admin.headers.get('etag') as string);
    expect(tagged.body.attributes.fit).toEqual(['Relaxed']);
    const relaxed = added.body.values[2].id;
    const removed = await send('DELETE', `/admin/catalog/attributes/${fit.body.id}/values/${relaxed}`, undefined, '"2"');
    expect(removed.status).toBe(200);
    expect((await api.request('GET', '/products/linen-t-shirt')).body.attributes.fit).toBeUndefined();
    const unknown = await send('PATCH', `/admin/catalog/products/${product}`, { attributes: { colourway: ['Sunset'] } }, tagged.headers.get('etag') as string);
    expect(unknown.body.error.code).toBe('attribute_not_found');
  });
});

describe('the database enforces the catalog rules whoever writes', () => {
  const variantOf = async (sku: string) => (await pg.query('select id, product_id from variants where sku = $1', [sku])).rows[0];

  it('one price per variant and currency, never negative', async () => {
    const v = await variantOf('MERHOO-BLK-M');
    expect((await refusal(`insert into variant_prices (variant_id, currency, amount) values ($1, 'USD', 1)`, [v.id])).code).toBe('23505');
    expect((await refusal(`update variant_prices set amount = -1 where variant_id = $1`, [v.id])).code).toBe('23514');
  });

  it('a variant picks one value of each option, and no two variants of a product the same ones', async () => {
    const v = await variantOf('MERHOO-BLK-M');
    const twin = await refusal(`insert into variant_option_values (variant_id, product_id, option_id, value_id)
      select v.id, v.product_id, x.option_id, x.value_id from variants v, variant_option_values x
       where v.sku = 'MERHOO-BLK-L' and x.variant_id = $1
      on conflict (variant_id, option_id) do update set value_id = excluded.value_id`, [v.id]);
    expect(twin).toEqual(expect.objectContaining({ code: '23505', constraint: 'variants_one_per_combination' }));
    const half = await refusal(`delete from variant_option_values x using product_options o
      where x.variant_id = $1 and o.id = x.option_id and o.name = 'Size'`, [v.id]);
    expect(half).toEqual(expect.objectContaining({ code: '23503', constraint: 'variants_one_value_per_option' }));
    const foreign = await refusal(`update variant_option_values set value_id = (
        select ov.id from product_option_values ov join products p on p.id = ov.product_id where p.handle = 'linen-t-shirt' and ov.value = 'Navy')
      where variant_id = $1 and option_id = (select id from product_options where product_id = $2 and name = 'Colour')`, [v.id, v.product_id]);
    expect(foreign.code).toBe('23503');
  });

  it('a choice names a value of its own product, and a removed option takes its choices with it', async () => {
    const v = await variantOf('MERHOO-BLK-M');
    // The value's key covers its product: a choice cannot claim the hoodie's value for another product's variant.
    const other = await refusal(`update variant_option_values x set product_id = (select id from products where handle = 'linen-t-shirt')
      where x.variant_id = $1`, [v.id]);
    expect(other.code).toBe('23503');
    await pg.query('begin');
    try {
      const size = (await pg.query(`select id from product_options where product_id = $1 and name = 'Size'`, [v.product_id])).rows[0].id;
      const picked = async () => Number((await pg.query(`select count(*) as n from variant_option_values x join product_option_values ov on ov.id = x.value_id
        where ov.option_id = $1`, [size])).rows[0].n);
      expect(await picked()).toBeGreaterThan(0);
      await pg.query('delete from product_options where id = $1', [size]);
      expect(await picked()).toBe(0);
      const [left] = (await pg.query(`select o.option_count as product, v.option_count as variant from variants v join products o on o.id = v.product_id
        where v.id = $1`, [v.id])).rows;
      expect(left).toEqual({ product: 1, variant: 1 });
    } finally {
      await pg.query('rollback');
    }
  });

  it('a variant belongs to a product that exists; a deleted product takes its variants and their rows with it', async () => {
    const missing = await refusal(`insert into variants (product_id, sku, title) values (gen_random_uuid(), 'NO-PRODUCT-1', 'Orphan')`);
    expect(missing).toEqual(expect.objectContaining({ code: '23503', constraint: 'variants_one_value_per_option' }));
    const v = await variantOf('MERHOO-BLK-M');
    await pg.query('begin');
    try {
      await pg.query('delete from cart_lines where sku in (select sku from variants where product_id = $1)', [v.product_id]);
      await pg.query('delete from products where id = $1', [v.product_id]);
      const left = (await pg.query(`select (select count(*) from variants where product_id = $1) as variants,
        (select count(*) from variant_option_values where product_id = $1) as choices, (select count(*) from variant_prices where variant_id = $2) as prices,
        (select count(*) from inventory where sku = 'MERHOO-BLK-M') as stock`, [v.product_id, v.id])).rows[0];
      expect(left).toEqual({ variants: '0', choices: '0', prices: '0', stock: '0' });
      await pg.query('set constraints all immediate');
    } finally {
      await pg.query('rollback');
    }
  });

  it('unique handles and SKUs', async () => {
    expect((await refusal(`insert into products (handle, title) values ('merino-wool-hoodie', 'Again')`)).code).toBe('23505');
    expect((await refusal(`update variants set sku = 'MERHOO-BLK-L' where sku = 'MERHOO-BLK-M'`)).code).toBe('23505');
  });
});
