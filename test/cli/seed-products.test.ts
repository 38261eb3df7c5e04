/**
 * `npm run seed -- --products N`: a generated catalog imported through the bulk import (its
 * workflow on a worker), the same numbers making the same catalog and answering the same import.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { createTestDatabase, required, type TestDatabase } from '../support/db';
import { startCheckoutWorker, type TestWorker } from '../support/api';

let db: TestDatabase;
let worker: TestWorker;

beforeAll(async () => {
  db = await createTestDatabase();
  worker = await startCheckoutWorker(db);
});
afterAll(async () => {
  await worker?.stop();
  await db?.drop();
});

function seed(products: number): Promise<{ code: number; stdout: string }> {
  return new Promise((done) => {
    execFile('npx', ['tsx', 'src/cli/seed.ts', '--products', String(products)], {
      cwd: resolve(__dirname, '..', '..'), encoding: 'utf8', timeout: 90_000,
      env: { ...process.env, DATABASE_URL: db.url, TEMPORAL_ADDRESS: required('TEST_TEMPORAL_ADDRESS'), TEMPORAL_TASK_QUEUE: worker.taskQueue, LOG_LEVEL: 'silent' },
    }, (err, stdout) => done({ code: err ? Number(err.code) : 0, stdout }));
  });
}

async function count(sql: string): Promise<number> {
  const [row] = await db.orm.em.fork().getConnection().execute(sql);
  return Number(Object.values(row)[0]);
}

it('imports a generated catalog through the import workflow: variants in two currencies, categories, attributes; again, the same import', async () => {
  const first = await seed(60);
  expect(first.code).toBe(0);
  expect(first.stdout).toMatch(/completed: 60 products created, 0 updated, \d+ variants, 0 errors/);
  expect(await count(`select count(*) from products where status = 'published'`)).toBe(60);
  const variants = await count('select count(*) from variants');
  expect(variants).toBeGreaterThan(60 * 3);
  expect(await count(`select count(*) from variant_prices where currency = 'EUR'`)).toBe(variants);
  expect(await count(`select count(*) from variant_prices where currency = 'USD'`)).toBe(variants);
  expect(await count('select count(*) from categories where parent_id is not null')).toBeGreaterThan(5);
  expect(await count(`select count(distinct a.code) from product_attribute_values pav join attributes a on a.id = pav.attribute_id`)).toBe(4);
  expect(await count('select count(*) from product_images')).toBeGreaterThanOrEqual(60);

  const again = await seed(60);
  expect(again.code).toBe(0);
  expect(again.stdout).toMatch(/already uploaded/);
  expect(await count('select count(*) from catalog_imports')).toBe(1);
  expect(await count('select count(*) from variants')).toBe(variants);
}, 120_000);
