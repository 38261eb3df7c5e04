/**
 * The storefront's search as a shopper uses it, in Debian's Chromium (puppeteer-core), against the
 * demo catalog (64 products in a category tree, collections, brands and materials) behind this
 * file's API: a misspelt word in the header's box, its suggestions by keyboard and the correction;
 * facets whose counts follow the other filters; a sort; pages forward and back with the page's
 * buttons and the browser's; a shared link; errors in the API's words; the page at 375 px. What the
 * pages should show is worked out from the catalog's own definition (demoCatalog()), not from the
 * search code. Every state visited is checked with axe-core for serious or critical violations.
 */
import type { Browser, Page } from 'puppeteer-core';
import { ensureWebBuilt, WEB_DIST } from '../../src/cli/build-web';
import { demoCatalog, seedDemoCatalogOnce } from '../../src/db/demo-catalog';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { startTestApi, type TestApi } from '../support/api';
import { choose, clickText, fill, launchBrowser, newShopper, overflowsSideways, PHONE, seriousViolations, waitForText } from '../support/browser';

let db: TestDatabase;
let api: TestApi;
let browser: Browser;
let shop: string;
const demo = demoCatalog();

beforeAll(async () => {
  ensureWebBuilt();
  db = await createTestDatabase();
  await seedDemoCatalogOnce(db.orm.em.fork());
  api = await startTestApi(db.orm, { app: { storefrontDir: WEB_DIST } });
  browser = await launchBrowser();
  shop = `${api.url}/shop`;
});
afterAll(async () => {
  await browser?.close();
  await api?.close();
  await db?.drop();
});

const PAGE = 12;
const priceOf = (p: (typeof demo)[number]) => Math.min(...p.variants.map((v) => v.prices.USD));
const brandOf = (p: (typeof demo)[number]) => p.attributes?.brand?.[0];
const merino = demo.filter((p) => p.title.startsWith('Merino'));
const TOPS = ['tops'];
const CLOTHING = ['tops', 'bottoms', 'outerwear'];

/** The product titles on the page, in order. */
const titles = (page: Page) => page.$$eval('.grid .card h3', (hs) => hs.map((h) => (h as unknown as { textContent: string }).textContent));

/** What the page says about a facet value: "Tops (3)" → 3; undefined when it is not listed. */
async function countOf(page: Page, legend: string, value: string): Promise<number | undefined> {
  return page.evaluate((l: string, v: string) => {
    const g = globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<{ textContent: string; querySelectorAll(s: string): ArrayLike<{ textContent: string }> }> } };
    const set = Array.from(g.document.querySelectorAll('fieldset.facet')).find((f) => f.querySelectorAll('legend')[0]?.textContent === l);
    const label = set && Array.from(set.querySelectorAll('label.choice')).find((c) => c.textContent.trim().startsWith(`${v} (`));
    const m = label && /\((\d+)\)\s*$/.exec(label.textContent.trim());
    return m ? Number(m[1]) : undefined;
  }, legend, value);
}

const query = (page: Page) => new URL(page.url()).searchParams;

/** Waits until the results are the ones asked for (the status line no longer says it is updating). */
async function settled(page: Page): Promise<void> {
  await page.waitForFunction("document.querySelector('.results')?.getAttribute('aria-busy') === 'false'");
}

async function expectNoViolations(page: Page, found: string[], name: string): Promise<void> {
  for (const v of await seriousViolations(page)) found.push(`${name}: ${v.id} (${v.help}) at ${v.nodes.join(', ')}`);
}

