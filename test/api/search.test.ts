/**
 * Storefront search against the real API and database: text with spelling correction, filters,
 * facet counts under the other filters, sorts, keyset pages, published products only, ETags that a
 * catalog write changes, and suggestions. Expected answers are computed from the demo catalog's
 * own definition (demoCatalog()), not from the search code.
 */
import { createTestDatabase, type TestDatabase } from '../support/db';
import { parseTsvector } from '../../src/domain/search-text';
import { staffAs, startTestApi, type ApiResponse, type TestApi } from '../support/api';
import { DEMO_CATEGORIES, demoCatalog, seedDemoCatalogOnce } from '../../src/db/demo-catalog';
import type { SeedProduct } from '../../src/db/seed';

let db: TestDatabase;
let api: TestApi;
const staff = staffAs('catalog');
const demo = demoCatalog();

beforeAll(async () => {
  db = await createTestDatabase();
  await seedDemoCatalogOnce(db.orm.em.fork());
  api = await startTestApi(db.orm);
});
afterAll(async () => {
  await api?.close();
  await db?.drop();
});

interface Card { handle: string; title: string; priceFrom: { amount: number; currency: string } | null; variants: { sku: string; inStock: boolean }[] }
interface Page { items: Card[]; total: number; nextCursor: string | null; nextOffset: number | null; correctedQuery: string | null; facets?: Facets }
interface Facets {
  categories: { handle: string; count: number; selected: boolean }[];
  collections: { handle: string; count: number; selected: boolean }[];
  attributes: { code: string; values: { value: string; count: number; selected: boolean }[] }[];
  price: { min: number; max: number; count: number } | null;
  inStock: { count: number };
}

async function search(query: string, headers: Record<string, string> = {}): Promise<ApiResponse & { body: Page }> {
  const res = await api.request('GET', `/products?${query}`, { headers });
  return res as ApiResponse & { body: Page };
}

async function ok(query: string): Promise<Page> {
  const res = await search(query);
  expect(res.status).toBe(200);
  return res.body;
}

const write = (method: string, path: string, etag: string, body?: unknown) =>
  api.request(method, path, { headers: { ...staff, 'If-Match': etag }, body });

