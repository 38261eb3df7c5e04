import { Client } from 'pg';
import { MAX_LINES_PER_CART, MAX_QUANTITY_PER_LINE } from '../../src/domain/cart';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { startTestApi, type TestApi } from '../support/api';
import { insertProducts, type SeedProduct } from '../../src/db/seed';
import { touchWritableCart } from '../../src/store/carts';

let db: TestDatabase;
let api: TestApi;

const catalog: SeedProduct[] = [
  { handle: 'plain-tee', title: 'Plain Tee', description: 'A tee', variants: [
    { sku: 'TEE-M', title: 'M', prices: { USD: 2500 }, onHand: 5 },
    { sku: 'TEE-L', title: 'L', prices: { USD: 2700 }, onHand: 0 },
  ] },
  { handle: 'euro-mug', title: 'Euro Mug', description: 'A mug priced in euros', variants: [
    { sku: 'MUG-EU', title: 'One size', prices: { EUR: 1200 }, onHand: 50 },
  ] },
  { handle: 'bulk-screws', title: 'Screws', description: 'By the box, in bulk', variants: [
    { sku: 'SCREWS', title: 'Box', prices: { USD: 100 }, onHand: MAX_QUANTITY_PER_LINE + 100 },
  ] },
  { handle: 'old-lamp', title: 'Old Lamp', description: 'No longer sold', status: 'archived', variants: [
    { sku: 'LAMP', title: 'One size', prices: { USD: 4000 }, onHand: 10 },
  ] },
  { handle: 'stickers', title: 'Stickers', description: 'One of each', variants: Array.from({ length: MAX_LINES_PER_CART }, (_, i) => (
    { sku: `STICKER-${i}`, title: `No. ${i}`, prices: { USD: 100 }, onHand: 10 })) },
];

beforeAll(async () => {
  db = await createTestDatabase();
  await insertProducts(db.orm.em.fork(), catalog);
  api = await startTestApi(db.orm);
});
afterAll(async () => {
  await api?.close();
  await db?.drop();
});

async function newCart(): Promise<string> {
  const res = await api.request('POST', '/carts', { body: {} });
  expect(res.status).toBe(201);
  return res.body.id;
}

async function lineCount(cartId: string): Promise<number> {
  const [row] = await db.orm.em.fork().getConnection().execute('select count(*)::int as n from cart_lines where cart_id = ?', [cartId]);
  return row.n;
}

async function untilAStatementWaitsForALock(client: Client): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const { rows } = await client.query(`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`);
    if (rows[0].n > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('no statement started waiting for the cart lock within 2 s');
}

