/**
 * `npm run bench:web`: what the storefront costs a shopper's browser. Two figures, printed beside
 * their targets (docs/storefront.md): the initial JavaScript of the home page, gzipped (its entry
 * chunk and what that imports statically, from the build's manifest), and the home page's largest
 * contentful paint in headless Chromium against the dev stack (`npm run dev` on free ports), over
 * cold loads (a new browser profile each: nothing cached) and warm ones (the same profile again),
 * alternating so both see the same machine. A report, not a test: exits 0 on MISS.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { cpus, loadavg } from 'node:os';
import puppeteer, { type Browser } from 'puppeteer-core';
import { ensureWebBuilt, WEB_DIST } from '../../src/cli/build-web';
import { CHROMIUM_FLAGS, findChromium } from '../../src/cli/chromium';
import { withDevSystem } from '../../src/cli/dev-system';

const JS_TARGET_KB = 120;
const LCP_TARGET_MS = 1000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 12);
const started = Date.now();
const log = (msg: string) => console.log(`[bench ${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${msg}`);

interface ManifestChunk { file: string; imports?: string[]; css?: string[]; isEntry?: boolean }

/** The entry's JavaScript and everything it imports statically: what the browser must load before the home page runs. */
function initialJs(): { files: string[]; raw: number; gzipped: number } {
  const manifest = JSON.parse(readFileSync(join(WEB_DIST, '.vite', 'manifest.json'), 'utf8')) as Record<string, ManifestChunk>;
  const files = new Set<string>();
  const visit = (key: string) => {
    const chunk = manifest[key];
    if (!chunk || files.has(chunk.file)) return;
    files.add(chunk.file);
    for (const i of chunk.imports ?? []) visit(i);
  };
  visit('index.html');
  const bytes = [...files].map((f) => readFileSync(join(WEB_DIST, f)));
  return { files: [...files], raw: bytes.reduce((n, b) => n + b.length, 0), gzipped: bytes.reduce((n, b) => n + gzipSync(b, { level: 9 }).length, 0) };
}

/** The home page's LCP in one page load; `fresh` loads it in a new profile (nothing cached). */
async function homeLcp(browser: Browser, url: string, fresh: boolean): Promise<number> {
  const context = fresh ? await browser.createBrowserContext() : browser.defaultBrowserContext();
  const page = await context.newPage();
  try {
    await page.setViewport({ width: 1280, height: 900 });
    await page.evaluateOnNewDocument(`
      window.__lcp = 0;
      new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__lcp = e.startTime; })
        .observe({ type: 'largest-contentful-paint', buffered: true });`);
    // Not networkidle0: a warm load more than 5 s after the last one gets the product list from the cache (stale-while-revalidate)
    // while Chromium refreshes it in the background, a request puppeteer never sees finish. The page is done when its cards are
    // drawn and at most that one request is left.
    await page.goto(url, { waitUntil: 'load' });
    await page.waitForSelector('.grid .card');
    await page.waitForNetworkIdle({ idleTime: 500, concurrency: 1 });
    // LCP is final once the page is interacted with or hidden; the last candidate is the figure.
    return Number(await page.evaluate('window.__lcp'));
  } finally {
    await page.close();
    if (fresh) await context.close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.9))];
const verdict = (ok: boolean) => (ok ? 'MEETS' : 'MISS');

async function main(): Promise<void> {
  log(`node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown cpu'}), load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  ensureWebBuilt(log);
  const js = initialJs();
  log(`initial JS: ${js.files.join(', ')}: ${(js.raw / 1024).toFixed(1)} KB, ${(js.gzipped / 1024).toFixed(1)} KB gzipped`);
  await withDevSystem({}, log, async (sys) => {
    const browser = await puppeteer.launch({ executablePath: findChromium(), headless: true, args: CHROMIUM_FLAGS });
    try {
      const url = `${sys.api}/shop/`;
      await homeLcp(browser, url, false); // the dev stack's first answers warm its caches and connections
      const cold: number[] = [];
      const warm: number[] = [];
      for (let i = 0; i < ROUNDS; i += 1) {
        cold.push(await homeLcp(browser, url, true));
        warm.push(await homeLcp(browser, url, false));
      }
      log(`home LCP over ${ROUNDS} loads each: cold median ${median(cold).toFixed(0)} ms (p90 ${p90(cold).toFixed(0)}), `
        + `warm median ${median(warm).toFixed(0)} ms (p90 ${p90(warm).toFixed(0)}); warm/cold ${(median(warm) / median(cold)).toFixed(2)}`);
      console.log('');
      console.log(`  initial JS gzipped   ${(js.gzipped / 1024).toFixed(1).padStart(6)} KB   target ≤ ${JS_TARGET_KB} KB   ${(js.gzipped / 1024 / JS_TARGET_KB).toFixed(2)} of it   ${verdict(js.gzipped / 1024 <= JS_TARGET_KB)}`);
      console.log(`  home LCP, cold       ${median(cold).toFixed(0).padStart(6)} ms   target ≤ ${LCP_TARGET_MS} ms   ${(median(cold) / LCP_TARGET_MS).toFixed(2)} of it   ${verdict(median(cold) <= LCP_TARGET_MS)}`);
      console.log(`  home LCP, warm       ${median(warm).toFixed(0).padStart(6)} ms   target ≤ ${LCP_TARGET_MS} ms   ${(median(warm) / LCP_TARGET_MS).toFixed(2)} of it   ${verdict(median(warm) <= LCP_TARGET_MS)}`);
    } finally {
      await browser.close();
    }
  });
}

main().then(() => process.exit(0), (err: unknown) => {
  console.error(`bench:web failed: ${(err as Error)?.stack ?? String(err)}`);
  process.exit(1);
});
