/**
 * Product images: uploads judged by their bytes, content-addressed storage on local disk (served
 * with immutable cache headers) and in S3 (the real @aws-sdk/client-s3 against moto's S3 server),
 * and the sweep that deletes files no product refers to any more (its workflow on the dev server).
 */
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { staffAs, startTestApi, type TestApi } from '../support/api';
import { realActivities } from '../support/checkout';
import { connectDevServerEnv, testDataConverter, uniqueTaskQueue, workflowBundle } from '../support/temporal';
import { RECORDING, saveHistory } from '../replay/record';
import { demoSwatches, insertDemoTaxonomy } from '../../src/db/demo-catalog';
import { LocalImageStorage, S3ImageStorage, type ImageStorage } from '../../src/integrations/image-storage';
import { requireMotoServer, startMotoServer, type RunningMoto } from '../../src/integrations/moto';
import { freePort } from '../../src/temporal/dev-server';
import { IMAGE_SWEEP_ID } from '../../src/contracts/temporal';

const staff = staffAs('catalog');
const [black, navy] = demoSwatches();
/** The smallest JPEG header that says what it is: SOI, then a baseline frame of 3 x 2 pixels. */
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x00, 0x02, 0x00, 0x03, 0x03, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xff, 0xd9]);

function form(bytes: Buffer, filename: string, type = 'application/octet-stream', field = 'file'): FormData {
  const body = new FormData();
  body.append(field, new Blob([bytes], { type }), filename);
  return body;
}

async function upload(api: TestApi, body: FormData): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await fetch(`${api.url}/admin/catalog/images`, { method: 'POST', headers: staff, body });
  return { status: res.status, body: await res.json() };
}

async function productWithImage(api: TestApi, key: string, sku: string): Promise<{ id: string; imageId: string }> {
  const res = await api.request('POST', '/admin/catalog/products', { headers: staff, body: {
    title: `Pictured ${sku}`, status: 'published', variants: [{ sku, prices: { USD: 100 }, onHand: 1 }], images: [{ key, alt: 'A swatch' }] } });
  expect(res.status).toBe(201);
  return { id: res.body.id, imageId: res.body.images[0].id };
}

describe('on local disk', () => {
  let db: TestDatabase;
  let api: TestApi;
  let dir: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    await insertDemoTaxonomy(db.orm.em.fork());
    dir = mkdtempSync(join(tmpdir(), 'images-'));
    api = await startTestApi(db.orm, { app: { images: new LocalImageStorage(dir), imageMaxBytes: 4096 } });
  });
  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  it('stores an upload under its content\'s hash, once however often it is sent, and serves it for a year', async () => {
    const first = await upload(api, form(black.bytes, 'whatever.bin'));
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ key: black.key, url: `/media/${black.key}`, contentType: 'image/png', bytes: black.bytes.length, width: 96, height: 96 });
    const again = await upload(api, form(black.bytes, 'copy.png', 'image/png'));
    expect(again.body.key).toBe(black.key);
    const served = await fetch(`${api.url}/media/${black.key}`);
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('image/png');
    expect(served.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(Buffer.from(await served.arrayBuffer()).equals(black.bytes)).toBe(true);
    const cached = await fetch(`${api.url}/media/${black.key}`, { headers: { 'If-None-Match': served.headers.get('etag') as string } });
    expect(cached.status).toBe(304);
    const jpeg = await upload(api, form(JPEG, 'photo.png', 'image/png'));
    expect(jpeg.body).toEqual(expect.objectContaining({ contentType: 'image/jpeg', width: 3, height: 2 }));
    expect(jpeg.body.key).toMatch(/\.jpg$/);
  });

  it('refuses what is not an image whatever its name, what is too large, and a body without a file, storing nothing', async () => {
    const text = await upload(api, form(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), 'logo.png', 'image/png'));
    expect(text.status).toBe(415);
    expect(text.body.error.code).toBe('unsupported_media_type');
    const big = Buffer.concat([navy.bytes, Buffer.alloc(5000)]);
    const tooLarge = await upload(api, form(big, 'big.png', 'image/png'));
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body.error.code).toBe('payload_too_large');
    const noFile = await upload(api, form(navy.bytes, 'navy.png', 'image/png', 'picture'));
    expect(noFile.status).toBe(400);
    const json = await api.request('POST', '/admin/catalog/images', { headers: staff, body: { url: 'https://x' } });
    expect(json.status).toBe(415);
    expect(existsSync(join(dir, navy.key))).toBe(false);
    const [{ n }] = await db.orm.em.fork().getConnection().execute('select count(*)::int as n from image_objects where key = ?', [navy.key]);
    expect(n).toBe(0);
  });

  it('attaches an uploaded image to a product by key, and refuses a key never uploaded', async () => {
    const { key } = (await upload(api, form(black.bytes, 'b.png'))).body;
    const { id } = await productWithImage(api, key, 'PIC-LOCAL-1');
    const page = await api.request('GET', `/products/${id}`);
    expect(page.body.images).toEqual([{ url: `/media/${key}`, alt: 'A swatch' }]);
    const unknown = await api.request('POST', `/admin/catalog/products/${id}/images`, { headers: { ...staff, 'If-Match': '"1"' },
      body: { key: `${'0'.repeat(64)}.png` } });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('image_not_found');
  });
});