describe('searching the storefront in a browser', () => {
  it('a misspelt word finds the product through the suggestions and the correction; facets narrow it and their counts follow', async () => {
    const { page, errors } = await newShopper(browser);
    const a11y: string[] = [];
    const suggestionRequests: string[] = [];
    page.on('request', (r) => { if (r.url().includes('/products/suggestions')) suggestionRequests.push(r.url()); });
    await page.goto(`${shop}/`);
    await waitForText(page, 'Shop by category');

    // Typing "meirno" at a typist's pace: suggestions wait for the pause, so six keys cost one or two requests, not six.
    await page.click('#site-search');
    await page.type('#site-search', 'meirno', { delay: 40 });
    await page.waitForSelector('#search-suggestions:not([hidden]) [role=option]');
    expect(suggestionRequests.length).toBeLessThanOrEqual(2);
    expect(suggestionRequests.at(-1)).toContain('q=meirno');
    const box = await page.$eval('#site-search', (el) => ({ expanded: el.getAttribute('aria-expanded'), controls: el.getAttribute('aria-controls') }));
    expect(box).toEqual({ expanded: 'true', controls: 'search-suggestions' });
    const options = await page.$$eval('[role=option]', (os) => os.map((o) => (o as unknown as { textContent: string }).textContent.trim()));
    // The word corrected from the catalog's own, then products that have it.
    expect(options[0]).toBe('merino');
    expect(options.slice(1).every((t) => t.startsWith('Merino'))).toBe(true);
    await expectNoViolations(page, a11y, 'suggestions open');

    // The arrow keys move through the list while the focus stays in the box; Escape closes it.
    await page.keyboard.press('ArrowDown');
    const active = await page.$eval('#site-search', (el) => el.getAttribute('aria-activedescendant'));
    expect(await page.$eval(`#${active}`, (el) => [el.getAttribute('aria-selected'), (el as unknown as { textContent: string }).textContent.trim()]))
      .toEqual(['true', 'merino']);
    await page.keyboard.press('ArrowUp');
    expect(await page.$eval('#site-search', (el) => el.getAttribute('aria-activedescendant'))).toBeNull();
    await page.keyboard.press('Escape');
    await page.waitForSelector('#search-suggestions[hidden]');
    expect(await page.$eval('#site-search', (el) => el.getAttribute('aria-expanded'))).toBe('false');

    // Enter searches the word as typed: nothing has it, so the page says what it searched instead.
    await page.keyboard.press('Enter');
    await waitForText(page, 'Results for “meirno”');
    await waitForText(page, 'Nothing matched “meirno”. Showing results for merino.');
    await waitForText(page, `${merino.length} products`);
    expect((await titles(page)).sort()).toEqual(merino.map((p) => p.title).sort());
    await expectNoViolations(page, a11y, 'corrected results');

    // Picking the suggestion instead: down to "merino", Enter.
    await page.click('#site-search', { clickCount: 3 });
    await page.type('#site-search', 'meirno', { delay: 40 });
    await page.waitForSelector('#search-suggestions:not([hidden]) [role=option]');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await waitForText(page, 'Results for “merino”');
    await settled(page);
    expect(query(page).get('q')).toBe('merino');
    expect(await page.$('.notice')).toBeNull();

    // Facet counts: each brand's count is of the merino products it has; ticking Tops narrows the results and the brands'
    // counts to the tops, while the categories keep counting as if Tops were not ticked (they are alternatives).
    const brandCount = (products: typeof demo, brand: string) => products.filter((p) => brandOf(p) === brand).length;
    const merinoTops = merino.filter((p) => p.categories?.some((c) => TOPS.includes(c)));
    for (const brand of ['Northwind', 'Fjordline']) expect(await countOf(page, 'Brand', brand)).toBe(brandCount(merino, brand));
    expect(await countOf(page, 'Category', 'Tops')).toBe(merinoTops.length);
    await choose(page, 'Tops (');
    await waitForText(page, `${merinoTops.length} products`);
    await settled(page);
    expect(query(page).getAll('category')).toEqual(['tops']);
    expect((await titles(page)).sort()).toEqual(merinoTops.map((p) => p.title).sort());
    for (const brand of ['Northwind', 'Fjordline']) expect(await countOf(page, 'Brand', brand)).toBe(brandCount(merinoTops, brand));
    expect(await countOf(page, 'Category', 'Accessories')).toBe(merino.filter((p) => p.categories?.includes('accessories')).length);
    await expectNoViolations(page, a11y, 'filtered results');

    // Sort by price, highest first.
    await page.select('.sort select', 'price_desc');
    await page.waitForFunction("new URL(location.href).searchParams.get('sort') === 'price_desc'");
    await settled(page);
    expect(await titles(page)).toEqual([...merinoTops].sort((a, b) => priceOf(b) - priceOf(a)).map((p) => p.title));

    // The filter chip takes Tops off again; opening a product and coming back keeps the search.
    await clickText(page, 'Tops ×');
    await waitForText(page, `${merino.length} products`);
    expect(query(page).getAll('category')).toEqual([]);
    expect(query(page).get('sort')).toBe('price_desc');
    const dearest = [...merino].sort((a, b) => priceOf(b) - priceOf(a))[0];
    await clickText(page, dearest.title, '.card a h3');
    await waitForText(page, 'Add to cart');
    expect(page.url()).toBe(`${shop}/products/${dearest.handle}`);
    await page.goBack();
    await waitForText(page, `${merino.length} products`);
    expect((await titles(page))[0]).toBe(dearest.title);

    expect(a11y).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('pages through the clothing cheapest first, back and forth with its buttons and the browser\'s, and a shared page shows the same', async () => {
    const { page, errors } = await newShopper(browser);
    const clothing = demo.filter((p) => p.categories?.some((c) => CLOTHING.includes(c))).sort((a, b) => priceOf(a) - priceOf(b)).map((p) => p.title);
    const pageOf = (n: number) => clothing.slice((n - 1) * PAGE, n * PAGE);
    const pages = Math.ceil(clothing.length / PAGE);
    expect(pages).toBeGreaterThanOrEqual(3);

    await page.goto(`${shop}/`);
    await clickText(page, 'Clothing');
    await waitForText(page, `1–${PAGE} of ${clothing.length} products`);
    expect(await page.$eval('h1', (h) => (h as unknown as { textContent: string }).textContent)).toBe('Clothing');
    await page.select('.sort select', 'price_asc');
    await page.waitForFunction("new URL(location.href).searchParams.get('sort') === 'price_asc'");
    await settled(page);
    expect(await titles(page)).toEqual(pageOf(1));
    await waitForText(page, `Page 1 of ${pages}`);

    await clickText(page, 'Next');
    await waitForText(page, `Page 2 of ${pages}`);
    await settled(page);
    expect(await titles(page)).toEqual(pageOf(2));
    expect(query(page).get('cursor')).toBeTruthy();
    const secondPage = page.url();
    await clickText(page, 'Next');
    await waitForText(page, `Page 3 of ${pages}`);
    await settled(page);
    expect(await titles(page)).toEqual(pageOf(3));
    expect(await seriousViolations(page)).toEqual([]);


    // The page's Previous (a new step in the history), then the browser's back and forward buttons through every step.
    const shows = async (n: number) => {
      await waitForText(page, `Page ${n} of ${pages}`);
      await settled(page);
      expect(await titles(page)).toEqual(pageOf(n));
    };
    await clickText(page, 'Previous');
    await shows(2);
    await page.goBack();
    await shows(3);
    await page.goBack();
    await shows(2);
    await page.goBack();
    await shows(1);
    expect(query(page).get('cursor')).toBeNull();
    await page.goForward();
    await shows(2);
    const thirdPage = (await (async () => { await clickText(page, 'Next'); await shows(3); return page.url(); })());

    // Page 2's and page 3's addresses, opened by someone else, show the same products. From page 3 that browser never
    // came through page 2, so its way back is to the first page.
    const other = await newShopper(browser);
    await other.page.goto(secondPage);
    await waitForText(other.page, `13–24 of ${clothing.length} products`);
    await settled(other.page);
    expect(await titles(other.page)).toEqual(pageOf(2));
    await other.page.goto(thirdPage);
    await waitForText(other.page, `Page 3 of ${pages}`);
    await settled(other.page);
    expect(await titles(other.page)).toEqual(pageOf(3));
    await clickText(other.page, 'First page');
    await waitForText(other.page, `Page 1 of ${pages}`);
    await settled(other.page);
    expect(await titles(other.page)).toEqual(pageOf(1));
    expect([...errors, ...other.errors]).toEqual([]);
  });

  it('says in the API\'s words what is wrong with a link, and what to do when nothing matches', async () => {
    const { page, errors } = await newShopper(browser);
    await page.goto(`${shop}/search?category=no-such-category`);
    await waitForText(page, 'Invalid query: there is no category "no-such-category".');
    await page.goto(`${shop}/search?category=clothing&cursor=made-up&page=2&currency=USD`);
    await waitForText(page, 'This cursor cannot be used');
    await clickText(page, 'Go to the first page');
    await waitForText(page, `Page 1 of`);
    await page.goto(`${shop}/search?q=xylophone`);
    await waitForText(page, 'Nothing matches “xylophone”.');
    await page.goto(`${shop}/search?q=merino&attribute=brand:Northwind&inStock=true`);
    await settled(page);
    await clickText(page, 'Clear all');
    await page.waitForFunction("!location.search.includes('attribute')");
    expect(query(page).get('q')).toBe('merino');
    expect(query(page).get('inStock')).toBeNull();
    expect(errors).toEqual([]);
  });

  it('a price range keeps the products whose cheapest variant is in it, in the shown currency, and starts over when the currency changes', async () => {
    const { page, errors } = await newShopper(browser);
    await page.goto(`${shop}/search?q=merino`);
    await settled(page);
    await fill(page, 'Min', '30');
    await fill(page, 'Max', '70');
    await clickText(page, 'Apply');
    const within = merino.filter((p) => priceOf(p) >= 3000 && priceOf(p) <= 7000);
    expect(within.length).toBeGreaterThan(0);
    await waitForText(page, `${within.length} products`);
    await settled(page);
    expect((await titles(page)).sort()).toEqual(within.map((p) => p.title).sort());
    expect([query(page).get('priceMin'), query(page).get('priceMax'), query(page).get('currency')]).toEqual(['3000', '7000', 'USD']);
    await waitForText(page, '$30.00 to $70.00');
    // A range in dollars means nothing in euros: the search starts over without it, and says why.
    await page.select('.currency select', 'EUR');
    await waitForText(page, 'Prices are in EUR now, so the results start again from the first page.');
    await waitForText(page, `${merino.length} products`);
    expect(query(page).get('priceMin')).toBeNull();
    expect(query(page).get('q')).toBe('merino');
    await waitForText(page, '€');
    expect(errors).toEqual([]);
  });

  it('at 375 px the filters fold into a disclosure, the page fits the screen and passes axe', async () => {
    const { page, errors } = await newShopper(browser, PHONE);
    await page.goto(`${shop}/search?q=merino`);
    await settled(page);
    const toggle = '.facets-toggle';
    expect(await page.$eval(toggle, (b) => b.getAttribute('aria-expanded'))).toBe('false');
    expect(await page.$eval('#facet-lists', (d) => d.hasAttribute('hidden'))).toBe(true);
    expect(await seriousViolations(page)).toEqual([]);
    await page.click(toggle);
    await page.waitForSelector('#facet-lists:not([hidden])');
    const inStock = demo.filter((p) => p.title.startsWith('Merino') && p.variants.some((v) => v.onHand > 0)).length;
    await choose(page, 'In stock only');
    await waitForText(page, `${inStock} products`);
    await waitForText(page, 'Filters (1)');
    expect(await overflowsSideways(page)).toBe(false);
    expect(await seriousViolations(page)).toEqual([]);
    // The suggestions fit too.
    await page.click('#site-search', { clickCount: 3 });
    await page.type('#site-search', 'cashm', { delay: 40 });
    await page.waitForSelector('#search-suggestions:not([hidden]) [role=option]');
    expect(await overflowsSideways(page)).toBe(false);
    expect(await seriousViolations(page)).toEqual([]);
    expect(errors).toEqual([]);
  });
});
