/**
 * Bulk catalog imports through the API and the import workflow on the harness's dev server: a
 * Shopify-style CSV and JSON lines become products; a bad row rejects the whole file, or with
 * mode=partial only its product; a retried POST starts nothing; a second import updates in place.
 */
import { Client, Connection } from '@temporalio/client';
import { createTestDatabase, required, type TestDatabase } from '../support/db';
import { staffAs, startCheckoutWorker, startTestApi, type ApiResponse, type TestApi, type TestWorker } from '../support/api';
import { until } from '../support/processes';
import { testDataConverter } from '../support/temporal';
import { RECORDING, saveHistory } from '../replay/record';
import { csvLine } from '../../src/domain/csv';
import { workflowIds } from '../../src/contracts/temporal';

let db: TestDatabase;
let worker: TestWorker;
let api: TestApi;
let connection: Connection;
let client: Client;
const staff = staffAs('catalog');

beforeAll(async () => {
  db = await createTestDatabase();
  worker = await startCheckoutWorker(db);
  api = await startTestApi(db.orm, { taskQueue: worker.taskQueue });
  connection = await Connection.connect({ address: required('TEST_TEMPORAL_ADDRESS') });
  client = new Client({ connection, dataConverter: testDataConverter() });
});
afterAll(async () => {
  await api?.close();
  await worker?.stop();
  await connection?.close();
  await db?.drop();
});

async function rows<T = Record<string, unknown>>(sql: string, args: unknown[] = []): Promise<T[]> {
  return db.orm.em.fork().getConnection().execute(sql, args) as Promise<T[]>;
}

const HEADER = ['Handle', 'Title', 'Body (HTML)', 'Vendor', 'Type', 'Tags', 'Published', 'Option1 Name', 'Option1 Value', 'Option2 Name', 'Option2 Value',
  'Variant SKU', 'Variant Grams', 'Variant Inventory Qty', 'Variant Price', 'Variant Price EUR', 'Image Src', 'Image Alt Text', 'Product Category',
  'Collections', 'SEO Title'];

/** A product as Shopify exports it: product fields on the first row, one row per variant, an extra row for a second image. */
function shopifyRows(handle: string, sku: string, opts: { price?: string; qty?: string; title?: string } = {}): string[][] {
  const title = opts.title ?? 'Alpine Merino Hoodie';
  return [
    [handle, title, '<p>Warm, soft, and\nmade to last.</p>', 'Northwind', 'Hoodie', 'merino, winter', 'TRUE', 'Colour', 'Black', 'Size', 'M',
      `${sku}-BLK-M`, '550', opts.qty ?? '12', opts.price ?? '89.00', '82.50', 'https://images.example.com/hoodie-black.jpg', 'Black hoodie',
      'Clothing > Tops > Hoodies', 'Winter Warmers, New Arrivals', 'ignored'],
    [handle, '', '', '', '', '', '', '', 'Black', '', 'L', `${sku}-BLK-L`, '600', '4', opts.price ?? '89.00', '82.50', '', '', '', '', ''],
    [handle, '', '', '', '', '', '', '', 'Navy', '', 'M', `${sku}-NAV-M`, '550', '0', opts.price ?? '89.00', '', 'https://images.example.com/hoodie-navy.jpg',
      '', '', '', ''],
    [handle, '', '', '', '', '', '', '', '', '', '', '', '', '', '', '', 'https://images.example.com/hoodie-back.jpg', 'From the back', '', '', ''],
  ];
}

const csv = (...products: string[][][]) => [HEADER, ...products.flat()].map(csvLine).join('');

let keys = 0;
async function post(body: string, opts: { key?: string; query?: string; contentType?: string; headers?: Record<string, string> } = {}): Promise<ApiResponse> {
  return api.request('POST', `/admin/catalog/imports${opts.query ?? ''}`, {
    rawBody: body, headers: { ...staff, 'content-type': opts.contentType ?? 'text/csv', 'Idempotency-Key': opts.key ?? `import-test-${++keys}`, ...opts.headers },
  });
}

