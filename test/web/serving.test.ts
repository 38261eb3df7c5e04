/**
 * The API serves the storefront's build at /shop: hashed assets cached for a year, index.html
 * revalidated, every page path of the app answered with index.html (shareable URLs, a working back
 * button), and the client's API types always those of the routes (generated, checked in, compared here).
 */
import { spawnSync } from 'node:child_process';
import { get, type IncomingMessage } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { startTestApi, type TestApi } from '../support/api';

let db: TestDatabase;
let api: TestApi;
let unbuilt: TestApi;
const build = mkdtempSync(join(tmpdir(), 'storefront-'));
const script = `console.log(${JSON.stringify('a storefront '.repeat(200))});`;

beforeAll(async () => {
  mkdirSync(join(build, 'assets'));
  writeFileSync(join(build, 'index.html'), '<!doctype html><title>shop</title><script type="module" src="/shop/assets/index-Ab12Cd34.js"></script>');
  writeFileSync(join(build, 'assets', 'index-Ab12Cd34.js'), script);
  mkdirSync(join(build, '.vite'));
  writeFileSync(join(build, '.vite', 'manifest.json'), '{}');
  db = await createTestDatabase();
  api = await startTestApi(db.orm, { app: { storefrontDir: build } });
  unbuilt = await startTestApi(db.orm, { app: { storefrontDir: join(build, 'missing') } });
});
afterAll(async () => {
  await api?.close();
  await unbuilt?.close();
  await db?.drop();
  rmSync(build, { recursive: true, force: true });
});

describe('the storefront served by the API', () => {
  it('serves hashed assets as immutable for a year, gzipped when asked', async () => {
    const res = await fetch(`${api.url}/shop/assets/index-Ab12Cd34.js`, { headers: { 'Accept-Encoding': 'gzip' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    // fetch undoes the gzip itself; the raw bytes are checked through a request that cannot.
    expect(await res.text()).toBe(script);
    const raw = await new Promise<{ encoding?: string; body: Buffer }>((resolve, reject) => {
      get(`${api.url}/shop/assets/index-Ab12Cd34.js`, { headers: { 'Accept-Encoding': 'gzip' } },
        (r: IncomingMessage) => {
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve({ encoding: r.headers['content-encoding'], body: Buffer.concat(chunks) }));
        }).on('error', reject);
    });
    expect(raw.encoding).toBe('gzip');
    expect(gunzipSync(raw.body).toString()).toBe(script);
  });

  it('answers every page of the app with index.html, revalidated on each load, with a content security policy', async () => {
    for (const path of ['/shop/', '/shop/products/merino-hoodie', '/shop/orders/7d0f6a52-3c1e-4a4e-9a57-0b8f0f6b2a11', '/shop/search?q=wool']) {
      const res = await fetch(api.url + path);
      expect({ path, status: res.status, type: res.headers.get('content-type'), cache: res.headers.get('cache-control') })
        .toEqual({ path, status: 200, type: 'text/html; charset=utf-8', cache: 'no-cache' });
      expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(await res.text()).toContain('/shop/assets/index-Ab12Cd34.js');
    }
    const first = await fetch(`${api.url}/shop/`);
    const again = await fetch(`${api.url}/shop/cart`, { headers: { 'If-None-Match': first.headers.get('etag')! } });
    expect(again.status).toBe(304);
  });

  it('redirects / and /shop to /shop/, and leaves missing assets, the build\'s manifest and the API\'s routes alone', async () => {
    for (const path of ['/', '/shop']) {
      const res = await fetch(api.url + path, { redirect: 'manual' });
      expect({ path, status: res.status, location: res.headers.get('location') }).toEqual({ path, status: 302, location: '/shop/' });
    }
    const missing = await api.request('GET', '/shop/assets/index-00000000.js');
    expect({ status: missing.status, code: missing.body.error.code }).toEqual({ status: 404, code: 'not_found' });
    expect((await api.request('GET', '/shop/.vite/manifest.json')).status).toBe(404);
    expect((await api.request('GET', '/openapi.json')).body.openapi).toBe('3.1.0');
  });

  it('says how to build the storefront when it is not built', async () => {
    const res = await fetch(`${unbuilt.url}/shop/`);
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('npm run build:web');
  });

  it('tells the storefront how payments are taken: the simulated provider\'s test cards', async () => {
    const res = await api.request('GET', '/storefront/config');
    expect(res.body.payments).toEqual(expect.objectContaining({ provider: 'simulated', publishableKey: null }));
    expect(res.body.payments.testCards.map((c: { paymentMethod: string }) => c.paymentMethod))
      .toEqual(['pm_card_visa', 'pm_card_chargeDeclined', 'pm_card_authenticationRequired']);
  });
});

describe('the storefront\'s API types', () => {
  it('are generated from the routes\' OpenAPI document as checked in (npm run gen:web-api writes them)', async () => {
    // openapi-typescript is an ES module, which this runner cannot load: the generator runs as npm runs it.
    const check = spawnSync(process.execPath, [require.resolve('tsx/cli'), 'src/cli/web-api-types.ts', '--check'], { encoding: 'utf8', timeout: 60_000 });
    expect({ status: check.status, said: `${check.stdout}${check.stderr}`.trim() }).toEqual({ status: 0, said: 'web/src/api/schema.d.ts is up to date' });
  });
});
