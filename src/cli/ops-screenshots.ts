/**
 * `npm run ops:screenshots` (not part of `npm test`): proof in a real browser that the ops view
 * works. It starts the whole system on its embedded defaults (`npm run dev` in a throw-away data
 * directory, on free ports), places orders in different states through the REST API, lets the
 * cart sweep run once, and takes screenshots of the Temporal UI with headless Chromium, driven by
 * puppeteer-core (the UI keeps long polls open, so Chromium's own --screenshot never settles on a
 * workflow's page):
 *   docs/ops-workflows-by-status.png   the workflow list filtered by OrderStatus
 *   docs/ops-order-timeline.png        one order's timeline, every step with its summary
 *   docs/ops-order-details.png         the same order's summary and current details
 *   docs/ops-cart-sweep-schedule.png   the cart-expiry-sweep schedule and its runs
 *   docs/privacy-ui-encrypted.png      an order whose address support changed, as the UI shows it without the codec
 *   docs/privacy-ui-decoded.png        the same order through the codec endpoint (docs/privacy.md)
 * Payloads are encrypted: the browser signs in at the API's /codec page with the dev admin key and
 * turns on the UI's "include cross-origin credentials", as staff do; the encrypted view is a second
 * browser context that has done neither.
 * Needs Chromium (Debian: `apt-get install chromium`; or CHROMIUM_PATH).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { EntityManager } from '@mikro-orm/postgresql';
import puppeteer, { type Browser, type BrowserContext } from 'puppeteer-core';
import { CHROMIUM_FLAGS, findChromium } from './chromium';
import { callDev, withDevSystem, type DevSystem } from './dev-system';
import { closeOrm, createOrm } from '../db/orm';
import { backdateCart } from '../store/cart-sweeps';
import { createCustomer } from '../store/customers';
import { shipmentOfOrder } from '../store/shipments';
import { CART_SWEEP_ID } from '../contracts/temporal';
import { workflowIds } from '../contracts/temporal';

const ROOT = resolve(__dirname, '..', '..');
const DOCS = join(ROOT, 'docs');
const say = (line: string) => process.stdout.write(`[ops:screenshots] ${line}\n`);
const ADDRESS = { name: 'Ada Lovelace', line1: '12 St James Square', city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' };
const MOVED = { name: 'Ada King', line1: '1 New Street', postalCode: 'N1 9GU' };

type System = DevSystem;

async function main(): Promise<void> {
  const chromium = findChromium();
  // Orders wait for the warehouse, so the list shows some awaiting fulfillment; this script packs the ones it ships.
  await withDevSystem({ FULFILLMENT_AUTO_PACK: 'false' }, say, async (sys) => {
    const orders = await placeOrders(sys);
    await sweepOnce(sys);
    await waitForVisibility(sys, orders.length);
    mkdirSync(DOCS, { recursive: true });
    const timelineOrder = orders.find((o) => o.label === 'shipped')!;
    const runId = await firstRunId(sys, workflowIds.checkout(timelineOrder.orderId));
    const order = `${sys.ui}/namespaces/default/workflows/${workflowIds.checkout(timelineOrder.orderId)}/${runId}`;
    // Checkouts and the fulfillment workflows working on them: both carry the order's current status.
    const byStatus = 'OrderStatus = "awaiting_fulfillment"';
    const moved = orders.find((o) => o.label === 'moved')!;
    const movedPage = `${sys.ui}/namespaces/default/workflows/${workflowIds.checkout(moved.orderId)}/${await firstRunId(sys, workflowIds.checkout(moved.orderId))}/history`;
    const shots: Shot[] = [
      { file: 'ops-workflows-by-status.png', url: `${sys.ui}/namespaces/default/workflows?query=${encodeURIComponent(byStatus)}`, height: 760,
        shows: 'awaiting_fulfillment' },
      { file: 'ops-order-timeline.png', url: `${order}/timeline`, height: 1250, shows: 'Reserve' },
      { file: 'ops-order-details.png', url: `${order}/user-metadata`, height: 620, shows: 'Current Details' },
      { file: 'ops-cart-sweep-schedule.png', url: `${sys.ui}/namespaces/default/schedules/${CART_SWEEP_ID}`, height: 1100, shows: 'cartExpirySweep' },
    ];
    const browser = await puppeteer.launch({ executablePath: chromium, headless: true, args: CHROMIUM_FLAGS });
    try {
      const staff = await browser.createBrowserContext();
      await signInToCodec(staff, sys);
      for (const shot of shots) await screenshot(staff, shot);
      // The order's input and its events: ciphertext without the codec, the order's lines and amounts with it.
      await screenshot(await browser.createBrowserContext(), { file: 'privacy-ui-encrypted.png', url: movedPage, height: 900, shows: 'Codec Server',
        lacks: 'totalAmount' });
      await screenshot(staff, { file: 'privacy-ui-decoded.png', url: movedPage, height: 900, shows: 'totalAmount' });
    } finally {
      await browser.close();
    }
    say(`Screenshots in ${DOCS}: ${[...shots.map((s) => s.file), 'privacy-ui-encrypted.png', 'privacy-ui-decoded.png'].join(', ')}`);
  });
}

const call = callDev;

interface Placed { orderId: string; label: string }

/** Orders in different states: awaiting fulfillment (one on hold), shipped, delivered, refunded, cancelled, declined, waiting for 3-D Secure. */
async function placeOrders(sys: System): Promise<Placed[]> {
  const { items } = await call(sys, 'GET', '/products?limit=20');
  const skus: string[] = items.flatMap((p: { variants: { sku: string; inStock: boolean }[] }) => p.variants.filter((v) => v.inStock).map((v) => v.sku));
  let n = 0;
  const place = async (label: string, paymentMethod = 'pm_card_visa'): Promise<Placed> => {
    const cart = await call(sys, 'POST', '/carts');
    for (let i = 0; i <= n % 3; i += 1) await call(sys, 'POST', `/carts/${cart.id}/items`, { sku: skus[(n * 3 + i) % skus.length], quantity: 1 + (i % 2) });
    n += 1;
    // The demo store ships at a charge: the cart gets its address and the cheapest method first, as a storefront would.
    await call(sys, 'PUT', `/carts/${cart.id}/shipping-address`, ADDRESS);
    const { options } = await call(sys, 'GET', `/carts/${cart.id}/shipping-options`);
    await call(sys, 'PUT', `/carts/${cart.id}/shipping-method`, { methodId: options[0].id });
    const res = await call(sys, 'POST', `/carts/${cart.id}/checkout`,
      { email: 'ada@example.com', paymentMethod }, { 'Idempotency-Key': randomUUID() });
    return { orderId: res.orderId, label };
  };
  const until = async (orderId: string, ok: (live: { status: string; fulfillment?: { stage?: string } }) => boolean) => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { live } = await call(sys, 'GET', `/orders/${orderId}`);
      if (live && ok(live)) return;
      if (Date.now() > deadline) throw new Error(`order ${orderId} stuck: ${JSON.stringify(live)}`);
      await sleep(200);
    }
  };
  const waiting = await Promise.all([place('waiting'), place('waiting'), place('on hold'), place('shipped'), place('delivered'),
    place('refunded'), place('cancelled'), place('moved')]);
  const declined = await place('declined', 'pm_card_chargeDeclined');
  const secure = await place('3-D Secure', 'pm_card_authenticationRequired');
  for (const o of waiting) await until(o.orderId, (l) => l.fulfillment?.stage === 'allocated');
  const by = (label: string) => waiting.filter((o) => o.label === label);
  for (const o of by('on hold')) await call(sys, 'POST', `/admin/orders/${o.orderId}/hold`, { reason: 'fraud check' }, { 'X-Support-Agent': 'sam' });
  for (const o of by('moved')) await call(sys, 'PATCH', `/admin/orders/${o.orderId}/shipping-address`, { ...MOVED, reason: 'customer moved' });
  for (const o of by('cancelled')) await call(sys, 'POST', `/admin/orders/${o.orderId}/cancel`, { reason: 'customer called' }, { 'X-Support-Agent': 'sam' });
  for (const o of [...by('shipped'), ...by('delivered'), ...by('refunded')]) {
    await call(sys, 'POST', `/warehouse/orders/${o.orderId}/packed`, { packedBy: 'pat' });
    await until(o.orderId, (l) => l.status === 'shipped');
  }
  for (const o of by('refunded')) await call(sys, 'POST', `/admin/orders/${o.orderId}/refunds`, { amount: '5.00', reason: 'late delivery' }, { 'X-Support-Agent': 'sam' });
  for (const o of [...by('shipped'), ...by('delivered')]) {
    const { live } = await call(sys, 'GET', `/orders/${o.orderId}`);
    const shipmentId = live.fulfillment?.shipmentId ?? (await shipmentOf(sys, o.orderId));
    await call(sys, 'POST', `/admin/shipments/${shipmentId}/carrier-events`, { status: 'in_transit', reason: 'carrier phoned' }, { 'X-Support-Agent': 'sam' });
    if (o.label === 'delivered') {
      await call(sys, 'POST', `/admin/shipments/${shipmentId}/carrier-events`, { status: 'delivered', reason: 'signed for' }, { 'X-Support-Agent': 'sam' });
    }
  }
  await until(declined.orderId, (l) => l.status === 'failed');
  say(`Placed ${waiting.length + 2} orders: ${[...waiting, declined, secure].map((o) => o.label).join(', ')}`);
  return [...waiting, declined, secure];
}