/** Waits for the import's end; its workflow's history is saved for the replay test when recording. */
async function finished(id: string): Promise<ApiResponse> {
  let res: ApiResponse | undefined;
  await until(async () => {
    res = await api.request('GET', `/admin/catalog/imports/${id}`, { headers: staff });
    return ['completed', 'rejected', 'failed'].includes(res.body.status);
  }, `import ${id} to end`, 60_000);
  const handle = client.workflow.getHandle(workflowIds.catalogImport(id));
  await handle.result().catch(() => undefined);
  if (RECORDING) saveHistory('catalog-import', await handle.fetchHistory());
  return res as ApiResponse;
}

describe('importing a Shopify-style CSV', () => {
  it('creates products with options, variants, prices in two currencies, stock, weights, URL images, a category path, collections and attributes', async () => {
    const res = await post(csv(shopifyRows('alpine-merino-hoodie', 'AMH'), shopifyRows('alpine-merino-jacket', 'AMJ', { title: 'Alpine Merino Jacket' })));
    expect(res.status).toBe(202);
    expect(res.headers.get('location')).toBe(`/admin/catalog/imports/${res.body.id}`);
    expect(res.body).toMatchObject({ status: 'uploaded', format: 'csv', mode: 'all', currency: 'USD', rows: { total: 8 }, products: { total: 2 },
      ignoredColumns: ['SEO Title'], workflowId: `catalog-import-${res.body.id}` });

    const done = await finished(res.body.id);
    expect(done.body).toMatchObject({ status: 'completed', rows: { total: 8, checked: 8, done: 8, failed: 0 }, products: { created: 2, updated: 0 },
      variantsWritten: 6, errorCount: 0, progress: 1, errors: [] });
    const [product] = await rows<{ id: string; status: string; description: string }>(`select id, status, description from products where handle = 'alpine-merino-hoodie'`);
    expect(product.status).toBe('published');
    expect(product.description).toBe('<p>Warm, soft, and\nmade to last.</p>');
    const admin = await api.request('GET', `/admin/catalog/products/${product.id}`, { headers: staff });
    expect(admin.body.options.map((o: { name: string; values: { value: string }[] }) => [o.name, o.values.map((v) => v.value)]))
      .toEqual([['Colour', ['Black', 'Navy']], ['Size', ['M', 'L']]]);
    expect(admin.body.variants.map((v: Record<string, unknown>) => [v.sku, v.options, v.prices, v.weightGrams, v.onHand])).toEqual([
      ['AMH-BLK-M', { Colour: 'Black', Size: 'M' }, { EUR: 8250, USD: 8900 }, 550, 12],
      ['AMH-BLK-L', { Colour: 'Black', Size: 'L' }, { EUR: 8250, USD: 8900 }, 600, 4],
      ['AMH-NAV-M', { Colour: 'Navy', Size: 'M' }, { USD: 8900 }, 550, 0],
    ]);
    expect(admin.body.images.map((i: Record<string, unknown>) => [i.url, i.alt, i.key])).toEqual([
      ['https://images.example.com/hoodie-black.jpg', 'Black hoodie', null], ['https://images.example.com/hoodie-navy.jpg', '', null],
      ['https://images.example.com/hoodie-back.jpg', 'From the back', null]]);
    expect(admin.body.attributes).toEqual({ brand: ['Northwind'], product_type: ['Hoodie'], tags: ['merino', 'winter'] });
    const tree = await rows<{ handle: string; parent: string | null }>(
      `select c.handle, p.handle as parent from categories c left join categories p on p.id = c.parent_id where c.handle in ('clothing', 'tops', 'hoodies') order by c.handle`);
    expect(tree).toEqual([{ handle: 'clothing', parent: null }, { handle: 'hoodies', parent: 'tops' }, { handle: 'tops', parent: 'clothing' }]);
    const filed = await rows(`select c.handle from product_categories pc join categories c on c.id = pc.category_id where pc.product_id = ?`, [product.id]);
    expect(filed).toEqual([{ handle: 'hoodies' }]);
    const collections = await rows(`select c.handle from product_collections pc join collections c on c.id = pc.collection_id where pc.product_id = ? order by 1`, [product.id]);
    expect(collections).toEqual([{ handle: 'new-arrivals' }, { handle: 'winter-warmers' }]);
    const audit = await api.request('GET', `/admin/catalog/products/${product.id}/audit`, { headers: staff });
    expect(audit.body.items[0]).toMatchObject({ action: 'product.imported', actor: 'cat', changes: { import: res.body.id, row: 2, created: true } });

    const storefront = await api.request('GET', '/products/alpine-merino-hoodie?currency=EUR');
    expect(storefront.status).toBe(200);
    const meta = await client.workflow.getHandle(workflowIds.catalogImport(res.body.id)).query<{ currentDetails: string }>('__temporal_workflow_metadata');
    expect(meta.currentDetails).toBe('Done: 2 product(s) created, 0 updated, 0 row(s) left out');
  }, 90_000);

  it('answers a retried POST with the same import and starts nothing; the same key with another file is refused', async () => {
    const file = csv(shopifyRows('retried-hoodie', 'RTH'));
    const first = await post(file, { key: 'retry-key-0001' });
    const again = await post(file, { key: 'retry-key-0001' });
    expect(again.status).toBe(202);
    expect(again.body.id).toBe(first.body.id);
    await finished(first.body.id);
    const third = await post(file, { key: 'retry-key-0001' });
    expect(third.body).toMatchObject({ id: first.body.id, status: 'completed' });
    const runs = [];
    for await (const w of client.workflow.list({ query: `WorkflowId = '${workflowIds.catalogImport(first.body.id)}'` })) runs.push(w);
    expect(runs).toHaveLength(1);
    const other = await post(csv(shopifyRows('retried-hoodie', 'RTH', { price: '99.00' })), { key: 'retry-key-0001' });
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('idempotency_key_reused');
    expect((await rows(`select count(*)::int as n from products where handle = 'retried-hoodie'`))[0]).toEqual({ n: 1 });
  }, 90_000);

  it('updates products in place when imported again: same ids, new values, stock set, nothing duplicated', async () => {
    const first = await finished((await post(csv(shopifyRows('updated-hoodie', 'UPH')))).body.id);
    expect(first.body.status).toBe('completed');
    const [before] = await rows<{ id: string; version: number }>(`select id, version from products where handle = 'updated-hoodie'`);
    const second = await finished((await post(csv(shopifyRows('updated-hoodie', 'UPH', { price: '95.00', qty: '30', title: 'Updated Hoodie' })))).body.id);
    expect(second.body).toMatchObject({ status: 'completed', products: { created: 0, updated: 1 }, variantsWritten: 3 });
    const [after] = await rows<{ id: string; version: number; title: string }>(`select id, version, title from products where handle = 'updated-hoodie'`);
    expect(after).toEqual({ id: before.id, version: before.version + 1, title: 'Updated Hoodie' });
    expect(await rows(`select v.sku, p.amount::int as usd, i.on_hand from variants v join variant_prices p on p.variant_id = v.id and p.currency = 'USD'
      join inventory i on i.sku = v.sku where v.product_id = ? order by v.position`, [before.id]))
      .toEqual([{ sku: 'UPH-BLK-M', usd: 9500, on_hand: 30 }, { sku: 'UPH-BLK-L', usd: 9500, on_hand: 4 }, { sku: 'UPH-NAV-M', usd: 9500, on_hand: 0 }]);
    expect((await rows(`select count(*)::int as n from product_images where product_id = ?`, [before.id]))[0]).toEqual({ n: 3 });
  }, 90_000);
});