/** Every page by cursor, as a storefront's "more" button walks them. */
async function walk(query: string): Promise<Card[]> {
  const out: Card[] = [];
  let cursor: string | null = null;
  do {
    const page: Page = await ok(`${query}&limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

// The oracle: the demo catalog's own definition.
const descendants = (handle: string): string[] =>
  [handle, ...DEMO_CATEGORIES.filter((c) => c.parent === handle).flatMap((c) => descendants(c.handle))];
const inCategory = (p: SeedProduct, handle: string) => (p.categories ?? []).some((c) => descendants(handle).includes(c));
const cheapest = (p: SeedProduct, currency: string) => Math.min(...p.variants.map((v) => v.prices?.[currency] ?? Infinity));
const inStock = (p: SeedProduct) => p.variants.some((v) => (v.onHand ?? 0) > 0);
const handles = (cards: Card[]) => cards.map((c) => c.handle).sort();
const count = (products: SeedProduct[], where: (p: SeedProduct) => boolean) => products.filter(where).length;

describe('text search', () => {
  it('finds products by their words, title matches first', async () => {
    const page = await ok('q=merino');
    expect(page.total).toBe(count(demo, (p) => /merino/i.test(`${p.title} ${p.description}`)));
    expect(page.items.every((c) => /merino/i.test(c.title))).toBe(true);
    expect(page.correctedQuery).toBeNull();
  });

  it('corrects a misspelt word when the text as typed finds nothing: "meirno" finds merino', async () => {
    const page = await ok('q=meirno%20hoodie');
    expect(page.correctedQuery).toBe('merino hoodie');
    expect(page.items.map((c) => c.handle)).toEqual(['merino-wool-hoodie']);
    const nothing = await ok('q=zeppelin');
    expect(nothing).toEqual(expect.objectContaining({ total: 0, items: [], correctedQuery: null, nextCursor: null }));
  });

  it('matches exactly what PostgreSQL\'s own text match does: words, exclusions, or, phrases, title matches first', async () => {
    const queries = ['merino', 'wool hoodie', 'linen -shirt', 'hoodie or boot', '"merino wool"', 't-shirt', 'wash',
      'northwind -merino', 'the', '-linen', 'cashmere or linen -hoodie', 'walking boots', "o'neil"];
    for (const q of queries) {
      const [oracle] = await db.orm.em.getConnection().execute<{ n: string; titles: string }[]>(
        `select count(*) as n, count(*) filter (where d.tsv @@ setweight_query) as titles
           from websearch_to_tsquery('english', ?) w
          cross join lateral (select regexp_replace(w::text, '(''(?:[^'']|'''')*'')', '\\1:A', 'g')::tsquery as setweight_query) t
           join search_documents d on d.tsv @@ w`, [q]);
      const page = await ok(`q=${encodeURIComponent(q)}&limit=100`);
      const label = `${q}: ${page.total} of ${oracle.n}`;
      expect(label).toBe(`${q}: ${oracle.n} of ${oracle.n}`);
      if (page.correctedQuery === null && page.total <= 100) {
        // Title matches first: the first `titles` cards are the ones whose title matched.
        const titles = Number(oracle.titles);
        const words = (await db.orm.em.getConnection().execute<{ handle: string }[]>(
          `select p.handle from search_documents d join products p on p.id = d.product_id,
                  lateral (select regexp_replace(websearch_to_tsquery('english', ?)::text, '(''(?:[^'']|'''')*'')', '\\1:A', 'g')::tsquery as tq) t
            where d.tsv @@ t.tq`, [q])).map((r) => r.handle).sort();
        expect(page.items.slice(0, titles).map((c) => c.handle).sort()).toEqual(words);
      }
    }
  });

  it('reads every document\'s tsvector text as PostgreSQL\'s own unnest does: weights, default D, no positions, quotes and backslashes', async () => {
    const weightsSql = `(select coalesce(json_object_agg(u.lexeme, case when u.weights is null then 15
                           else ('A' = any(u.weights))::int + ('B' = any(u.weights))::int * 2 + ('C' = any(u.weights))::int * 4
                                + ('D' = any(u.weights))::int * 8 end), '{}') from unnest(v) u)`;
    const tricky = [String.raw`'a''b':1A,2 'c\\d' 'e':3,4B 'f':5 'g':6C,7A`, `'x':1`, `'only'`, ``, `'d''''':9B,10B`];
    const rows = await db.orm.em.getConnection().execute<{ text: string; weights: Record<string, number> }[]>(
      `select v::text as text, ${weightsSql} as weights
         from (select tsv as v from search_documents union all select unnest(array[?]::text[])::tsvector) t`, [tricky]);
    expect(rows.length).toBeGreaterThan(tricky.length + 10);
    expect(rows.find((r) => r.text.includes('\\'))?.weights).toEqual({ "a'b": 9, 'c\\d': 15, e: 10, f: 8, g: 5 });
    for (const row of rows) expect({ text: row.text, weights: parseTsvector(row.text) }).toEqual(row);
  });

  it('finds a product by its new words the moment a write commits, and no longer by its old ones', async () => {
    const { id } = (await api.request('GET', '/products/merino-wool-hoodie')).body;
    const admin = await api.request('GET', `/admin/catalog/products/${id}`, { headers: staff });
    expect((await ok('q=zanzibar')).total).toBe(0);
    const before = (await ok('q=merino&limit=100')).items.map((c) => c.handle);
    const changed = await write('PATCH', `/admin/catalog/products/${id}`, admin.headers.get('etag') as string,
      { title: 'Zanzibar Hoodie', description: 'A hoodie for warm islands.' });
    expect(changed.status).toBe(200);
    expect((await ok('q=zanzibar')).items.map((c) => c.handle)).toEqual(['merino-wool-hoodie']);
    // Still merino by its material, no longer by its title: after every title match.
    const merino = (await ok('q=merino&limit=100')).items.map((c) => c.handle);
    expect(merino[merino.length - 1]).toBe('merino-wool-hoodie');
    const restored = await write('PATCH', `/admin/catalog/products/${id}`, changed.headers.get('etag') as string,
      { title: admin.body.title, description: admin.body.description });
    expect(restored.status).toBe(200);
    expect((await ok('q=zanzibar')).total).toBe(0);
    expect((await ok('q=islands')).total).toBe(0);
    expect((await ok('q=merino&limit=100')).items.map((c) => c.handle)).toEqual(before);
  });

  it('searches the words products are filed under (categories, collections, attribute values)', async () => {
    const page = await ok('q=northwind&limit=100');
    expect(handles(page.items)).toEqual(demo.filter((p) => p.attributes?.brand?.includes('Northwind')).map((p) => p.handle).sort());
  });
});

describe('filters and facets', () => {
  it('filters by a category with its descendants, a collection and attribute values, and counts facets under the other filters', async () => {
    const page = await ok('category=clothing&attribute=brand:Northwind&attribute=brand:Fjordline&facets=true&limit=100');
    const brands = ['Northwind', 'Fjordline'];
    const expected = demo.filter((p) => inCategory(p, 'clothing') && brands.includes(p.attributes?.brand?.[0] ?? ''));
    expect(handles(page.items)).toEqual(expected.map((p) => p.handle).sort());
    expect(page.total).toBe(expected.length);
    const facets = page.facets as Facets;
    // Brand counts ignore the brand filter (ticking Harbour & Co shows what it would add) but keep the category's.
    const brandCounts = facets.attributes.find((a) => a.code === 'brand')?.values ?? [];
    expect([...brandCounts].sort((a, b) => a.value.localeCompare(b.value))).toEqual(['Fjordline', 'Harbour & Co', 'Northwind'].map((b) => ({
      value: b, selected: b !== 'Harbour & Co', count: count(demo, (p) => inCategory(p, 'clothing') && p.attributes?.brand?.[0] === b),
    })));
    // Category counts ignore the category filter but keep the brands'; a parent counts its children's products.
    for (const handle of ['clothing', 'tops', 'accessories']) {
      expect(facets.categories.find((c) => c.handle === handle)?.count)
        .toBe(count(demo, (p) => inCategory(p, handle) && brands.includes(p.attributes?.brand?.[0] ?? '')));
    }
    expect(facets.categories.find((c) => c.handle === 'clothing')?.selected).toBe(true);
    // Collections are not filtered: their counts are of the results.
    expect(facets.collections.find((c) => c.handle === 'winter-warmers')?.count)
      .toBe(count(expected, (p) => (p.collections ?? []).includes('winter-warmers')));
    expect(facets.inStock.count).toBe(count(expected, inStock));
  });

  it('filters by price in the currency asked for (the cheapest variant) and by stock', async () => {
    const page = await ok('currency=EUR&priceMin=3000&priceMax=6000&inStock=true&facets=true&limit=100');
    const expected = demo.filter((p) => cheapest(p, 'EUR') >= 3000 && cheapest(p, 'EUR') <= 6000 && inStock(p));
    expect(handles(page.items)).toEqual(expected.map((p) => p.handle).sort());
    expect(page.items.every((c) => c.priceFrom?.currency === 'EUR')).toBe(true);
    // The price facet ignores the price filter: the whole range of what is in stock.
    const stocked = demo.filter(inStock);
    expect(page.facets?.price).toEqual({ min: Math.min(...stocked.map((p) => cheapest(p, 'EUR'))),
      max: Math.max(...stocked.map((p) => cheapest(p, 'EUR'))), count: stocked.length });
  });

  it('refuses what it cannot mean with one 400: an unknown category, a price range upside down, offset with a cursor', async () => {
    const unknown = await search('category=spaceships');
    expect(unknown.status).toBe(400);
    expect(unknown.body).toEqual(expect.objectContaining({ error: expect.objectContaining({ code: 'validation_failed' }) }));
    expect((await search('priceMin=500&priceMax=100')).status).toBe(400);
    expect((await search('offset=5000')).status).toBe(400);
    expect((await search('sort=cheapest')).status).toBe(400);
    const first = await ok('limit=5');
    expect((await search(`offset=5&cursor=${encodeURIComponent(first.nextCursor as string)}`)).status).toBe(400);
    // An attribute value no product has filters everything out, as a value just removed would.
    expect((await ok('attribute=brand:Nobody')).total).toBe(0);
  });
});

describe('sorting and pages', () => {
  it('walks every result once by cursor, in price order, cheapest variant first, ties in a stable order', async () => {
    const cards = await walk('sort=price_asc&category=tops');
    const expected = demo.filter((p) => inCategory(p, 'tops'));
    expect(handles(cards)).toEqual(expected.map((p) => p.handle).sort());
    const prices = cards.map((c) => c.priceFrom?.amount as number);
    expect(prices).toEqual([...prices].sort((a, b) => a - b));
    const down = await walk('sort=price_desc&category=tops');
    expect(down.map((c) => c.priceFrom?.amount)).toEqual([...prices].reverse());
  });

  it('pages by offset and by cursor alike, newest first', async () => {
    const byOffset = [...(await ok('sort=newest&limit=30')).items, ...(await ok('sort=newest&limit=30&offset=30')).items,
      ...(await ok('sort=newest&limit=30&offset=60')).items];
    const byCursor = await walk('sort=newest');
    expect(byCursor.map((c) => c.handle)).toEqual(byOffset.map((c) => c.handle));
    expect(byCursor).toHaveLength(demo.length);
  });

  it('refuses a cursor that was changed or made for another search: 400 invalid_cursor', async () => {
    const first = await ok('sort=price_asc&limit=5');
    const cursor = first.nextCursor as string;
    const changed = `${cursor.slice(0, 10)}${cursor[10] === 'A' ? 'B' : 'A'}${cursor.slice(11)}`;
    for (const query of [`sort=price_asc&cursor=${changed}`, `sort=price_desc&cursor=${cursor}`, `sort=price_asc&currency=EUR&cursor=${cursor}`,
      'cursor=nonsense']) {
      const res = await search(query);
      expect(res.status).toBe(400);
      expect(res.body).toEqual(expect.objectContaining({ error: expect.objectContaining({ code: 'invalid_cursor' }) }));
    }
  });
});

describe('what storefronts see and caching', () => {
  const created: { id: string; etag: string }[] = [];

  it('shows only published products: a draft appears when published and leaves when archived', async () => {
    const res = await api.request('POST', '/admin/catalog/products', { headers: staff, body: {
      title: 'Alpaca Poncho', description: 'A poncho in soft alpaca.', status: 'draft',
      options: [{ name: 'Colour', values: ['Grey'] }],
      variants: [{ sku: 'ALPPON-GRY', options: { Colour: 'Grey' }, prices: { USD: 15900 }, onHand: 4 }],
      attributes: { material: ['Alpaca'] },
    } });
    expect(res.status).toBe(201);
    created.push({ id: res.body.id, etag: res.headers.get('etag') as string });
    expect((await ok('q=alpaca')).total).toBe(0);
    expect((await api.request('GET', '/products/alpaca-poncho')).status).toBe(404);

    const published = await write('PATCH', `/admin/catalog/products/${res.body.id}`, created[0].etag, { status: 'published' });
    expect(published.status).toBe(200);
    created[0].etag = published.headers.get('etag') as string;
    expect((await ok('q=alpaca')).items.map((c) => c.handle)).toEqual(['alpaca-poncho']);
    // The README's walk: a misspelt search with a facet filter.
    const typo = await ok('q=alpca&attribute=material:Alpaca&facets=true');
    expect(typo).toEqual(expect.objectContaining({ correctedQuery: 'alpaca', total: 1 }));
    expect(typo.items[0].handle).toBe('alpaca-poncho');
    expect(typo.facets?.attributes.find((a) => a.code === 'material')?.values).toContainEqual({ value: 'Alpaca', count: 1, selected: true });

    const archived = await write('POST', `/admin/catalog/products/${res.body.id}/archive`, created[0].etag);
    expect(archived.status).toBe(200);
    created[0].etag = archived.headers.get('etag') as string;
    expect((await ok('q=alpaca')).total).toBe(0);
    expect((await ok('limit=1')).total).toBe(demo.length);
  });

  it('answers 304 to a current If-None-Match; a catalog write changes the ETag of lists and of the product page', async () => {
    const list = await search('q=linen&facets=true');
    const listTag = list.headers.get('etag') as string;
    expect(listTag).toMatch(/^W\/".+"$/);
    expect(list.headers.get('cache-control')).toMatch(/max-age/);
    const again = await search('q=linen&facets=true', { 'If-None-Match': listTag });
    expect(again.status).toBe(304);
    expect(again.body).toBeUndefined();

    const page = await api.request('GET', '/products/linen-hoodie');
    const pageTag = page.headers.get('etag') as string;
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('public, no-cache');
    expect((await api.request('GET', '/products/linen-hoodie', { headers: { 'If-None-Match': pageTag } })).status).toBe(304);

    // A staff write to the product changes both.
    const admin = await api.request('GET', `/admin/catalog/products/${page.body.id}`, { headers: staff });
    const changed = await write('PATCH', `/admin/catalog/products/${page.body.id}`, admin.headers.get('etag') as string,
      { description: 'A hoodie in breathable linen.' });
    expect(changed.status).toBe(200);
    const fresh = await search('q=linen&facets=true', { 'If-None-Match': listTag });
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get('etag')).not.toBe(listTag);
    const freshPage = await api.request('GET', '/products/linen-hoodie', { headers: { 'If-None-Match': pageTag } });
    expect(freshPage.status).toBe(200);
    expect(freshPage.body.description).toBe('A hoodie in breathable linen.');
  });

  it('keeps stock flags current: a variant sold out shows inStock false and leaves the in-stock filter', async () => {
    const product = demo.find((p) => p.handle === 'linen-t-shirt') as SeedProduct;
    const admin = await api.request('GET', '/admin/catalog/products/' +
      (await api.request('GET', '/products/linen-t-shirt')).body.id, { headers: staff });
    let etag = admin.headers.get('etag') as string;
    for (const v of product.variants) {
      const res = await write('PUT', `/admin/catalog/products/${admin.body.id}/variants/${v.sku}/stock`, etag, { onHand: 0 });
      expect(res.status).toBe(200);
      etag = res.headers.get('etag') as string;
    }
    const card = (await ok('q=linen%20t-shirt')).items.find((c) => c.handle === 'linen-t-shirt') as Card;
    expect(card.variants.every((v) => !v.inStock)).toBe(true);
    expect((await ok('q=linen&inStock=true&limit=100')).items.map((c) => c.handle)).not.toContain('linen-t-shirt');
  });

  it('shows a card as it is now after it was shown before: a new title, a new price, one variant of several sold out', async () => {
    const product = demo.find((p) => p.handle === 'merino-wool-hoodie') as SeedProduct;
    const [sold, ...others] = product.variants;
    const shown = async () => (await ok('q=hoodie&limit=100')).items.find((c) => c.handle === 'merino-wool-hoodie') as Card;
    const before = await shown();
    expect((await shown()).title).toBe(before.title); // shown twice: the second from the process's kept cards
    // Kept as its text in dollars, shown in euros: a text of its own, in euros (and the dollars' still there after).
    const inEuros = (await ok('q=hoodie&limit=100&currency=EUR')).items.find((c) => c.handle === 'merino-wool-hoodie') as Card;
    expect([inEuros.priceFrom?.currency, (inEuros.variants[0] as { price?: { currency: string } }).price?.currency]).toEqual(['EUR', 'EUR']);
    expect((await shown()).priceFrom).toEqual(before.priceFrom);
    const id = (await api.request('GET', '/products/merino-wool-hoodie')).body.id as string;
    let etag = (await api.request('GET', `/admin/catalog/products/${id}`, { headers: staff })).headers.get('etag') as string;
    const renamed = await write('PATCH', `/admin/catalog/products/${id}`, etag, { title: 'Merino Wool Hoodie, Renamed' });
    expect(renamed.status).toBe(200);
    etag = renamed.headers.get('etag') as string;
    expect((await shown()).title).toBe('Merino Wool Hoodie, Renamed');
    const repriced = await write('PATCH', `/admin/catalog/products/${id}/variants/${sold.sku}`, etag, { prices: { USD: 12345 } });
    expect(repriced.status).toBe(200);
    etag = repriced.headers.get('etag') as string;
    expect(((await shown()).variants.find((v) => v.sku === sold.sku) as { price?: { amount: number } } | undefined)?.price?.amount).toBe(12345);
    const soldOut = await write('PUT', `/admin/catalog/products/${id}/variants/${sold.sku}/stock`, etag, { onHand: 0 });
    expect(soldOut.status).toBe(200);
    etag = soldOut.headers.get('etag') as string;
    const after = await shown();
    expect(after.variants.find((v) => v.sku === sold.sku)?.inStock).toBe(false);
    expect(after.variants.filter((v) => others.some((o) => o.sku === v.sku)).every((v) => v.inStock)).toBe(true);
    // Put back as it was, for the other tests.
    const restoredStock = await write('PUT', `/admin/catalog/products/${id}/variants/${sold.sku}/stock`, etag, { onHand: sold.onHand });
    const restoredPrice = await write('PATCH', `/admin/catalog/products/${id}/variants/${sold.sku}`, restoredStock.headers.get('etag') as string,
      { prices: sold.prices });
    const restored = await write('PATCH', `/admin/catalog/products/${id}`, restoredPrice.headers.get('etag') as string, { title: product.title });
    expect([restoredStock.status, restoredPrice.status, restored.status]).toEqual([200, 200, 200]);
    expect((await shown()).title).toBe(before.title);
  });

  it('refuses the handle "suggestions", which the suggestions route answers at', async () => {
    const res = await api.request('POST', '/admin/catalog/products', { headers: staff, body: {
      handle: 'suggestions', title: 'Suggestions', description: '', variants: [{ sku: 'SUGG-1', prices: { USD: 100 } }],
    } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
  });
});

describe('suggestions', () => {
  it('completes the last word from the catalog\'s words and lists matching products, newest first', async () => {
    const res = await api.request('GET', '/products/suggestions?q=merino%20ho');
    expect(res.status).toBe(200);
    expect(res.body.completions).toContain('merino hoodie');
    expect(res.body.products.map((p: { handle: string }) => p.handle)).toEqual(['merino-wool-hoodie']);
    expect(res.headers.get('etag')).toBeTruthy();
    expect((await api.request('GET', '/products/suggestions?q=merino%20ho', { headers: { 'If-None-Match': res.headers.get('etag') as string } })).status)
      .toBe(304);
  });

  it('corrects a misspelt word as it completes it', async () => {
    const res = await api.request('GET', '/products/suggestions?q=cashmire');
    expect(res.status).toBe(200);
    expect(res.body.completions[0]).toBe('cashmere');
    expect(res.body.products.length).toBeGreaterThan(0);
    expect(res.body.products.every((p: { title: string }) => /cashmere/i.test(p.title))).toBe(true);
  });

  it('lists the same products, in the same order, as PostgreSQL\'s own prefix match; a hyphenated word is matched there', async () => {
    for (const q of ['me', 'wool ho', 'lin', 'cotton t', 'north', 't-sh', 'zzzq']) {
      const res = await api.request('GET', `/products/suggestions?q=${encodeURIComponent(q)}&limit=8`);
      expect(res.status).toBe(200);
      const words = q.split(' ');
      const tsquery = words.map((w, i) => `'${w}'${i === words.length - 1 ? ':*' : ''}`).join(' & ');
      const oracle = (await db.orm.em.getConnection().execute<{ handle: string }[]>(
        `select c.card->>'handle' as handle from search_documents d join search_cards c on c.product_id = d.product_id
          where d.tsv @@ to_tsquery('english', ?) order by d.created_at desc, d.doc_no desc limit 8`, [tsquery])).map((r) => r.handle);
      expect({ q, products: res.body.products.map((p: { handle: string }) => p.handle) }).toEqual({ q, products: oracle });
    }
    const tee = await api.request('GET', '/products/suggestions?q=t-sh');
    expect(tee.body.products.length).toBeGreaterThan(0);
  });

  it('is described in the OpenAPI document with the search\'s parameters', async () => {
    const doc = (await api.request('GET', '/openapi.json')).body;
    const names = doc.paths['/products'].get.parameters.map((p: { name: string }) => p.name);
    expect(names).toEqual(expect.arrayContaining(['q', 'category', 'collection', 'attribute', 'priceMin', 'priceMax', 'inStock', 'sort',
      'facets', 'cursor', 'If-None-Match']));
    expect(doc.paths['/products/suggestions'].get.responses['200']).toBeDefined();
    expect(doc.paths['/products'].get.responses['304']).toBeDefined();
  });
});
