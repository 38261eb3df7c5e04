/**
 * GET /orders/:id/events: the live order page's stream. An order's timeline comes as server-sent
 * events as it changes, from the database (triggers beside each change, NOTIFY at commit), to
 * whoever may read the order; a reconnect with Last-Event-ID gets only what came after; any number
 * of pages following one order cost one read per change.
 */
import { startApiWorld, stopApiWorld, type ApiWorld } from '../support/api';
import { newCustomer, placeOrder, shipOrder, staff, waitForOrder } from '../support/orders-api';
import { sessionFor } from '../support/accounts';
import { Client } from 'pg';
import { orderEventsAfter, type OrderEventRow } from '../../src/store/order-events';

let world: ApiWorld;

beforeAll(async () => {
  world = await startApiWorld({ stock: 50 });
});
afterAll(async () => {
  await stopApiWorld(world);
});

interface Received { id: string; kind: string; status: string; text: string; orderStatus: string }

/** A reader of one event stream, as a browser's EventSource would read it (fetch, so it can send Authorization). */
async function follow(orderId: string, headers: Record<string, string>) {
  const controller = new AbortController();
  const res = await fetch(`${world.api.url}/orders/${orderId}/events`, { headers, signal: controller.signal });
  const events: Received[] = [];
  let comments = 0;
  const done = (async () => {
    if (!res.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const message = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (message.startsWith(':')) comments += 1;
          const data = /^data: (.*)$/m.exec(message)?.[1];
          const id = /^id: (.*)$/m.exec(message)?.[1];
          if (data) events.push({ ...JSON.parse(data), sseId: id });
        }
      }
    } catch {
      // aborted by the test
    }
  })();
  return {
    res, events, comments: () => comments,
    until: async (ok: (events: Received[]) => boolean, what: string, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!ok(events)) {
        if (Date.now() > deadline) throw new Error(`${what} did not come; got ${JSON.stringify(events.map((e) => `${e.kind}:${e.status}`))}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    close: async () => { controller.abort(); await done; },
  };
}

const has = (kind: string, status: string) => (events: Received[]) => events.some((e) => e.kind === kind && e.status === status);

describe('an order\'s timeline as server-sent events', () => {
  it('streams each change in plain words, from payment to the carrier\'s scans and delivery, behind the order token', async () => {
    const { orderId, accessToken } = await placeOrder(world.api, world.db);
    const stream = await follow(orderId, { Authorization: `Bearer ${accessToken}` });
    expect(stream.res.status).toBe(200);
    expect(stream.res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(stream.res.headers.get('cache-control')).toBe('no-cache, no-transform');
    await stream.until(has('order', 'awaiting_fulfillment'), 'awaiting fulfillment');
    const shipmentId = await shipOrder(world.api, world.db, orderId);
    for (const status of ['in_transit', 'out_for_delivery', 'delivered']) {
      const res = await world.api.request('POST', `/admin/shipments/${shipmentId}/carrier-events`, { headers: staff, body: { status, reason: 'scan' } });
      expect(res.status).toBeLessThan(300);
    }
    await stream.until(has('scan', 'delivered'), 'the delivered scan');
    await stream.until(has('order', 'delivered'), 'the order delivered');
    const texts = stream.events.map((e) => e.text);
    expect(texts).toEqual(expect.arrayContaining(['Order placed', 'Card authorized (not charged yet: the charge is taken when the parcel ships)',
      'Order confirmed', 'Sent to the warehouse', 'Packed', 'Shipping label printed', 'Card charged', 'Shipped', 'In transit', 'Out for delivery', 'Delivered']));
    // Who packed, and who recorded a scan by hand, stay with support.
    expect(JSON.stringify(stream.events)).not.toMatch(/pat|staff:/);
    expect(texts.find((t) => t.startsWith('Shipping label bought: '))).toBeDefined();
    // In the order they happened, each id larger than the one before, nothing twice.
    const ids = stream.events.map((e) => BigInt(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => (a < b ? -1 : 1)));
    expect(new Set(ids).size).toBe(ids.length);
    expect(stream.events.indexOf(stream.events.find((e) => e.status === 'captured')!))
      .toBeLessThan(stream.events.indexOf(stream.events.find((e) => e.kind === 'scan')!));
    expect(stream.events.at(-1)!.orderStatus).toBe('delivered');
    await stream.close();
  });

  it('resumes after Last-Event-ID with only what came after, and answers the customer\'s session as well as the token', async () => {
    const customerId = await newCustomer(world.db);
    const { orderId } = await placeOrder(world.api, world.db, { customerId });
    const session = await sessionFor(world.db, customerId);
    const first = await follow(orderId, session);
    await first.until(has('order', 'awaiting_fulfillment'), 'awaiting fulfillment');
    await first.close();
    const seen = first.events.at(-1)!.id;
    await shipOrder(world.api, world.db, orderId);
    const again = await follow(orderId, { ...session, 'Last-Event-ID': seen });
    await again.until(has('order', 'shipped'), 'shipped');
    expect(again.events.every((e) => BigInt(e.id) > BigInt(seen))).toBe(true);
    expect(again.events.map((e) => e.status)).not.toContain('authorized');
    expect(again.events.map((e) => `${e.kind}:${e.status}`)).toEqual(expect.arrayContaining(['fulfillment:packed', 'payment:captured', 'order:shipped']));
    await again.close();
  });

  it('is the same 404 as a missing order for a wrong token or another customer\'s session', async () => {
    const { orderId } = await placeOrder(world.api, world.db);
    const other = await sessionFor(world.db, await newCustomer(world.db));
    for (const headers of [{ Authorization: 'Bearer not-the-token' }, other, {}]) {
      const res = await world.api.request('GET', `/orders/${orderId}/events`, { headers });
      expect({ status: res.status, code: res.body.error.code }).toEqual({ status: 404, code: 'order_not_found' });
    }
  });

  it('sends an order\'s rows in commit order: a row whose transaction commits late is not skipped by a read in between', async () => {
    const { orderId } = await placeOrder(world.api, world.db);
    await waitForOrder(world.api, orderId, (l) => l.status === 'awaiting_fulfillment');
    const [last] = await orderEventsAfter(world.db.orm.em.fork(), orderId, 0n).then((rows) => rows.slice(-1));
    const slow = new Client({ connectionString: world.db.url });
    await slow.connect();
    try {
      // Row n is inserted by a transaction still open; row n + 1, inserted after it, commits first.
      await slow.query('begin');
      await slow.query(`select record_order_event($1, 'refund', 'pending', '{}')`, [orderId]);
      await world.db.orm.em.fork().getConnection().execute(`select record_order_event(?, 'refund', 'failed', '{}')`, [orderId]);
      let read: OrderEventRow[] | undefined;
      const reading = orderEventsAfter(world.db.orm.em.fork(), orderId, BigInt(last.id)).then((rows) => { read = rows; });
      await new Promise((r) => setTimeout(r, 300));
      expect(read).toBeUndefined(); // it waits for the open transaction instead of reading past its row
      await slow.query('commit');
      await reading;
      // The order's own workflow may add rows meanwhile (its fulfillment goes on): the two written here are what is checked.
      const written = read!.filter((r) => r.kind === 'refund');
      expect(written.map((r) => r.status)).toEqual(['pending', 'failed']);
      expect(BigInt(written[0].id)).toBeLessThan(BigInt(written[1].id));
    } finally {
      await slow.end();
    }
  });

  it('lets one transaction write the events of 100,000 orders (a bulk change holds a bounded number of locks; one per order filled the lock table)', async () => {
    const conn = world.db.orm.em.fork().getConnection();
    const inserted = await conn.execute(`
      insert into orders (idempotency_key, request_hash, status, email, shipping_address, currency, subtotal_amount, total_amount)
      select 'bulk-events-' || i, 'h', 'pending', 'bulk' || i || '@example.com', '{}', 'USD', 0, 0 from generate_series(1, 100000) as i
      returning id`);
    expect(inserted).toHaveLength(100000);
    const [{ n }] = await conn.execute<{ n: string }[]>(`select count(*) as n from order_events e join orders o on o.id = e.order_id
      where o.idempotency_key like 'bulk-events-%'`);
    expect(Number(n)).toBe(100000);
    await conn.execute(`delete from orders where idempotency_key like 'bulk-events-%'`);
  });

  it('many pages following one order cost one timeline read per change, not one per page', async () => {
    const { orderId, accessToken } = await placeOrder(world.api, world.db);
    await waitForOrder(world.api, orderId, (l) => l.status === 'awaiting_fulfillment');
    const pages = await Promise.all(Array.from({ length: 8 }, () => follow(orderId, { Authorization: `Bearer ${accessToken}` })));
    for (const page of pages) await page.until(has('order', 'awaiting_fulfillment'), 'the timeline so far');
    const reads = await readsDuring(async () => {
      await world.api.request('POST', `/warehouse/orders/${orderId}/packed`, { headers: staff, body: { packedBy: 'pat' } });
      for (const page of pages) await page.until(has('order', 'shipped'), 'shipped');
    });
    const changes = pages[0].events.filter((e) => BigInt(e.id) > BigInt(pages[0].events.find((x) => x.status === 'awaiting_fulfillment')!.id)).length;
    // Changes committed together are read together; a change notified during a read makes one more read after it (which may
    // find that the read before already had it): at most two reads per change, whatever the number of pages, never one per page.
    expect(reads).toBeGreaterThan(0);
    expect(reads).toBeLessThanOrEqual(2 * changes + 1);
    expect(reads).toBeLessThan(pages.length * changes);
    for (const page of pages) expect(page.events.map((e) => e.id)).toEqual(pages[0].events.map((e) => e.id));
    await Promise.all(pages.map((p) => p.close()));
  });
});

/** How many timeline reads the API's hub made while `work` ran. */
async function readsDuring(work: () => Promise<void>): Promise<number> {
  const hub = world.api.orderEvents;
  const before = hub.reads;
  await work();
  return hub.reads - before;
}