describe('bad rows', () => {
  const badFile = () => csv(shopifyRows('good-hoodie', 'GDH'),
    shopifyRows('bad-hoodie', 'BDH', { price: '12,50', qty: '-3' }),
    [['Bad Handle!', 'A title', '', '', '', '', 'TRUE', '', '', '', '', 'lower-sku', '', '', '10', '', '', '', '', '', '']]);

  it('rejects the whole file, naming every bad row and column, and writes nothing (mode all)', async () => {
    const products = (await rows<{ n: number }>('select count(*)::int as n from products'))[0].n;
    const res = await finished((await post(badFile())).body.id);
    expect(res.body).toMatchObject({ status: 'rejected', rows: { total: 9, done: 0 }, products: { created: 0 } });
    expect(res.body.errors.map((e: Record<string, unknown>) => [e.row, e.column, e.code])).toEqual([
      [6, 'Variant Price', 'validation_failed'], [6, 'Variant Inventory Qty', 'validation_failed'], [7, 'Variant Price', 'validation_failed'],
      [8, 'Variant Price', 'validation_failed'], [10, 'Handle', 'validation_failed'], [10, 'Variant SKU', 'validation_failed'],
    ]);
    expect(res.body.errors[1].message).toMatch(/never negative/);
    expect((await rows<{ n: number }>('select count(*)::int as n from products'))[0].n).toBe(products);
    const meta = await client.workflow.getHandle(workflowIds.catalogImport(res.body.id)).query<{ currentDetails: string }>('__temporal_workflow_metadata');
    expect(meta.currentDetails).toMatch(/^Rejected: 6 error\(s\) in 5 of 9 rows; nothing written/);
  }, 90_000);

  it('with mode=partial writes the good products and reports the rest', async () => {
    const res = await finished((await post(badFile(), { query: '?mode=partial' })).body.id);
    expect(res.body).toMatchObject({ status: 'completed', mode: 'partial', rows: { total: 9, done: 4, failed: 5 }, products: { created: 1 }, errorCount: 6 });
    expect(await rows(`select handle from products where handle in ('good-hoodie', 'bad-hoodie')`)).toEqual([{ handle: 'good-hoodie' }]);
  }, 90_000);

  it('refuses a file it cannot read as a whole (no Handle column, a quote left open) with nothing kept', async () => {
    const noHandle = await post('Title,Variant SKU\nA hoodie,HOOD-1\n');
    expect(noHandle.status).toBe(422);
    expect(noHandle.body.error.code).toBe('import_file_invalid');
    const open = await post('Handle,Title\nhoodie,"A hoodie\n');
    expect(open.body.error).toMatchObject({ code: 'import_file_invalid', message: expect.stringMatching(/closing quote/) });
    expect((await rows<{ n: number }>(`select count(*)::int as n from catalog_imports where idempotency_key in (?, ?)`,
      [`import-test-${keys - 1}`, `import-test-${keys}`]))[0].n).toBe(0);
  });

  it('is for catalog staff only', async () => {
    const res = await post(csv(shopifyRows('forbidden-hoodie', 'FBH')), { headers: staffAs('support') });
    expect(res.status).toBe(403);
  });
});

