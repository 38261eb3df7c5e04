/**
 * The import's writer on its own (src/store/catalog-import-batches.ts): the rows of a product the
 * batch creates are plain inserts, so what `on conflict` used to absorb for them (a category,
 * collection or attribute value named twice; a SKU another product took since validation) is
 * answered here.
 */
import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { storeImportUpload } from '../../src/store/catalog-imports';
import { writeImportChunk } from '../../src/store/catalog-import-batches';
import { sqlRows } from '../../src/db/sql';
import type { ImportedProduct } from '../../src/domain/catalog-import';
import { PORTABLE_UUID_V7 } from '../../src/db/migrations/Migration20261210110000_time_ordered_catalog_ids';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

const who = { actor: 'test' };

/** An import of one chunk (its file is not read here: the products are given to the writer). */
async function anImport(): Promise<string> {
  const id = randomUUID();
  await storeImportUpload(db.orm.em.fork(), { id, idempotencyKey: id, mode: 'partial', currency: 'USD', who }, async (add) => {
    await add({ seq: 0, firstRow: 2, rows: 10, products: 3, records: '[]' });
    return { sha256: '0'.repeat(64), bytes: 0, format: 'csv', header: ['Handle'], rowsTotal: 10, productsTotal: 3, chunksTotal: 1, ignoredColumns: [] };
  });
  return id;
}

function product(handle: string, skus: string[], row: number, more: Partial<ImportedProduct> = {}): ImportedProduct {
  return {
    row, rows: skus.map((_, i) => row + i), handle, title: `Product ${handle}`, status: 'published',
    options: [{ name: 'Size', values: skus.map((_, i) => `S${i}`) }],
    variants: skus.map((sku, i) => ({ row: row + i, sku, title: `S${i}`, choice: [`S${i}`], prices: { USD: 1000 + i }, onHand: 3 })),
    attributes: {}, ...more,
  };
}

const q = <T extends Record<string, unknown>>(sql: string, args: unknown[] = []) => sqlRows<T>(db.orm.em.fork(), sql, args);