describe('in S3 (moto\'s S3 server)', () => {
  let moto: RunningMoto;
  let s3: S3Client;
  let storage: S3ImageStorage;
  let db: TestDatabase;
  let api: TestApi;
  let env: TestWorkflowEnvironment;
  const bucket = 'catalog-images';
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

  beforeAll(async () => {
    moto = await startMotoServer(requireMotoServer().path, await freePort());
    s3 = new S3Client({ region: 'eu-west-1', endpoint: moto.url, forcePathStyle: true, credentials });
    await s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
    storage = new S3ImageStorage({ bucket, region: 'eu-west-1', endpoint: moto.url, forcePathStyle: true, prefix: 'products/', credentials });
    db = await createTestDatabase();
    api = await startTestApi(db.orm, { app: { images: storage } });
    env = await connectDevServerEnv();
  });
  afterAll(async () => {
    await api?.close();
    await db?.drop();
    storage?.close();
    s3?.destroy();
    await moto?.stop();
  });

  const exists = (key: string) => s3.send(new HeadObjectCommand({ Bucket: bucket, Key: `products/${key}` })).then(() => true, () => false);

  it('puts an upload into the bucket with its type and a year-long immutable cache lifetime, and links to it', async () => {
    const res = await upload(api, form(navy.bytes, 'navy'));
    expect(res.status).toBe(201);
    expect(res.body.url).toBe(`${moto.url}/${bucket}/products/${navy.key}`);
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `products/${navy.key}` }));
    expect(object.ContentType).toBe('image/png');
    expect(object.CacheControl).toBe('public, max-age=31536000, immutable');
    expect(Buffer.from(await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray()).equals(navy.bytes)).toBe(true);
    const redirect = await fetch(`${api.url}/media/${navy.key}`, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toBe(res.body.url);
  });

  it('deletes the files no product refers to once past the grace period, and keeps the rest (the sweep workflow)', async () => {
    const kept = (await upload(api, form(black.bytes, 'kept'))).body.key as string;
    const orphan = (await upload(api, form(JPEG, 'orphan'))).body.key as string;
    const young = (await upload(api, form(navy.bytes, 'young'))).body.key as string;
    const { id, imageId } = await productWithImage(api, kept, 'PIC-S3-1');
    const detached = (await upload(api, form(Buffer.concat([JPEG.subarray(0, -2), Buffer.from([0, 0xff, 0xd9])]), 'detached'))).body.key as string;
    const second = await productWithImage(api, detached, 'PIC-S3-2');
    await api.request('DELETE', `/admin/catalog/products/${second.id}/images/${second.imageId}`, { headers: { ...staff, 'If-Match': '"1"' } });
    // An hour passes for all but the young one.
    await db.orm.em.fork().getConnection().execute(`update image_objects set uploaded_at = now() - interval '2 hours' where key <> ?`, [young]);

    const result = await sweep(storage, db, env, { graceMs: 3_600_000, batchSize: 2, maxBatches: 10 });
    expect(result.deleted).toBe(2);
    expect(await exists(orphan)).toBe(false);
    expect(await exists(detached)).toBe(false);
    expect(await exists(kept)).toBe(true);
    expect(await exists(young)).toBe(true);
    const rows = await db.orm.em.fork().getConnection().execute<{ key: string }[]>('select key from image_objects order by key');
    const keys = rows.map((r) => r.key);
    expect(keys.sort()).toEqual([kept, young, navy.key].filter((k, i, all) => all.indexOf(k) === i).sort());
    expect((await api.request('GET', `/products/${id}`)).body.images[0].url).toContain(kept);
    expect(imageId).toBeDefined();
  });
});

async function sweep(storage: ImageStorage, db: TestDatabase, env: TestWorkflowEnvironment, input: { graceMs: number; batchSize: number; maxBatches: number }) {
  const taskQueue = uniqueTaskQueue('image-sweep');
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, dataConverter: testDataConverter(), workflowBundle: workflowBundle(),
    activities: realActivities(db, { images: storage }) });
  const workflowId = `${IMAGE_SWEEP_ID}-test-${randomUUID()}`;
  const result = await worker.runUntil(env.client.workflow.execute('catalogImageSweep', { taskQueue, workflowId, args: [input] }));
  if (RECORDING) saveHistory(IMAGE_SWEEP_ID, await env.client.workflow.getHandle(workflowId).fetchHistory());
  return result as { deleted: number; kept: number };
}