async function shipmentOf(sys: System, orderId: string): Promise<string> {
  return withDatabase(sys, async (em) => (await shipmentOfOrder(em, orderId))!.id);
}

/** The running system's database, through the store, for what the REST API does not do (find a parcel, backdate carts). */
async function withDatabase<T>(sys: System, use: (em: EntityManager) => Promise<T>): Promise<T> {
  const orm = await createOrm(sys.pg, 1);
  try {
    return await use(orm.em.fork());
  } finally {
    await closeOrm(orm);
  }
}

/** A few idle carts (one of a customer who opted in), then one run of the sweep, triggered as ops would. */
async function sweepOnce(sys: System): Promise<void> {
  const { items } = await call(sys, 'GET', '/products?limit=3');
  const sku = items[0].variants.find((v: { inStock: boolean }) => v.inStock).sku;
  const carts: string[] = [];
  for (let i = 0; i < 4; i += 1) {
    const cart = await call(sys, 'POST', '/carts');
    await call(sys, 'POST', `/carts/${cart.id}/items`, { sku, quantity: 1 });
    carts.push(cart.id);
  }
  await withDatabase(sys, async (em) => {
    const customerId = await createCustomer(em, { email: `grace-${randomUUID()}@example.com`, name: 'Grace', passwordHash: 'x', marketingOptIn: true });
    await backdateCart(em, carts[0], '2 days', { customerId });
    for (const cartId of carts.slice(1, 3)) await backdateCart(em, cartId, '8 days');
    await backdateCart(em, carts[3], '31 days', { expired: true });
  });
  const connection = await Connection.connect({ address: sys.temporal });
  try {
    const handle = new Client({ connection, dataConverter: sys.dataConverter }).schedule.getHandle(CART_SWEEP_ID);
    await handle.trigger();
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const { info } = await handle.describe();
      if (info.recentActions.length > 0 && info.runningActions.length === 0) {
        say(`The cart sweep ran: ${info.recentActions.at(-1)!.action.workflow.workflowId}`);
        return;
      }
      await sleep(500);
    }
    throw new Error('the cart sweep did not run within a minute of being triggered');
  } finally {
    await connection.close();
  }
}