describe('writing a batch of new products', () => {
  it('files a new product once under a category, a collection and an attribute value its file names twice', async () => {
    const id = await anImport();
    const twice = product('twice-named', ['TWICE-1'], 2, {
      categories: [['Home', 'Rugs'], ['Home', 'Rugs']], collections: ['Winter Warmers', 'winter warmers'], attributes: { material: ['Wool', 'Wool'] },
    });
    const outcome = await writeImportChunk(db.orm.em.fork(), { importId: id, seq: 0, who, products: [twice] });
    expect(outcome).toEqual(expect.objectContaining({ created: 1, rowsDone: 1, rowsFailed: 0 }));
    const [filed] = await q<{ categories: number; collections: number; attributes: number }>(`select
        (select count(*)::int from product_categories pc join products p on p.id = pc.product_id where p.handle = $1) as categories,
        (select count(*)::int from product_collections pc join products p on p.id = pc.product_id where p.handle = $1) as collections,
        (select count(*)::int from product_attribute_values pa join products p on p.id = pa.product_id where p.handle = $1) as attributes`, ['twice-named']);
    expect(filed).toEqual({ categories: 1, collections: 1, attributes: 1 });
  });

  it('refuses a new product whose SKU another product took since validation, naming the SKU, and writes the batch\'s other products', async () => {
    const first = await anImport();
    await writeImportChunk(db.orm.em.fork(), { importId: first, seq: 0, who, products: [product('first-owner', ['TAKEN-1'], 2)] });
    const id = await anImport();
    const outcome = await writeImportChunk(db.orm.em.fork(), {
      importId: id, seq: 0, who, products: [product('latecomer', ['FREE-1', 'TAKEN-1'], 2), product('bystander', ['FREE-2'], 4)],
    });
    expect(outcome).toEqual(expect.objectContaining({ created: 1, rowsDone: 1, rowsFailed: 2 }));
    const errors = await q<{ row: number; code: string; message: string }>('select row, code, message from catalog_import_errors where import_id = $1', [id]);
    expect(errors).toEqual([{ row: 2, code: 'sku_taken', message: 'latecomer: SKU TAKEN-1 belongs to another product.' }]);
    const owners = await q<{ sku: string; handle: string }>(`select v.sku, p.handle from variants v join products p on p.id = v.product_id
      where v.sku in ('TAKEN-1', 'FREE-1', 'FREE-2') order by v.sku`);
    expect(owners).toEqual([{ sku: 'FREE-2', handle: 'bystander' }, { sku: 'TAKEN-1', handle: 'first-owner' }]);
  });

  it('updates an existing product through the same batch as new ones (its options, values and variants upserted)', async () => {
    const first = await anImport();
    await writeImportChunk(db.orm.em.fork(), { importId: first, seq: 0, who, products: [product('again', ['AGAIN-1'], 2)] });
    const id = await anImport();
    const again = product('again', ['AGAIN-1', 'AGAIN-2'], 2, { title: 'Again, renamed' });
    const outcome = await writeImportChunk(db.orm.em.fork(), { importId: id, seq: 0, who, products: [again, product('fresh', ['FRESH-1'], 4)] });
    expect(outcome).toEqual(expect.objectContaining({ created: 1, updated: 1, rowsFailed: 0 }));
    const variants = await q<{ sku: string; title: string; options: number }>(`select v.sku, p.title, (select count(*)::int from product_options o where o.product_id = p.id) as options
      from variants v join products p on p.id = v.product_id where p.handle in ('again', 'fresh') order by v.sku`);
    expect(variants).toEqual([
      { sku: 'AGAIN-1', title: 'Again, renamed', options: 1 }, { sku: 'AGAIN-2', title: 'Again, renamed', options: 1 },
      { sku: 'FRESH-1', title: 'Product fresh', options: 1 },
    ]);
  });
});

describe('the ids of new catalog rows', () => {
  it('are time-ordered UUIDs (version 7) for the products, options, values, variants and images a batch writes', async () => {
    const id = await anImport();
    const before = Date.now();
    await writeImportChunk(db.orm.em.fork(), {
      importId: id, seq: 0, who, products: [product('ordered', ['ORDERED-1', 'ORDERED-2'], 2, { images: [{ row: 2, url: 'https://images.example.com/o.jpg', alt: '', position: 0 }] })],
    });
    const ids = await q<{ id: string }>(`select p.id from products p where p.handle = 'ordered'
      union all select o.id from product_options o join products p on p.id = o.product_id where p.handle = 'ordered'
      union all select ov.id from product_option_values ov join products p on p.id = ov.product_id where p.handle = 'ordered'
      union all select v.id from variants v join products p on p.id = v.product_id where p.handle = 'ordered'
      union all select i.id from product_images i join products p on p.id = i.product_id where p.handle = 'ordered'`);
    expect(ids).toHaveLength(1 + 1 + 2 + 2 + 1);
    for (const { id: uuid } of ids) {
      expect(uuid[14]).toBe('7');
      const ms = parseInt(uuid.replace(/-/g, '').slice(0, 12), 16);
      expect(ms).toBeGreaterThanOrEqual(before - 1000);
      expect(ms).toBeLessThanOrEqual(Date.now() + 1000);
    }
  });

  it('are the same layout where PostgreSQL has no uuidv7() (before 18)', async () => {
    const [made] = await q<{ version: number; ms: string; variant: string }>(`select uuid_extract_version(x) as version,
      (extract(epoch from uuid_extract_timestamp(x)) * 1000)::bigint::text as ms, substr(x::text, 20, 1) as variant from (select ${PORTABLE_UUID_V7} as x) u`);
    expect(made.version).toBe(7);
    expect(Math.abs(Number(made.ms) - Date.now())).toBeLessThan(5000);
    expect(['8', '9', 'a', 'b']).toContain(made.variant);
  });
});
