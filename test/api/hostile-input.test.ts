/**
 * Hostile input at the API's one boundary (src/api/boundary.ts): a NUL (U+0000) or an unpaired
 * UTF-16 surrogate anywhere in a request is a 400 validation_failed in the one error shape, on every
 * route, and nothing is written; what Node refuses before Koa sees it (a NUL in a header, an unknown
 * method, CONNECT) answers in the same shape. Runs against the real API and a real worker.
 */
import { connect } from 'node:net';
import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import twilio from 'twilio';
import { signCarrierWebhook } from '../../src/api/routes/carrier-webhooks';
import { findUnstorableText } from '../../src/api/boundary';
import { startApiWorld, stopApiWorld, staffAs, type ApiWorld } from '../support/api';
import { ADDRESS } from '../support/checkout';
import { placeOrder, staff, waitForOrder } from '../support/orders-api';

const STRIPE_SECRET = 'whsec_test_hostile_0123456789';
const CARRIER_SECRET = 'carrier-secret-for-hostile-tests';
const TWILIO_TOKEN = 'twilio-token-for-hostile-tests';
const PUBLIC_BASE_URL = 'https://shop.example.com';

let world: ApiWorld;

beforeAll(async () => {
  world = await startApiWorld({ stock: 100, api: { app: { stripeWebhookSecret: STRIPE_SECRET, carrierWebhookSecret: CARRIER_SECRET,
    twilioAuthToken: TWILIO_TOKEN, publicBaseUrl: PUBLIC_BASE_URL, fulfillment: { autoPack: false, trackingPollEvery: '6 hours', trackingStallAfter: '5 days' } } } });
});
afterAll(async () => {
  await stopApiWorld(world);
});

/** Rows anything could have written: orders, carts, messages, webhooks, support's audit and notices. */
async function rowCounts() {
  const [row] = await world.db.orm.em.fork().getConnection().execute(
    `select (select count(*) from orders)::int as orders, (select count(*) from carts)::int as carts, (select count(*) from cart_lines)::int as lines,
            (select count(*) from notifications)::int as notifications, (select count(*) from webhook_events)::int as webhooks,
            (select count(*) from support_actions)::int as audit, (select count(*) from support_notices)::int as notices`);
  return row;
}

function expectUnstorable(res: { status: number; body: any }, where: string, path?: string) { // eslint-disable-line @typescript-eslint/no-explicit-any
  expect(res.status).toBe(400);
  expect(res.body).toEqual({ error: { code: 'validation_failed', message: expect.stringMatching(/cannot be stored/), requestId: expect.any(String),
    details: { in: where, issues: [expect.objectContaining({ code: 'unstorable_text', ...(path ? { path } : {}) })] } } });
}

async function cartWithMug(): Promise<string> {
  const cart = await world.api.request('POST', '/carts');
  await world.api.request('POST', `/carts/${cart.body.id}/items`, { body: { sku: 'MUG-1', quantity: 1 } });
  return cart.body.id;
}