describe('JSON lines', () => {
  it('imports one product per line, prices in minor units, with row numbers in its errors', async () => {
    const lines = [
      { handle: 'jsonl-mug', title: 'Stoneware Mug', status: 'published', options: [{ name: 'Colour', values: ['Sand', 'Moss'] }],
        variants: [{ sku: 'JSM-SND', options: { Colour: 'Sand' }, prices: { USD: 1800, EUR: 1700 }, onHand: 9, weightGrams: 350 },
          { sku: 'JSM-MOS', options: { Colour: 'Moss' }, prices: { USD: 1800 }, onHand: 2 }],
        images: [{ url: 'https://images.example.com/mug.jpg', alt: 'A mug' }], categories: ['Kitchen > Mugs'], attributes: { material: ['Stoneware'] } },
      { handle: 'jsonl-bowl', title: 'Serving Bowl', variants: [{ sku: 'JSB-1', prices: { USD: 3400 } }] },
    ].map((l) => JSON.stringify(l)).join('\n');
    const res = await finished((await post(`${lines}\n`, { contentType: 'application/x-ndjson' })).body.id);
    expect(res.body).toMatchObject({ status: 'completed', format: 'jsonl', rows: { total: 2, done: 2 }, products: { created: 2 }, variantsWritten: 3 });
    expect(await rows(`select p.handle, p.status, count(v.*)::int as variants from products p join variants v on v.product_id = p.id
      where p.handle like 'jsonl-%' group by p.handle, p.status order by 1`))
      .toEqual([{ handle: 'jsonl-bowl', status: 'draft', variants: 1 }, { handle: 'jsonl-mug', status: 'published', variants: 2 }]);

    const bad = await finished((await post(`${JSON.stringify({ handle: 'x-ok', title: 'Fine', variants: [] })}\n\nnot json\n{"handle":"Bad"}\n`,
      { contentType: 'application/x-ndjson' })).body.id);
    expect(bad.body.status).toBe('rejected');
    expect(bad.body.errors.map((e: Record<string, unknown>) => e.row)).toEqual([3, 4, 4, 4]);
  }, 90_000);
});

