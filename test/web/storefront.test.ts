/**
 * The storefront as a shopper uses it, in Debian's Chromium (puppeteer-core), against this file's
 * API serving the built storefront, a real worker and database: a guest buys with a card and
 * watches the order ship and arrive on the live page; a new customer signs up and buys; 3-D Secure
 * completed and left to time out; a declined card; a cancel before dispatch; the pages at 375 px.
 * Every page visited is checked with axe-core for serious or critical violations.
 */
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'puppeteer-core';
import { ensureWebBuilt, WEB_DIST } from '../../src/cli/build-web';
import { insertProducts } from '../../src/db/seed';
import { insertDemoPricing } from '../../src/db/demo-pricing';
import { startApiWorld, stopApiWorld, type ApiWorld } from '../support/api';
import { choose, clickText, fill, launchBrowser, newShopper, overflowsSideways, PHONE, seriousViolations, waitForText, type Violation } from '../support/browser';
import { staff, waitForOrder } from '../support/orders-api';
import { ADDRESS } from '../support/checkout';
import { FAST_ACCOUNTS } from '../support/accounts';
import type { OutgoingMessage } from '../../src/integrations/notifier';

/** Short, so the timed-out 3-D Secure test waits seconds, not minutes; long enough for a browser to click through. */
const PAYMENT_ACTION_TIMEOUT = '12 seconds';

let world: ApiWorld;
let browser: Browser;
let shop: string;
/** Every message the worker sent (e-mailed links among them), as a customer's inbox would hold them. */
const inbox: OutgoingMessage[] = [];

beforeAll(async () => {
  ensureWebBuilt();
  world = await startApiWorld({ stock: 50, api: { paymentActionTimeout: PAYMENT_ACTION_TIMEOUT, app: { storefrontDir: WEB_DIST, accounts: FAST_ACCOUNTS } },
    workerDeps: { notifier: { send: async (m) => { inbox.push(m); return { provider: 'test-inbox', messageId: m.idempotencyKey }; } } } });
  await insertProducts(world.db.orm.em.fork(), [{
    handle: 'merino-hoodie', title: 'Merino Hoodie', description: 'A warm hoodie of merino wool.',
    options: [{ name: 'Colour', values: ['Black', 'Navy'] }, { name: 'Size', values: ['S', 'M'] }],
    variants: [
      { sku: 'HOOD-BLK-S', options: { Colour: 'Black', Size: 'S' }, prices: { USD: 6800, EUR: 6200 }, onHand: 40 },
      { sku: 'HOOD-BLK-M', options: { Colour: 'Black', Size: 'M' }, prices: { USD: 6800, EUR: 6200 }, onHand: 40 },
      { sku: 'HOOD-NVY-S', options: { Colour: 'Navy', Size: 'S' }, prices: { USD: 6800, EUR: 6200 }, onHand: 0 },
      { sku: 'HOOD-NVY-M', options: { Colour: 'Navy', Size: 'M' }, prices: { USD: 6800, EUR: 6200 }, onHand: 40 },
    ],
  }]);
  // The demo store's shipping zones (standard and express), taxes and codes (WELCOME10).
  await insertDemoPricing(world.db.orm.em.fork());
  browser = await launchBrowser();
  shop = `${world.api.url}/shop`;
});
afterAll(async () => {
  await browser?.close();
  await stopApiWorld(world);
});

/** Collects axe's findings page by page, so one assertion at the end names every page that failed. */
function accessibility() {
  const found: { page: string; violations: Violation[] }[] = [];
  return {
    check: async (page: Page, name: string) => {
      const violations = await seriousViolations(page);
      if (violations.length) found.push({ page: name, violations });
    },
    found,
  };
}

async function addHoodieToCart(page: Page, colour = 'Navy', size = 'M'): Promise<void> {
  await page.goto(`${shop}/products/merino-hoodie`);
  await waitForText(page, 'Merino Hoodie');
  await clickText(page, colour);
  await clickText(page, size);
  await waitForText(page, 'In stock');
  await clickText(page, 'Add to cart');
  await waitForText(page, 'added to your cart');
}

