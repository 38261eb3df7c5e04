/**
 * `npm run web:screenshots` (not part of `npm test`): the storefront at phone and desktop widths,
 * for the README. It starts the whole system on its embedded defaults (`npm run dev` in a
 * throw-away data directory, on free ports), buys as a guest in headless Chromium, ships the order
 * (the warehouse packs, the carrier scans it in transit and delivered) and takes:
 *   docs/storefront-home-{desktop,phone}.png       the home page
 *   docs/storefront-search-{desktop,phone}.png     a misspelt search, corrected, with its filters (opened on the phone)
 *   docs/storefront-suggestions-desktop.png        the header's search box suggesting as the shopper types
 *   docs/storefront-product-{desktop,phone}.png    a product with its option pickers
 *   docs/storefront-checkout-{desktop,phone}.png   checkout with the test-card picker
 *   docs/storefront-order-{desktop,phone}.png      the live order page, delivered
 * Needs Chromium (Debian: `apt-get install chromium`; or CHROMIUM_PATH).
 */
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import puppeteer, { type Page } from 'puppeteer-core';
import { CHROMIUM_FLAGS, findChromium } from './chromium';
import { callDev, withDevSystem, type DevSystem } from './dev-system';

const DOCS = join(resolve(__dirname, '..', '..'), 'docs');
const say = (line: string) => process.stdout.write(`[web:screenshots] ${line}\n`);
const WIDTHS = { desktop: { width: 1280, height: 860 }, phone: { width: 375, height: 760, isMobile: true, deviceScaleFactor: 1 } };

async function main(): Promise<void> {
  const chromium = findChromium();
  await withDevSystem({ FULFILLMENT_AUTO_PACK: 'false' }, say, async (sys) => {
    const browser = await puppeteer.launch({ executablePath: chromium, headless: true, args: CHROMIUM_FLAGS });
    try {
      const page = await browser.newPage();
      const { items } = await callDev(sys, 'GET', '/products?q=merino&limit=1');
      const product = `${sys.api}/shop/products/${items[0].handle}`;
      const orderUrl = await buyAsGuest(page, sys, product);
      await shipAndDeliver(sys, /\/shop\/orders\/([0-9a-f-]{36})/.exec(orderUrl)![1]);
      for (const [name, viewport] of Object.entries(WIDTHS)) {
        await page.setViewport(viewport);
        await shot(page, `storefront-home-${name}.png`, `${sys.api}/shop/`, 'New arrivals');
        await shot(page, `storefront-search-${name}.png`, `${sys.api}/shop/search?q=meirno`, 'Showing results for', async () => {
          if (name === 'phone') await page.click('.facets-toggle');
        });
        if (name === 'desktop') {
          await shot(page, 'storefront-suggestions-desktop.png', `${sys.api}/shop/`, 'New arrivals', async () => {
            await page.type('#site-search', 'cashm', { delay: 60 });
            await page.waitForSelector('#search-suggestions:not([hidden]) [role=option]');
          });
        }
        await shot(page, `storefront-product-${name}.png`, product, 'Add to cart');
        await addToCart(page);
        await shot(page, `storefront-checkout-${name}.png`, `${sys.api}/shop/checkout`, 'Delivery address');
        await shot(page, `storefront-order-${name}.png`, orderUrl, 'Delivered');
      }
    } finally {
      await browser.close();
    }
  });
}

async function addToCart(page: Page): Promise<void> {
  await page.click('button::-p-text(Add to cart)');
  await page.waitForSelector('::-p-text(added to your cart)');
}

/** A guest's checkout in the browser with the Visa test card; answers the order page's URL. */
async function buyAsGuest(page: Page, sys: DevSystem, product: string): Promise<string> {
  await page.setViewport(WIDTHS.desktop);
  await page.goto(product);
  await page.waitForSelector('button.primary:not([disabled])');
  await addToCart(page);
  await page.goto(`${sys.api}/shop/checkout`);
  await page.waitForSelector('#checkout-email');
  for (const [id, value] of [['checkout-email', 'ada@example.com'], ['shipping-name', 'Ada Lovelace'], ['shipping-line1', '12 St James Square'],
    ['shipping-city', 'London'], ['shipping-postalCode', 'SW1Y 4JH']]) await page.type(`#${id}`, value);
  await page.click('button::-p-text(Use this address)');
  await page.waitForSelector('input[name=shipping]');
  await page.click('input[name=shipping]');
  await page.waitForSelector('::-p-text(Shipping (Standard))');
  await page.click('input[value=pm_card_visa]');
  await page.click('button.primary.wide:not([disabled])');
  await page.waitForFunction('/\\/shop\\/orders\\//.test(location.href)', { timeout: 30_000 });
  return page.url();
}

/** The warehouse packs the order, and the carrier scans the parcel in transit, out for delivery and delivered. */
async function shipAndDeliver(sys: DevSystem, orderId: string): Promise<void> {
  const until = async <T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const value = await read().catch(() => undefined);
      if (value !== undefined && ok(value)) return value;
      if (Date.now() > deadline) throw new Error(`${what} did not happen within a minute`);
      await new Promise((r) => setTimeout(r, 300));
    }
  };
  await until(() => callDev(sys, 'GET', `/orders/${orderId}`), (o) => o.live?.fulfillment?.stage === 'allocated', 'allocation');
  await callDev(sys, 'POST', `/warehouse/orders/${orderId}/packed`, { packedBy: 'pat' });
  const { shipments } = await until(() => callDev(sys, 'GET', `/orders/${orderId}/shipments`), (s) => s.shipments.length > 0, 'the label');
  for (const status of ['in_transit', 'out_for_delivery', 'delivered']) {
    await until(() => callDev(sys, 'POST', `/admin/shipments/${shipments[0].id}/carrier-events`, { status, reason: 'carrier scan' }), () => true, `the ${status} scan`);
  }
  await until(() => callDev(sys, 'GET', `/orders/${orderId}`), (o) => o.status === 'delivered', 'delivery');
}

async function shot(page: Page, file: string, url: string, shows: string, then?: () => Promise<void>): Promise<void> {
  await page.goto(url, { waitUntil: 'networkidle2' }).catch(() => undefined); // the order page keeps its event stream open
  await page.waitForSelector(`::-p-text(${shows})`, { timeout: 30_000 });
  await then?.();
  await new Promise((r) => setTimeout(r, 500));
  const path = join(DOCS, file);
  await page.screenshot({ path: path as `${string}.png` });
  if (statSync(path).size < 10_000) throw new Error(`${path} came out blank`);
  say(`${path}  <-  ${url}`);
}

main().then(() => process.exit(0), (err: unknown) => {
  process.stderr.write(`[web:screenshots] Failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