async function waitForVisibility(sys: System, count: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const { orders } = await call(sys, 'GET', '/admin/orders?limit=100');
    if (orders.length >= count) return;
    await sleep(500);
  }
}

async function firstRunId(sys: System, workflowId: string): Promise<string> {
  const connection = await Connection.connect({ address: sys.temporal });
  try {
    return (await new Client({ connection, dataConverter: sys.dataConverter }).workflow.getHandle(workflowId).describe()).runId;
  } finally {
    await connection.close();
  }
}

interface Shot {
  file: string; url: string; height: number;
  /** Text the page must show before it is taken (the UI loads its data after the page). */ shows: string;
  /** Text it must not show (the encrypted view: the address). */ lacks?: string;
}

type Page = Awaited<ReturnType<BrowserContext['newPage']>>;
const bodyText = (page: Page) => page.evaluate(() => (globalThis as unknown as { document: { body: { innerText: string } } }).document.body.innerText);

/**
 * As staff do (docs/privacy.md): paste the key on the API's /codec page (an HttpOnly cookie for
 * /codec), then in the UI's codec settings use this browser's endpoint with cross-origin credentials.
 */
async function signInToCodec(context: BrowserContext, sys: System): Promise<void> {
  const page = await context.newPage();
  try {
    await page.goto(`${sys.api}/codec`, { waitUntil: 'domcontentloaded' });
    await page.type('#key', sys.token);
    await page.click('form button');
    await page.waitForFunction(() => (globalThis as unknown as { document: { body: { innerText: string } } }).document.body.innerText.includes('Signed in'));
    await page.goto(sys.ui, { waitUntil: 'domcontentloaded' });
    await page.evaluate((endpoint: string) => {
      const storage = (globalThis as unknown as { localStorage: { setItem(k: string, v: string): void } }).localStorage;
      storage.setItem('endpoint', JSON.stringify(endpoint));
      storage.setItem('overrideRemoteCodecConfiguration', 'true');
      storage.setItem('includeCredentials', 'true');
    }, `${sys.api}/codec`);
  } finally {
    await page.close();
  }
}

async function screenshot(context: BrowserContext | Browser, shot: Shot): Promise<void> {
  const page = await context.newPage();
  try {
    await page.setViewport({ width: 1600, height: shot.height });
    await page.goto(shot.url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
    // Runs in the page: `document` is the browser's, not typed here (no DOM lib in this Node project).
    await page.waitForFunction((text: string) => (globalThis as unknown as { document: { body: { innerText: string } } }).document.body.innerText.includes(text),
      { timeout: 60_000 }, shot.shows);
    await sleep(2_000); // charts and lists finish drawing after their data arrives
    if (shot.lacks && (await bodyText(page)).includes(shot.lacks)) throw new Error(`${shot.url} shows "${shot.lacks}", which it must not`);
    const file = join(DOCS, shot.file);
    await page.screenshot({ path: file as `${string}.png` });
    if (statSync(file).size < 10_000) throw new Error(`${file} came out blank`);
    say(`${file}  <-  ${shot.url}`);
  } finally {
    await page.close();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

main().then(() => process.exit(0), (err: unknown) => {
  process.stderr.write(`[ops:screenshots] Failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