describe('a NUL or an unpaired surrogate is refused with a 400, and nothing is written', () => {
  it('in a checkout\'s shipping address, as a NUL or as a lone surrogate, at any depth', async () => {
    const cartId = await cartWithMug();
    const before = await rowCounts();
    for (const [name, path] of [['Ada\u0000Lovelace', 'shippingAddress.name'], ['Ada \ud800', 'shippingAddress.name']] as const) {
      const res = await world.api.request('POST', `/carts/${cartId}/checkout`, { headers: { 'Idempotency-Key': randomUUID() },
        body: { email: 'ada@example.com', paymentMethod: 'pm_card_visa', shippingAddress: { ...ADDRESS, name } } });
      expectUnstorable(res, 'body', path);
    }
    // A lone low surrogate written as a JSON escape, as a hand-made client would send it.
    const raw = `{"email":"ada@example.com","paymentMethod":"pm_card_visa","shippingAddress":{"name":"x\\udc00","line1":"1 A St","city":"B","postalCode":"1","country":"GB"}}`;
    expectUnstorable(await world.api.request('POST', `/carts/${cartId}/checkout`, { rawBody: raw,
      headers: { 'content-type': 'application/json', 'Idempotency-Key': randomUUID() } }), 'body', 'shippingAddress.name');
    expect(await rowCounts()).toEqual(before);
    expect((await world.api.request('GET', `/carts/${cartId}`)).body.status).toBe('active');
  });

  it('in the search query and the path of /products', async () => {
    expectUnstorable(await world.api.request('GET', '/products?q=merino%00wool'), 'query', 'q');
    expectUnstorable(await world.api.request('GET', '/products/merino%00hoodie'), 'path parameters', 'idOrSlug');
  });

  it('in a field name, and in a body nested far deeper than any schema (no stack overflow, no 500)', async () => {
    const cartId = await cartWithMug();
    expectUnstorable(await world.api.request('POST', `/carts/${cartId}/items`, { rawBody: '{"sku":"MUG-1","quantity":1,"a\\u0000b":1}',
      headers: { 'content-type': 'application/json' } }), 'body');
    const deep = `${'['.repeat(20_000)}"\\u0000"${']'.repeat(20_000)}`;
    const res = await world.api.request('POST', `/carts/${cartId}/items`, { rawBody: `{"sku":"MUG-1","quantity":1,"x":${deep}}`,
      headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
  });

  it('in a customer\'s cancel reason on an order waiting for 3-D Secure: answered at once, the order still waits and cancels fine afterwards', async () => {
    const placed = await placeOrder(world.api, world.db, { paymentMethod: 'pm_card_authenticationRequired' });
    await waitForOrder(world.api, placed.orderId, (l) => l.status === 'awaiting_payment_action');
    const before = await rowCounts();
    const started = Date.now();
    const res = await world.api.request('POST', `/orders/${placed.orderId}/cancel`, {
      headers: { Authorization: `Bearer ${placed.accessToken}` }, body: { reason: 'changed\u0000mind' } });
    expectUnstorable(res, 'body', 'reason');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await rowCounts()).toEqual(before);
    expect((await waitForOrder(world.api, placed.orderId, () => true)).body.live.status).toBe('awaiting_payment_action');

    const cancelled = await world.api.request('POST', `/orders/${placed.orderId}/cancel`, {
      headers: { Authorization: `Bearer ${placed.accessToken}` }, body: { reason: 'changed my mind' } });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
  });

  it('in staff reasons: hold, release and cancel', async () => {
    const placed = await placeOrder(world.api, world.db);
    await waitForOrder(world.api, placed.orderId, (l) => l.status === 'awaiting_fulfillment');
    const before = await rowCounts();
    for (const action of ['hold', 'release', 'cancel']) {
      expectUnstorable(await world.api.request('POST', `/admin/orders/${placed.orderId}/${action}`, { headers: staff, body: { reason: `x\u0000${action}` } }),
        'body', 'reason');
    }
    expect(await rowCounts()).toEqual(before);
  });

  it('in a signed carrier scan: 400 (the carrier stops redelivering it), not a 500 it would redeliver for ever; nothing kept', async () => {
    const before = await rowCounts();
    const body = JSON.stringify({ trackingNumber: 'SIMNOSUCHPARCEL1', eventId: `scan-${randomUUID()}`, status: 'in_transit',
      occurredAt: new Date().toISOString(), description: 'Arrived at hub\u0000' });
    const res = await world.api.request('POST', '/webhooks/carrier', { rawBody: body,
      headers: { 'content-type': 'application/json', 'X-Carrier-Signature': signCarrierWebhook(CARRIER_SECRET, body) } });
    expectUnstorable(res, 'body', 'description');
    expect(await rowCounts()).toEqual(before);
  });

  it('in a signed Stripe event and a signed Twilio report', async () => {
    const before = await rowCounts();
    const event = JSON.stringify({ id: `evt_${randomUUID().replace(/-/g, '')}`, object: 'event', type: 'payment_intent.payment_failed',
      data: { object: { id: 'pi_x', object: 'payment_intent', metadata: { orderId: randomUUID() }, last_payment_error: { message: 'no\u0000' } } } });
    const signature = Stripe.webhooks.generateTestHeaderString({ payload: event, secret: STRIPE_SECRET });
    expectUnstorable(await world.api.request('POST', '/webhooks/stripe', { rawBody: event,
      headers: { 'content-type': 'application/json', 'Stripe-Signature': signature } }), 'body', 'data.object.last_payment_error.message');

    const params = { MessageSid: 'SM\u0000', MessageStatus: 'delivered' };
    const url = `${PUBLIC_BASE_URL}/webhooks/twilio`;
    const res = await world.api.request('POST', '/webhooks/twilio', { rawBody: new URLSearchParams(params).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': twilio.getExpectedTwilioSignature(TWILIO_TOKEN, url, params) } });
    expectUnstorable(res, 'body', 'MessageSid');
    expect(await rowCounts()).toEqual(before);
  });

  it('on every route the API declares, whoever calls: a NUL in the query, and in the body of every route that takes one', async () => {
    const doc = (await world.api.request('GET', '/openapi.json')).body;
    let checked = 0;
    for (const [path, operations] of Object.entries(doc.paths as Record<string, Record<string, { requestBody?: { content: Record<string, unknown> } }>>)) {
      const concrete = path.replace(/\{[^}]+\}/g, '0a0a0a0a-0a0a-4a0a-8a0a-0a0a0a0a0a0a');
      for (const [method, operation] of Object.entries(operations)) {
        const res = await world.api.request(method.toUpperCase(), `${concrete}?note=%00`);
        expect([path, method, res.status, res.body?.error?.details?.in]).toEqual([path, method, 400, 'query']);
        if (operation.requestBody?.content['application/json']) { // a file upload's bytes are not text
          const withBody = await world.api.request(method.toUpperCase(), concrete, { rawBody: '{"note\\u0000":"x"}', headers: { 'content-type': 'application/json' } });
          expect([path, method, withBody.status, withBody.body?.error?.details?.issues?.[0]?.code]).toEqual([path, method, 400, 'unstorable_text']);
        }
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(30);
  });

  it('finds the first unstorable string wherever it is, and passes everything a person can type', () => {
    expect(findUnstorableText({ a: [{ b: 'ok' }, { c: 'x\ud83d' }] })).toEqual({ path: 'a.1.c', problem: expect.stringMatching(/unpaired UTF-16 surrogate \(U\+D83D\)/) });
    expect(findUnstorableText({ a: 'emoji 😀, zoë, 東京, ‮bidi, tab\tand newline\n' })).toBeUndefined();
    expect(findUnstorableText('\udc00x')).toEqual({ path: '(root)', problem: expect.stringMatching(/U\+DC00/) });
  });
});

/** Sends bytes as they are (fetch refuses a NUL in a header or an unknown method) and reads the raw answer. */
function rawHttp(request: string): Promise<{ status: number; headers: string; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const { hostname, port } = new URL(world.api.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(request));
    let data = '';
    socket.on('data', (chunk) => { data += chunk.toString('utf8'); });
    socket.on('error', reject);
    socket.on('close', () => {
      const [head, body] = [data.slice(0, data.indexOf('\r\n\r\n')), data.slice(data.indexOf('\r\n\r\n') + 4)];
      resolve({ status: Number(head.split(' ')[1]), headers: head, body: body ? JSON.parse(body) : undefined });
    });
  });
}

describe('methods a path does not serve, and requests Node refuses before the app sees them', () => {
  it('answers 405 with Allow for TRACE, PUT and DELETE on served paths, webhooks included, and OPTIONS with 204 and Allow', async () => {
    for (const [method, path, allow] of [['PUT', '/products', 'GET, HEAD, OPTIONS'], ['DELETE', '/carts', 'OPTIONS, POST'],
      ['GET', '/webhooks/stripe', 'OPTIONS, POST'], ['PATCH', '/admin/orders', 'GET, HEAD, OPTIONS']]) {
      const res = await world.api.request(method, path, { headers: staffAs('admin') });
      expect([method, path, res.status, res.headers.get('allow'), res.body.error.code]).toEqual([method, path, 405, allow, 'method_not_allowed']);
    }
    for (const path of ['/products', `/orders/${randomUUID()}`, '/webhooks/carrier']) {
      const trace = await rawHttp(`TRACE ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      expect([path, trace.status, trace.body.error.code]).toEqual([path, 405, 'method_not_allowed']);
      expect(trace.headers).toMatch(/\r\nAllow: (GET, HEAD, OPTIONS|OPTIONS, POST)\r\n/);
    }
    const options = await world.api.request('OPTIONS', '/carts/abc/items/SKU-1');
    expect(options.status).toBe(204);
    expect(options.headers.get('allow')).toBe('DELETE, OPTIONS, PATCH');
    expect((await rawHttp('TRACE /no/such/path HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).status).toBe(404);
  });

  it('answers a NUL in a header, an unknown method and CONNECT in the one error shape', async () => {
    const nulHeader = await rawHttp('GET /products HTTP/1.1\r\nHost: x\r\nIdempotency-Key: a\u0000b\r\nConnection: close\r\n\r\n');
    expect(nulHeader.status).toBe(400);
    expect(nulHeader.body.error.code).toBe('validation_failed');
    const unknown = await rawHttp('BREW /products HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect([unknown.status, unknown.body.error.code]).toEqual([400, 'validation_failed']);
    const tunnel = await rawHttp('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
    expect([tunnel.status, tunnel.body.error.code]).toEqual([405, 'method_not_allowed']);
    expect(tunnel.headers).toMatch(/\r\nAllow: \r?\n?/i);
  });
});

describe('internationalised e-mail addresses', () => {
  it('are refused at checkout and sign-up with a 400 that says why, the punycode form of a domain is taken, and nothing is written', async () => {
    const cartId = await cartWithMug();
    const before = await rowCounts();
    for (const email of ['zoë@example.com', 'ada@bücher.example', '東京@example.jp']) {
      const checkout = await world.api.request('POST', `/carts/${cartId}/checkout`, { headers: { 'Idempotency-Key': randomUUID() },
        body: { email, paymentMethod: 'pm_card_visa', shippingAddress: ADDRESS } });
      expect([email, checkout.status, checkout.body.error.code]).toEqual([email, 400, 'validation_failed']);
      expect(checkout.body.error.message).toMatch(/ASCII e-mail address.*internationalised addresses are not accepted/);
      const signUp = await world.api.request('POST', '/auth/sign-up', { body: { email, password: 'correct horse battery staple' } });
      expect([email, signUp.status, signUp.body.error.code]).toEqual([email, 400, 'validation_failed']);
    }
    expect(await rowCounts()).toEqual(before);
    const punycode = await world.api.request('POST', `/carts/${cartId}/checkout`, { headers: { 'Idempotency-Key': randomUUID() },
      body: { email: 'ada@xn--bcher-kva.example', paymentMethod: 'pm_card_visa', shippingAddress: ADDRESS } });
    expect(punycode.status).toBe(202);
  });
});

/** Bugs Schemathesis found (test/fuzz/openapi.test.ts), each kept from coming back. */
describe('what the fuzzer found', () => {
  it('an attribute name the database would refuse (over 100 characters) is a 400 on the field, not the constraint\'s message, and nothing is written', async () => {
    const [before] = await world.db.orm.em.fork().getConnection().execute('select count(*)::int as n from attributes');
    const res = await world.api.request('POST', '/admin/catalog/attributes', { headers: staffAs('catalog'),
      body: { code: 'fuzzed', name: '0'.repeat(101), values: [] } });
    expect([res.status, res.body.error.code, res.body.error.details.issues?.[0]?.path]).toEqual([400, 'validation_failed', 'name']);
    const [after] = await world.db.orm.em.fork().getConnection().execute('select count(*)::int as n from attributes');
    expect(after.n).toBe(before.n);
    expect((await world.api.request('POST', '/admin/catalog/attributes', { headers: staffAs('catalog'),
      body: { code: 'fuzzed', name: '0'.repeat(100), values: [] } })).status).toBe(201);
  });

  it('an e-mail address whose part before @ is over 64 characters is refused at checkout, sign-up and password reset', async () => {
    const email = `${'a'.repeat(65)}@example.com`;
    const cartId = await cartWithMug();
    const before = await rowCounts();
    const checkout = await world.api.request('POST', `/carts/${cartId}/checkout`, { headers: { 'Idempotency-Key': randomUUID() },
      body: { email, paymentMethod: 'pm_card_visa', shippingAddress: ADDRESS } });
    expect([checkout.status, checkout.body.error.message]).toEqual([400, expect.stringMatching(/part before @ is at most 64 characters/)]);
    expect((await world.api.request('POST', '/auth/sign-up', { body: { email, password: 'correct horse battery staple' } })).status).toBe(400);
    expect((await world.api.request('POST', '/auth/password-reset', { body: { email } })).status).toBe(400);
    expect(await rowCounts()).toEqual(before);
  });

  it('a number in the query string is digits: ?offset= and ?limit=1e2 are refused, not read as 0 and 100', async () => {
    for (const query of ['offset=', 'offset=%20', 'limit=1e2', 'limit=0x10', 'offset=-0']) {
      const res = await world.api.request('GET', `/products?${query}`);
      expect([query, res.status, res.body.error?.code]).toEqual([query, 400, 'validation_failed']);
    }
    expect((await world.api.request('GET', '/products?limit=2&offset=0')).status).toBe(200);
  });

  it('a support action with an empty Idempotency-Key is refused (it is not a UUID), and reads declare no Idempotency-Key', async () => {
    const res = await world.api.request('POST', `/admin/orders/${randomUUID()}/hold`, { headers: { ...staffAs('support'), 'Idempotency-Key': '' },
      body: { reason: 'check' } });
    expect([res.status, res.body.error.message]).toEqual([400, 'Idempotency-Key must be a UUID on support routes.']);
    const { body: doc } = await world.api.request('GET', '/openapi.json');
    const headerNames = (op: { parameters?: { in: string; name: string }[] }) => (op.parameters ?? []).filter((p) => p.in === 'header').map((p) => p.name);
    expect(headerNames(doc.paths['/admin/orders'].get)).toEqual([]);
    expect(headerNames(doc.paths['/admin/notifications/in-doubt'].get)).toEqual([]);
    expect(doc.paths['/admin/orders/{id}/hold'].post.parameters.find((p: { name: string }) => p.name === 'Idempotency-Key').schema.pattern).toMatch(/0-9a-f/);
  });
});