async function checkOutAsGuest(page: Page, card: string): Promise<void> {
  await page.goto(`${shop}/checkout`);
  await waitForText(page, 'Delivery address');
  await fill(page, 'E-mail', 'ada@example.com');
  await fill(page, 'Full name', 'Ada Lovelace');
  await fill(page, 'Address', '12 St James Square');
  await fill(page, 'City', 'London');
  await fill(page, 'Postcode', 'SW1Y 4JH');
  await clickText(page, 'Use this address');
  await choose(page, 'Standard');
  await waitForText(page, 'Shipping (Standard)');
  await page.click(`input[value=${card}]`);
  await clickPlaceOrder(page);
}

/** The place-order button names the total: "Place order · $81.95". */
async function clickPlaceOrder(page: Page): Promise<void> {
  const button = await page.waitForSelector('button.primary.wide:not([disabled])');
  await button!.click();
}

/** A carrier scan, as support records one by hand; retried while the parcel's tracking workflow is still starting. */
async function recordScan(shipmentId: string, status: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const res = await world.api.request('POST', `/admin/shipments/${shipmentId}/carrier-events`, { headers: staff, body: { status, reason: 'scan' } });
    if (res.status === 200) return;
    if (Date.now() > deadline) throw new Error(`the ${status} scan was refused: ${res.status} ${JSON.stringify(res.body)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** An order placed through the REST API as a guest storefront would: the cart's address, its cheapest delivery, a Visa card. */
async function placeOrderByApi(): Promise<{ orderId: string; accessToken: string }> {
  const cart = (await world.api.request('POST', '/carts')).body;
  await world.api.request('POST', `/carts/${cart.id}/items`, { body: { sku: 'HOOD-BLK-M', quantity: 1 } });
  await world.api.request('PUT', `/carts/${cart.id}/shipping-address`, { body: ADDRESS });
  const { options } = (await world.api.request('GET', `/carts/${cart.id}/shipping-options`)).body;
  await world.api.request('PUT', `/carts/${cart.id}/shipping-method`, { body: { methodId: options[0].id } });
  const res = await world.api.request('POST', `/carts/${cart.id}/checkout`, { headers: { 'Idempotency-Key': randomUUID() },
    body: { email: 'ada@example.com', paymentMethod: 'pm_card_visa' } });
  if (res.status !== 202) throw new Error(`checkout answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Checkout (or the bank's page) has moved on to the order's page. */
async function onOrderPage(page: Page): Promise<void> {
  try {
    await page.waitForFunction('/\\/shop\\/orders\\//.test(location.href)', { timeout: 20_000 });
  } catch (err) {
    throw new Error(`still on ${page.url()}, which shows:\n${String(await page.evaluate('document.body.innerText')).slice(0, 1500)}`, { cause: err });
  }
}

const orderIdOf = (page: Page) => /\/shop\/orders\/([0-9a-f-]{36})/.exec(page.url())?.[1];

describe('the storefront in a browser', () => {
  it('a guest buys with a Visa card and watches the order ship and arrive on the live order page', async () => {
    const { page, errors } = await newShopper(browser);
    const a11y = accessibility();
    await page.goto(`${shop}/`);
    await waitForText(page, 'New arrivals');
    await a11y.check(page, 'home');
    await addHoodieToCart(page);
    await a11y.check(page, 'product');
    await clickText(page, 'View cart');
    await waitForText(page, 'Your cart');
    await waitForText(page, '$68.00');
    await clickText(page, '+');
    await waitForText(page, '$136.00');
    await a11y.check(page, 'cart');
    await checkOutAsGuest(page, 'pm_card_visa');
    await onOrderPage(page);
    const orderId = orderIdOf(page)!;
    await waitForText(page, 'Card authorized');
    await waitForText(page, 'Sent to the warehouse');
    await a11y.check(page, 'order');

    // The warehouse packs and the carrier scans: the open page shows each step as it happens, with no reload.
    await waitForOrder(world.api, orderId, (l) => (l.fulfillment as { stage?: string } | undefined)?.stage === 'allocated');
    expect((await world.api.request('POST', `/warehouse/orders/${orderId}/packed`, { headers: staff, body: { packedBy: 'pat' } })).status).toBe(202);
    await waitForText(page, 'Shipped');
    await waitForText(page, 'Card charged');
    const { body } = await world.api.request('GET', `/orders/${orderId}/shipments`, { headers: staff });
    const shipmentId = body.shipments[0].id;
    for (const status of ['in_transit', 'delivered']) await recordScan(shipmentId, status);
    await waitForText(page, 'In transit');
    await page.waitForFunction("/Delivered/.test(document.querySelector('h1').textContent)");

    // The access link opens the order in another browser, and the page survives a reload.
    const link = await page.$eval('a.break', (a) => (a as unknown as { href: string }).href);
    const other = await newShopper(browser);
    await other.page.goto(link);
    await waitForText(other.page, 'Delivered');
    expect(other.page.url()).not.toContain('#token');
    await page.reload();
    await waitForText(page, 'Delivered');
    expect(a11y.found).toEqual([]);
    expect([...errors, ...other.errors]).toEqual([]);
  });

  it('a new customer signs up, buys with a new address, express delivery and a promotion code, and finds the order under "Your orders"', async () => {
    const { page, errors } = await newShopper(browser);
    const a11y = accessibility();
    await addHoodieToCart(page, 'Black', 'S');
    await page.goto(`${shop}/account/sign-up`);
    await fill(page, 'Name', 'Grace Hopper');
    await fill(page, 'E-mail', `grace-${Date.now()}@example.com`);
    await fill(page, 'Password', 'a long and unusual passphrase');
    await a11y.check(page, 'sign-up');
    await clickText(page, 'Create account');
    await waitForText(page, 'Your account');
    await waitForText(page, 'Saved addresses');
    await a11y.check(page, 'account');
    // The guest cart came along into the account.
    await page.goto(`${shop}/checkout`);
    await waitForText(page, 'Signed in as');
    await fill(page, 'Full name', 'Grace Hopper');
    await fill(page, 'Address', '1 Navy Yard');
    await fill(page, 'City', 'Arlington');
    await fill(page, 'Postcode', '22202');
    await page.select('#shipping-country', 'US');
    await clickText(page, 'Use this address');
    // Express to the US: $19.95; WELCOME10 takes 10 % off the $68.00 hoodie.
    await choose(page, 'Express');
    await waitForText(page, 'Shipping (Express)');
    await fill(page, 'Promotion code', 'WELCOME10');
    await clickText(page, 'Apply');
    await waitForText(page, '10 % off your first order (WELCOME10)');
    await waitForText(page, '−$6.80');
    await waitForText(page, 'Place order · $81.15');
    await a11y.check(page, 'checkout');
    await clickPlaceOrder(page);
    await onOrderPage(page);
    await waitForText(page, 'Card authorized');
    const orderId = orderIdOf(page)!;
    // The order keeps the breakdown it was sold at.
    await waitForText(page, '10 % off your first order (WELCOME10)');
    await waitForText(page, '$81.15');
    await page.goto(`${shop}/account/orders`);
    await waitForText(page, '$81.15');
    expect(await page.$(`a[href="/shop/orders/${orderId}"]`)).not.toBeNull();
    await a11y.check(page, 'my orders');
    expect(a11y.found).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('a customer who forgot the password gets a link by e-mail, chooses a new one on the page it opens, and signs in with it', async () => {
    const email = `ada-${Date.now()}@example.com`;
    expect((await world.api.request('POST', '/auth/sign-up', { body: { email, password: 'the first long passphrase', name: 'Ada' } })).status).toBe(201);
    const { page, errors } = await newShopper(browser);
    await page.goto(`${shop}/account/sign-in`);
    await clickText(page, 'Forgot your password?');
    await waitForText(page, 'Reset your password');
    await fill(page, 'E-mail', email);
    await clickText(page, 'E-mail me a link');
    await waitForText(page, 'an e-mail with a link to choose a new password is on its way');
    expect(await seriousViolations(page)).toEqual([]);
    // The links lead to STOREFRONT_URL's pages; this test's storefront is at its own address.
    const link = async (page: string) => {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const found = inbox.filter((m) => m.to === email).map((m) => new RegExp(`/shop/account/${page}#token=[\\w-]+`).exec(m.text)?.[0]).find(Boolean);
        if (found) return `${world.api.url}${found}`;
        if (Date.now() > deadline) throw new Error(`no ${page} link was e-mailed to ${email}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    await page.goto(await link('reset-password'));
    await waitForText(page, 'Choose a new password');
    await fill(page, 'New password', 'a second long passphrase');
    await clickText(page, 'Set the new password');
    await waitForText(page, 'Your password is changed');
    await page.goto(`${shop}/account/sign-in`);
    await fill(page, 'E-mail', email);
    await fill(page, 'Password', 'a second long passphrase');
    await clickText(page, 'Sign in', 'form button');
    await waitForText(page, 'Saved addresses');
    // The sign-up's confirmation link, opened in the browser, confirms the address.
    await page.goto(await link('verify-email'));
    await waitForText(page, 'Your address is confirmed');
    expect(errors).toEqual([]);
  });

  it('a card that asks for 3-D Secure goes through the bank\'s challenge page, and the order carries on once confirmed', async () => {
    const { page, errors } = await newShopper(browser);
    await addHoodieToCart(page);
    await checkOutAsGuest(page, 'pm_card_authenticationRequired');
    await waitForText(page, 'Confirm your payment');
    await waitForText(page, 'Your bank asks you to confirm a payment of $');
    expect(await seriousViolations(page)).toEqual([]);
    await clickText(page, 'Confirm payment');
    await onOrderPage(page);
    await waitForText(page, 'Card authorized');
    await waitForText(page, 'Sent to the warehouse');
    expect(errors).toEqual([]);
  });

  it('a 3-D Secure challenge left unanswered times out: the order page says the order was not placed and nothing was charged', async () => {
    const { page, errors } = await newShopper(browser);
    await addHoodieToCart(page);
    await checkOutAsGuest(page, 'pm_card_authenticationRequired');
    await waitForText(page, 'Confirm your payment');
    await clickText(page, 'See the order');
    await waitForText(page, 'Your bank asked you to confirm the payment');
    await waitForText(page, 'Order not placed', 40_000);
    await waitForText(page, 'nothing was charged');
    expect(errors).toEqual([]);
  });

  it('a declined card says so in words, keeps the cart, and another card then goes through', async () => {
    const { page, errors } = await newShopper(browser);
    await addHoodieToCart(page);
    await checkOutAsGuest(page, 'pm_card_chargeDeclined');
    await waitForText(page, 'Your card was declined: the bank declined the card');
    expect(page.url()).toMatch(/\/shop\/checkout$/);
    expect(await seriousViolations(page)).toEqual([]);
    // The cart is kept, with its address and delivery: the cart page still lists it, and the next card buys it.
    await page.goto(`${shop}/cart`);
    await waitForText(page, 'Merino Hoodie');
    await page.goto(`${shop}/checkout`);
    await waitForText(page, 'Shipping (Standard)');
    await fill(page, 'E-mail', 'ada@example.com');
    await page.click('input[value=pm_card_visa]');
    await clickPlaceOrder(page);
    await onOrderPage(page);
    await waitForText(page, 'Card authorized');
    expect(errors).toEqual([]);
  });

  it('an order not yet dispatched is cancelled from its page: the authorization is released and the page says so', async () => {
    const { page, errors } = await newShopper(browser);
    await addHoodieToCart(page);
    await checkOutAsGuest(page, 'pm_card_visa');
    await onOrderPage(page);
    await waitForText(page, 'Sent to the warehouse');
    await clickText(page, 'Cancel order');
    await clickText(page, 'Yes, cancel the order');
    await waitForText(page, 'Order cancelled', 45_000);
    await waitForText(page, 'nothing was charged');
    expect(await page.$('.cancel button')).toBeNull();
    expect(errors).toEqual([]);
  });

  it('at 375 px every page of the journey fits the screen and passes axe', async () => {
    const placed = await placeOrderByApi();
    const { page, errors } = await newShopper(browser, PHONE);
    const a11y = accessibility();
    const wide: string[] = [];
    const visit = async (name: string, path: string, shows: string) => {
      await page.goto(`${shop}${path}`);
      await waitForText(page, shows);
      if (await overflowsSideways(page)) wide.push(name);
      await a11y.check(page, name);
    };
    await visit('home', '/', 'New arrivals');
    await visit('search', '/search?q=hoodie', 'Results for');
    await addHoodieToCart(page);
    await visit('product', '/products/merino-hoodie', 'Add to cart');
    await visit('cart', '/cart', 'Check out');
    await visit('checkout', '/checkout', 'Place order');
    await visit('sign-in', '/account/sign-in', 'Forgot your password?');
    await visit('order', `/orders/${placed.orderId}#token=${placed.accessToken}`, 'What is happening');
    expect(wide).toEqual([]);
    expect(a11y.found).toEqual([]);
    expect(errors).toEqual([]);
  });
});