describe('carts', () => {
  it('creates a cart with an unguessable id of at least 122 random bits', async () => {
    const res = await api.request('POST', '/carts');
    expect(res.status).toBe(201);
    expect(res.body.id).toMatch(/^[A-Za-z0-9_-]{22}$/); // 16 random bytes, base64url
    expect(res.headers.get('location')).toBe(`/carts/${res.body.id}`);
    expect(res.body).toEqual(expect.objectContaining({ status: 'active', currency: 'USD', lines: [], itemCount: 0 }));
    expect(res.body.subtotal).toEqual({ amount: 0, currency: 'USD', formatted: '$0.00' });
  });

  it('prices lines on the server and adds to an existing line', async () => {
    const id = await newCart();
    await api.request('POST', `/carts/${id}/items`, { body: { sku: 'TEE-M', quantity: 1 } });
    const res = await api.request('POST', `/carts/${id}/items`, { body: { sku: 'TEE-M', quantity: 2 } });
    expect(res.status).toBe(200);
    expect(res.body.lines).toEqual([expect.objectContaining({ sku: 'TEE-M', quantity: 3, available: 5 })]);
    expect(res.body.lines[0].unitPrice.amount).toBe(2500);
    expect(res.body.subtotal).toEqual({ amount: 7500, currency: 'USD', formatted: '$75.00' });
  });

  it('changes and removes a line', async () => {
    const id = await newCart();
    await api.request('POST', `/carts/${id}/items`, { body: { sku: 'TEE-M', quantity: 1 } });
    const changed = await api.request('PATCH', `/carts/${id}/items/TEE-M`, { body: { quantity: 4 } });
    expect(changed.status).toBe(200);
    expect(changed.body.subtotal.amount).toBe(10000);
    const removed = await api.request('DELETE', `/carts/${id}/items/TEE-M`);
    expect(removed.status).toBe(200);
    expect(removed.body.lines).toEqual([]);
    expect(await lineCount(id)).toBe(0);
  });

  it('refuses more than is in stock, saying how many are available, and writes nothing', async () => {
    const id = await newCart();
    const res = await api.request('POST', `/carts/${id}/items`, { body: { sku: 'TEE-M', quantity: 6 } });
    expect(res.status).toBe(409);
    expect(res.body.error).toEqual(expect.objectContaining({ code: 'insufficient_stock', details: { sku: 'TEE-M', requested: 6, available: 5 } }));
    const soldOut = await api.request('POST', `/carts/${id}/items`, { body: { sku: 'TEE-L', quantity: 1 } });
    expect(soldOut.status).toBe(409);
    expect(soldOut.body.error.message).toBe('TEE-L is out of stock.');
    expect(await lineCount(id)).toBe(0);
  });

  it('refuses a quantity change beyond the stock and keeps the old quantity', async () => {
    const id = await newCart();
    await api.request('POST', `/carts/${id}/items`, { body: { sku: 'TEE-M', quantity: 2 } });
    const res = await api.request('PATCH', `/carts/${id}/items/TEE-M`, { body: { quantity: 9 } });
    expect(res.status).toBe(409);
    expect((await api.request('GET', `/carts/${id}`)).body.lines[0].quantity).toBe(2);
  });

  it('refuses an item with no price in the cart\'s currency, and takes it in a cart of a currency it is priced in', async () => {
    const id = await newCart();
    const res = await api.request('POST', `/carts/${id}/items`, { body: { sku: 'MUG-EU', quantity: 1 } });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('no_price_in_currency');
    expect(res.body.error.message).toBe('MUG-EU has no price in USD, the currency of this cart; it can be bought in a cart of a currency it is priced in.');
    expect(res.body.error.details).toEqual({ sku: 'MUG-EU', currency: 'USD' });
    expect(await lineCount(id)).toBe(0);

    const euro = await api.request('POST', '/carts', { body: { currency: 'EUR' } });
    const added = await api.request('POST', `/carts/${euro.body.id}/items`, { body: { sku: 'MUG-EU', quantity: 2 } });
    expect(added.status).toBe(200);
    expect(added.body.lines[0]).toEqual(expect.objectContaining({ sku: 'MUG-EU', forSale: true, unitPrice: { amount: 1200, currency: 'EUR', formatted: '€12.00' } }));
    expect(added.body.subtotal).toEqual({ amount: 2400, currency: 'EUR', formatted: '€24.00' });
  });

  it('answers 404 for a cart that does not exist and 422 for an unknown SKU', async () => {
    const missing = await api.request('GET', '/carts/AAAAAAAAAAAAAAAAAAAAAA');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('cart_not_found');
    const id = await newCart();
    const unknown = await api.request('POST', `/carts/${id}/items`, { body: { sku: 'NOPE-1', quantity: 1 } });
    expect(unknown.status).toBe(422);
    expect(unknown.body.error.code).toBe('unknown_sku');
    const noLine = await api.request('PATCH', `/carts/${id}/items/TEE-M`, { body: { quantity: 1 } });
    expect(noLine.status).toBe(404);
    expect(noLine.body.error.code).toBe('line_not_found');
  });

  it('refuses writes to a cart that has expired or is being checked out', async () => {
    const id = await newCart();
    await api.request('POST', `/carts/${id}/items`, { body: { sku: 'TEE-M', quantity: 1 } });
    const conn = db.orm.em.fork().getConnection();
    await conn.execute(`update carts set status = 'expired' where id = ?`, [id]);
    // Every write, checkout included, gets the same 409 and a message that says what to do.
    for (const [method, path, body, headers] of [['POST', `/carts/${id}/items`, { sku: 'TEE-M', quantity: 1 }],
      ['PATCH', `/carts/${id}/items/TEE-M`, { quantity: 3 }], ['DELETE', `/carts/${id}/items/TEE-M`],
      ['POST', `/carts/${id}/checkout`, { email: 'ada@example.com', paymentMethod: 'pm_card_visa',
        shippingAddress: { name: 'Ada Lovelace', line1: '12 St James Square', city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' } },
      { 'Idempotency-Key': '6f1c0c1e-3d5b-4c7a-9a59-0f3f6c1b2a10' }]] as const) {
      const expired = await api.request(method, path, { body, headers });
      expect({ method, path, status: expired.status, code: expired.body.error?.code, message: expired.body.error?.message }).toEqual({
        method, path, status: 409, code: 'cart_expired', message: `Cart ${id} has expired after a period of inactivity; create a new cart.` });
    }
    expect(await lineCount(id)).toBe(1);
    await conn.execute(`update carts set status = 'checked_out' where id = ?`, [id]);
    const done = await api.request('POST', `/carts/${id}/items`, { body: { sku: 'TEE-M', quantity: 1 } });
    expect(done.status).toBe(409);
    expect(done.body.error.code).toBe('cart_not_active');
    expect(await lineCount(id)).toBe(1);
  });

  it('an add that waits for another write to the same cart counts what that write added', async () => {
    const id = await newCart();
    const other = new Client({ connectionString: db.url });
    await other.connect();
    try {
      // Another write to the cart, under way: it holds the cart's row lock and has added 2 units.
      await other.query('begin');
      await other.query('update carts set updated_at = now() where id = $1', [id]);
      await other.query(`insert into cart_lines (cart_id, sku, quantity) values ($1, 'TEE-M', 2)`, [id]);
      const adding = api.request('POST', `/carts/${id}/items`, { body: { sku: 'TEE-M', quantity: 1 } });
      await untilAStatementWaitsForALock(other);
      await other.query('commit');
      const res = await adding;
      expect(res.status).toBe(200);
      expect(res.body.lines).toEqual([expect.objectContaining({ sku: 'TEE-M', quantity: 3 })]);
    } finally {
      await other.end();
    }
  });

  it('marks a cart used without a new entry in any of its indexes (a HOT update), so busy carts leave no index bloat', async () => {
    // The touch changes an indexed value only when the minute turns: start well inside one.
    if (new Date().getSeconds() >= 55) await new Promise((resolve) => setTimeout(resolve, 6_000));
    const id = await newCart();
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query('begin');
      const [before] = (await client.query('select updated_at from carts where id = $1', [id])).rows;
      await touchWritableCart({ rows: async (q, values) => (await client.query(typeof q === 'string' ? q : q.text, values)).rows }, id, null);
      const { rows: [counts] } = await client.query(
        `select n_tup_upd::int as updates, n_tup_hot_upd::int as hot from pg_stat_xact_user_tables where relid = 'carts'::regclass`);
      const [after] = (await client.query('select updated_at from carts where id = $1', [id])).rows;
      await client.query('commit');
      expect(after.updated_at.getTime()).toBeGreaterThan(before.updated_at.getTime()); // exact, not to the minute
      expect(counts).toEqual({ updates: 1, hot: 1 });
    } finally {
      await client.end();
    }
  });

  it('adds, changes and removes a line in one round trip to PostgreSQL each when nothing refuses it and nobody else writes to the cart', async () => {
    const id = await newCart();
    await api.request('POST', `/carts/${id}/items`, { body: { sku: 'TEE-M', quantity: 1 } });
    await api.request('POST', `/carts/${id}/items`, { body: { sku: 'SCREWS', quantity: 1 } });
    const writes = [
      ['POST', `/carts/${id}/items`, { sku: 'TEE-M', quantity: 2 }, [['TEE-M', 3], ['SCREWS', 1]]],
      ['PATCH', `/carts/${id}/items/SCREWS`, { quantity: 7 }, [['TEE-M', 3], ['SCREWS', 7]]],
      ['DELETE', `/carts/${id}/items/TEE-M`, undefined, [['SCREWS', 7]]],
    ] as const;
    for (const [method, path, body, lines] of writes) {
      const query = jest.spyOn(Client.prototype, 'query');
      let res, roundTrips;
      try {
        res = await api.request(method, path, { body });
      } finally {
        roundTrips = query.mock.calls.length;
        query.mockRestore();
      }
      // A transaction takes four: begin, the cart's lock (with what the rules need), the line, commit.
      expect({ method, status: res.status, roundTrips, lines: res.body.lines.map((l: { sku: string; quantity: number }) => [l.sku, l.quantity]) })
        .toEqual({ method, status: 200, roundTrips: 1, lines });
      // The answer's time is the write's own (the statement reads the cart as it was before its touch).
      const [cart] = await db.orm.em.fork().getConnection().execute('select updated_at from carts where id = ?', [id]);
      expect(res.body.updatedAt).toBe(new Date(cart.updated_at).toISOString());
    }
  });

  it('refuses, by each of its rules, an add that would break it, writing nothing and leaving the cart as it was', async () => {
    const id = await newCart();
    for (let i = 0; i < MAX_LINES_PER_CART - 1; i++) {
      expect((await api.request('POST', `/carts/${id}/items`, { body: { sku: `STICKER-${i}`, quantity: 1 } })).status).toBe(200);
    }
    expect((await api.request('POST', `/carts/${id}/items`, { body: { sku: 'SCREWS', quantity: MAX_QUANTITY_PER_LINE } })).status).toBe(200);
    const before = (await api.request('GET', `/carts/${id}`)).body;
    const refusals = [
      [{ sku: 'SCREWS', quantity: 1 }, 422, 'cart_too_large'], // past MAX_QUANTITY_PER_LINE of one item, though in stock
      [{ sku: `STICKER-${MAX_LINES_PER_CART - 1}`, quantity: 1 }, 422, 'cart_too_large'], // a line past MAX_LINES_PER_CART
      [{ sku: 'LAMP', quantity: 1 }, 422, 'product_unavailable'],
      [{ sku: 'MUG-EU', quantity: 1 }, 422, 'no_price_in_currency'],
      [{ sku: 'NO-SUCH-SKU', quantity: 1 }, 422, 'unknown_sku'],
    ] as const;
    for (const [body, status, code] of refusals) {
      const res = await api.request('POST', `/carts/${id}/items`, { body });
      expect({ sku: body.sku, status: res.status, code: res.body.error?.code }).toEqual({ sku: body.sku, status, code });
    }
    const changes = [
      ['PATCH', 'STICKER-0', { quantity: 11 }, 409, 'insufficient_stock'],
      ['PATCH', 'TEE-M', { quantity: 1 }, 404, 'line_not_found'],
      ['DELETE', 'TEE-M', undefined, 404, 'line_not_found'],
    ] as const;
    for (const [method, sku, body, status, code] of changes) {
      const res = await api.request(method, `/carts/${id}/items/${sku}`, { body });
      expect({ method, sku, status: res.status, code: res.body.error?.code }).toEqual({ method, sku, status, code });
    }
    expect((await api.request('GET', `/carts/${id}`)).body).toEqual(before); // the same lines, and not even marked used
  });

  it('never lets concurrent adds push one cart past the stock', async () => {
    const id = await newCart();
    const results = await Promise.all(Array.from({ length: 8 }, () =>
      api.request('POST', `/carts/${id}/items`, { body: { sku: 'TEE-M', quantity: 1 } })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(5);
    expect(results.filter((r) => r.status === 409)).toHaveLength(3);
    expect((await api.request('GET', `/carts/${id}`)).body.lines[0].quantity).toBe(5);
  });
});