describe('uploads and the OpenAPI document', () => {
  it('takes the file as multipart/form-data too (the field "file")', async () => {
    const form = new FormData();
    form.append('file', new Blob([csv(shopifyRows('multipart-hoodie', 'MPH'))], { type: 'text/csv' }), 'products.csv');
    const res = await fetch(`${api.url}/admin/catalog/imports?mode=partial&currency=EUR`, {
      method: 'POST', headers: { ...staff, 'Idempotency-Key': 'multipart-upload-1' }, body: form });
    const body = await res.json() as { id: string; currency: string; rows: { total: number } };
    expect(res.status).toBe(202);
    expect(body).toMatchObject({ currency: 'EUR', rows: { total: 4 } });
    const done = await finished(body.id);
    expect(done.body.status).toBe('completed');
    // Variant Price is in the import's currency (EUR here); Variant Price EUR names EUR again and wins.
    expect(await rows(`select v.sku, p.currency, p.amount::int as amount from variants v join variant_prices p on p.variant_id = v.id
      where v.sku = 'MPH-NAV-M'`)).toEqual([{ sku: 'MPH-NAV-M', currency: 'EUR', amount: 8900 }]);
  }, 90_000);

  it('a multipart body without its file, or one that cannot be read, is refused with its reason and nothing is kept (the API stays up)', async () => {
    const before = await rows<{ n: number }>('select count(*)::int as n from catalog_imports');
    const send = (body: string, key: string) => fetch(`${api.url}/admin/catalog/imports`, { method: 'POST',
      headers: { ...staff, 'Idempotency-Key': key, 'Content-Type': 'multipart/form-data; boundary=xyz' }, body });
    const empty = await send('--xyz--\r\n', 'multipart-empty-1');
    expect({ status: empty.status, code: ((await empty.json()) as { error: { code: string } }).error.code }).toEqual({ status: 422, code: 'import_file_invalid' });
    const broken = await send('--xyz\r\nno header end\r\n--xyz--\r\n', 'multipart-broken-1');
    expect({ status: broken.status, code: ((await broken.json()) as { error: { code: string } }).error.code }).toEqual({ status: 400, code: 'validation_failed' });
    // A picture sent as the file (bytes that are no text at all): refused as a file that cannot be imported.
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108000000003a7e9b550000000a49444154789c6360000000020001489aa5710000000049454e44ae426082', 'hex');
    const form = new FormData();
    form.append('file', new Blob([png], { type: 'image/png' }), 'file.png');
    const picture = await fetch(`${api.url}/admin/catalog/imports`, { method: 'POST', headers: { ...staff, 'Idempotency-Key': 'multipart-png-1' }, body: form });
    expect({ status: picture.status, code: ((await picture.json()) as { error: { code: string } }).error.code }).toEqual({ status: 422, code: 'import_file_invalid' });
    expect((await api.request('GET', '/healthz')).status).toBe(200);
    expect(await rows('select count(*)::int as n from catalog_imports')).toEqual(before);
  });

  it('describes the import routes: the file\'s media types, the Idempotency-Key, the catalog roles and the import\'s shape', async () => {
    const doc = (await api.request('GET', '/openapi.json')).body;
    const post = doc.paths['/admin/catalog/imports'].post;
    expect(Object.keys(post.requestBody.content)).toEqual(['text/csv', 'application/x-ndjson', 'multipart/form-data']);
    expect(post.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['mode', 'currency', 'Idempotency-Key']));
    expect(post['x-staff-roles']).toEqual(['catalog', 'admin']);
    expect(post.responses['202'].content['application/json'].schema.$ref).toBe('#/components/schemas/CatalogImport');
    expect(doc.paths['/admin/catalog/imports/{id}'].get.parameters.map((p: { name: string }) => p.name)).toEqual(['id', 'errorsAfter', 'errorsLimit']);
  });
});
