/** What an order costs through the REST API: staff set shipping, taxes and promotions up; a cart is priced in full; checkout keeps the breakdown. */
import { randomUUID } from 'node:crypto';
import { insertProducts } from '../../src/db/seed';
import { giveBackOrderPromotions } from '../../src/store/promotions';
import { startApiWorld, staffAs, stopApiWorld, type ApiResponse, type ApiWorld } from '../support/api';
import { FAST_ACCOUNTS, signIn, signUp, type Customer } from '../support/accounts';

let world: ApiWorld;
const staff = staffAs('catalog');
const DE = { name: 'Grace Hopper', line1: 'Unter den Linden 1', city: 'Berlin', postalCode: '10117', country: 'DE' };
const NY = { name: 'Ada Lovelace', line1: '1 Main St', city: 'New York', region: 'ny', postalCode: '10001', country: 'US' };
const ids: Record<string, string> = {};

const ok = (res: ApiResponse, status = 200) => {
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
};
const admin = async (path: string, body: unknown) => ok(await world.api.request('POST', `/admin/pricing/${path}`, { headers: staff, body }), 201);

beforeAll(async () => {
  world = await startApiWorld({ stock: 1000, api: { app: { accounts: FAST_ACCOUNTS } } });
  await insertProducts(world.db.orm.em.fork(), [
    { handle: 'book', title: 'Book', description: 'A book', variants: [{ sku: 'BOOK-1', title: 'Paperback', prices: { EUR: 2000, USD: 2000 }, onHand: 1000, weightGrams: 400 }] },
    { handle: 'scarf', title: 'Scarf', description: 'A scarf', variants: [{ sku: 'SCARF-1', title: 'Red', prices: { EUR: 5950, USD: 5000 }, onHand: 1000, weightGrams: 200 }] },
  ]);
  await world.db.orm.em.fork().getConnection().execute(`update products set tax_category = 'books' where handle = 'book'`);
  ok(await world.api.request('PUT', '/admin/pricing/currencies/EUR', { headers: staff, body: { pricesIncludeTax: true } }));
  const eu = await admin('shipping-zones', { name: 'EU', countries: ['DE', 'FR'] });
  const us = await admin('shipping-zones', { name: 'US', countries: ['US'] });
  ids.standard = (await admin('shipping-methods', { zoneId: eu.id, name: 'Standard', carrier: 'DHL', minDays: 2, maxDays: 4, basis: 'flat',
    rates: { EUR: [{ from: 0, amount: 495 }] }, freeAbove: { EUR: 10_000 } })).id;
  ids.express = (await admin('shipping-methods', { zoneId: eu.id, name: 'Express', basis: 'weight',
    rates: { EUR: [{ from: 0, amount: 990 }, { from: 1000, amount: 1490 }] } })).id;
  ids.usGround = (await admin('shipping-methods', { zoneId: us.id, name: 'Ground', basis: 'flat', rates: { USD: [{ from: 0, amount: 800 }] } })).id;
  await admin('tax-regions', { name: 'Germany VAT', country: 'DE', ratePercent: 19, categoryRates: { books: 7 } });
  await admin('tax-regions', { name: 'New York sales tax', country: 'US', region: 'NY', ratePercent: 8.875, shippingTaxed: false });
  ids.welcome = (await admin('promotions', { code: 'WELCOME10', name: 'Welcome', kind: 'percentage', percent: 10 })).id;
  await admin('promotions', { code: 'FREESHIP', name: 'Free shipping', kind: 'free_shipping', amounts: { EUR: { minSubtotal: 5000 } } });
  await admin('promotions', { code: 'ALONE', name: 'Twenty off, alone', kind: 'fixed', amounts: { EUR: { amountOff: 2000 } }, combinable: false });
  await admin('promotions', { code: 'OVER', name: 'Over', kind: 'percentage', percent: 5, endsAt: '2020-01-01T00:00:00Z' });
  await admin('promotions', { code: 'SOON', name: 'Soon', kind: 'percentage', percent: 5, startsAt: '2099-01-01T00:00:00Z' });
  ids.bookCategory = (ok(await world.api.request('POST', '/admin/catalog/categories', { headers: staff, body: { name: 'Books', handle: 'books' } }), 201)).id;
  await admin('promotions', { code: 'BOOKS5', name: 'Five off books', kind: 'percentage', percent: 5, categoryIds: [ids.bookCategory] });
  await admin('promotions', { code: 'GONE', name: 'All used', kind: 'percentage', percent: 5, usageLimit: 0 });
  await admin('promotions', { code: 'ONCE', name: 'Once each', kind: 'fixed', amounts: { EUR: { amountOff: 100 }, USD: { amountOff: 100 } }, perCustomerLimit: 1 });
}, 120_000);
afterAll(() => stopApiWorld(world ?? {}));

async function cartWith(currency: string, items: [string, number][]): Promise<string> {
  const cart = ok(await world.api.request('POST', '/carts', { body: { currency } }), 201);
  for (const [sku, quantity] of items) ok(await world.api.request('POST', `/carts/${cart.id}/items`, { body: { sku, quantity } }));
  return cart.id;
}
const put = (path: string, body: unknown) => world.api.request('PUT', path, { body });
const checkout = (cartId: string, body: Record<string, unknown> = {}) => world.api.request('POST', `/carts/${cartId}/checkout`,
  { headers: { 'Idempotency-Key': randomUUID() }, body: { email: 'grace@example.com', paymentMethod: 'pm_card_visa', ...body } });

describe('a cart priced in full', () => {
  it('shows VAT inside EUR prices, lists shipping options for its address, and takes a chosen method and a code', async () => {
    const cart = await cartWith('EUR', [['BOOK-1', 1], ['SCARF-1', 1]]);
    expect(ok(await world.api.request('GET', `/carts/${cart}/shipping-options`), 422).error.code).toBe('shipping_address_required');
    const addressed = ok(await put(`/carts/${cart}/shipping-address`, DE));
    expect(addressed.pricing).toMatchObject({ pricesIncludeTax: true, total: { amount: 7950 }, shipping: null });
    expect(addressed.pricing.taxes.map((t: { name: string; amount: { amount: number } }) => [t.name, t.amount.amount]))
      .toEqual([['Germany VAT 19%', 950], ['Germany VAT 7%', 131]]);
    const { options } = ok(await world.api.request('GET', `/carts/${cart}/shipping-options`));
    expect(options.map((o: { name: string; price: { amount: number } }) => [o.name, o.price.amount])).toEqual([['Standard', 495], ['Express', 990]]);
    const shipped = ok(await put(`/carts/${cart}/shipping-method`, { methodId: ids.express }));
    expect(shipped.pricing.shipping).toMatchObject({ name: 'Express', amount: { amount: 990 }, tax: { amount: 158 } });
    expect(shipped.pricing.total.amount).toBe(7950 + 990);
    const discounted = ok(await world.api.request('POST', `/carts/${cart}/promotions`, { body: { code: 'welcome10' } }));
    expect(discounted.promotions).toEqual([{ code: 'WELCOME10', name: 'Welcome', applied: true }]);
    expect(discounted.pricing.discounts[0]).toMatchObject({ code: 'WELCOME10', amount: { amount: 795 } });
    expect(discounted.pricing.total.amount).toBe(7950 - 795 + 990);
    const free = ok(await world.api.request('POST', `/carts/${cart}/promotions`, { body: { code: 'FREESHIP' } }));
    expect(free.pricing.total.amount).toBe(7950 - 795);
  });

  it('refuses each code for its own reason and writes nothing', async () => {
    const cart = await cartWith('EUR', [['BOOK-1', 1]]);
    const refusal = async (code: string) => {
      const res = await world.api.request('POST', `/carts/${cart}/promotions`, { body: { code } });
      return [res.status, (res.body as { error: { code: string } }).error.code];
    };
    expect(await refusal('NOPE')).toEqual([422, 'promotion_code_unknown']);
    expect(await refusal('OVER')).toEqual([422, 'promotion_expired']);
    expect(await refusal('SOON')).toEqual([422, 'promotion_not_started']);
    expect(await refusal('FREESHIP')).toEqual([422, 'promotion_minimum_not_met']);
    ok(await world.api.request('POST', `/carts/${cart}/promotions`, { body: { code: 'WELCOME10' } }));
    expect(await refusal('BOOKS5')).toEqual([422, 'promotion_not_applicable']); // the book is in no category yet
    expect(await refusal('GONE')).toEqual([409, 'promotion_limit_reached']);
    expect(await refusal('ALONE')).toEqual([409, 'promotion_not_combinable']);
    const after = ok(await world.api.request('GET', `/carts/${cart}`));
    expect(after.promotions.map((p: { code: string }) => p.code)).toEqual(['WELCOME10']);
    expect(ok(await world.api.request('DELETE', `/carts/${cart}/promotions/WELCOME10`)).promotions).toEqual([]);
    const notThere = await world.api.request('DELETE', `/carts/${cart}/promotions/WELCOME10`);
    expect([notThere.status, notThere.body.error.code]).toEqual([404, 'promotion_not_in_cart']);
  });

  it('prices the chosen method anew when the address or the cart changes: the region\'s tax on shipping, the weight band', async () => {
    const cart = await cartWith('EUR', [['BOOK-1', 1]]);
    ok(await put(`/carts/${cart}/shipping-address`, DE));
    const inGermany = ok(await put(`/carts/${cart}/shipping-method`, { methodId: ids.express }));
    expect(inGermany.pricing.shipping).toMatchObject({ amount: { amount: 990 }, tax: { amount: 158 } }); // 400 g; 19 % VAT inside
    const inFrance = ok(await put(`/carts/${cart}/shipping-address`, { ...DE, city: 'Paris', postalCode: '75001', country: 'FR' }));
    expect(inFrance.shippingMethod).toMatchObject({ id: ids.express, available: true }); // the same zone: kept, no tax region in France
    expect(inFrance.pricing.shipping).toMatchObject({ amount: { amount: 990 }, tax: { amount: 0 } });
    expect(inFrance.pricing.taxes).toEqual([]);
    // Three books weigh 1 200 g (the variants' weight in the catalog): the next band.
    const heavier = ok(await world.api.request('PATCH', `/carts/${cart}/items/BOOK-1`, { body: { quantity: 3 } }));
    expect(heavier.pricing.shipping.amount.amount).toBe(1490);
    const { options } = ok(await world.api.request('GET', `/carts/${cart}/shipping-options`));
    expect(options.map((o: { name: string; price: { amount: number }; selected: boolean }) => [o.name, o.price.amount, o.selected]))
      .toEqual([['Standard', 495], ['Express', 1490]].map(([n, a]) => [n, a, n === 'Express']));
    await world.db.orm.em.fork().getConnection().execute(`update variants set weight_grams = 100 where sku = 'BOOK-1'`);
    expect(ok(await world.api.request('GET', `/carts/${cart}`)).pricing.shipping.amount.amount).toBe(990);
    await world.db.orm.em.fork().getConnection().execute(`update variants set weight_grams = 400 where sku = 'BOOK-1'`);
  });

  it('drops the chosen method when the address moves out of its zone, and checkout then asks for one', async () => {
    const cart = await cartWith('EUR', [['SCARF-1', 1]]);
    ok(await put(`/carts/${cart}/shipping-address`, DE));
    ok(await put(`/carts/${cart}/shipping-method`, { methodId: ids.standard }));
    const moved = ok(await put(`/carts/${cart}/shipping-address`, NY));
    expect(moved.shippingMethod).toBeNull();
    const res = await checkout(cart);
    expect([res.status, (res.body as { error: { code: string } }).error.code]).toEqual([422, 'shipping_method_required']);
    const wrong = await put(`/carts/${cart}/shipping-method`, { methodId: ids.standard });
    expect([wrong.status, (wrong.body as { error: { code: string } }).error.code]).toEqual([409, 'shipping_method_unavailable']);
  });
});

describe('who manages pricing', () => {
  it('staff with the catalog or admin role; any other role is forbidden, no key unauthorized, and nothing is written', async () => {
    const zone = { name: 'Nordics', countries: ['SE', 'NO'] };
    for (const role of ['support', 'warehouse'] as const) {
      const res = await world.api.request('POST', '/admin/pricing/shipping-zones', { headers: staffAs(role), body: zone });
      expect([res.status, res.body.error.code]).toEqual([403, 'forbidden']);
    }
    expect((await world.api.request('GET', '/admin/pricing/promotions', { headers: staffAs('support') })).status).toBe(403);
    expect((await world.api.request('POST', '/admin/pricing/shipping-zones', { body: zone })).status).toBe(401);
    const [{ n }] = await world.db.orm.em.fork().getConnection().execute(`select count(*)::int as n from shipping_zones where name = 'Nordics'`);
    expect(n).toBe(0);
    ok(await world.api.request('POST', '/admin/pricing/shipping-zones', { headers: staffAs('admin'), body: zone }), 201);
    ok(await world.api.request('GET', '/admin/pricing/tax-regions', { headers: staff }));
  });
});

describe('a signed-in customer', () => {
  let ada: Customer;
  const sql = <T>(text: string, params: unknown[] = []) => world.db.orm.em.fork().getConnection().execute<T[]>(text, params);
  const as = (c: Customer) => ({ ...c.headers });
  beforeAll(async () => {
    ada = await signUp(world.api);
  });
  async function customerCart(c: Customer, currency: string, items: [string, number][]): Promise<string> {
    const cart = ok(await world.api.request('POST', '/carts', { headers: as(c), body: { currency } }), 201);
    for (const [sku, quantity] of items) ok(await world.api.request('POST', `/carts/${cart.id}/items`, { headers: as(c), body: { sku, quantity } }));
    return cart.id;
  }

  it('ships the cart to a saved address named by id; a guest cannot, and another customer\'s address is not found', async () => {
    const saved = ok(await world.api.request('POST', '/me/addresses', { headers: as(ada), body: DE }), 201);
    const cart = await customerCart(ada, 'EUR', [['SCARF-1', 1]]);
    const addressed = ok(await world.api.request('PUT', `/carts/${cart}/shipping-address`, { headers: as(ada), body: { addressId: saved.id } }));
    expect(addressed.shippingAddress).toEqual(DE);
    expect(addressed.pricing.taxes.map((t: { name: string }) => t.name)).toEqual(['Germany VAT 19%']);
    ok(await world.api.request('PUT', `/carts/${cart}/shipping-method`, { headers: as(ada), body: { methodId: ids.standard } }));
    const placed = ok(await world.api.request('POST', `/carts/${cart}/checkout`,
      { headers: { ...as(ada), 'Idempotency-Key': randomUUID() }, body: { paymentMethod: 'pm_card_visa' } }), 202);
    const [order] = await sql<{ shipping_address: unknown; total_amount: string; email: string }>(
      'select shipping_address, total_amount, email from orders where id = ?', [placed.orderId]);
    expect(order).toEqual({ shipping_address: DE, total_amount: String(5950 + 495), email: ada.email });

    const guestCart = await cartWith('EUR', [['SCARF-1', 1]]);
    const guest = await put(`/carts/${guestCart}/shipping-address`, { addressId: saved.id });
    expect([guest.status, guest.body.error.code]).toEqual([400, 'validation_failed']);
    const bob = await signUp(world.api);
    const bobs = await customerCart(bob, 'EUR', [['SCARF-1', 1]]);
    const stranger = await world.api.request('PUT', `/carts/${bobs}/shipping-address`, { headers: as(bob), body: { addressId: saved.id } });
    expect([stranger.status, stranger.body.error.code]).toEqual([404, 'address_not_found']);
    expect(ok(await world.api.request('GET', `/carts/${bobs}`, { headers: as(bob) })).shippingAddress).toBeNull();
  });

  it('brings the guest cart\'s address, method and codes into the account at sign-in', async () => {
    const carla = await signUp(world.api);
    const guestCart = await cartWith('EUR', [['SCARF-1', 1]]);
    ok(await put(`/carts/${guestCart}/shipping-address`, DE));
    ok(await put(`/carts/${guestCart}/shipping-method`, { methodId: ids.express }));
    ok(await world.api.request('POST', `/carts/${guestCart}/promotions`, { body: { code: 'WELCOME10' } }));
    const before = ok(await world.api.request('GET', `/carts/${guestCart}`)).pricing;
    const open = await customerCart(carla, 'EUR', [['BOOK-1', 1]]); // merged into this one
    const signedIn = ok(await signIn(world.api, carla, { cartId: guestCart }));
    expect(signedIn.cart).toMatchObject({ id: open, merge: { outcome: 'merged' } });
    const merged = ok(await world.api.request('GET', `/carts/${open}`, { headers: as(carla) }));
    expect(merged).toMatchObject({ shippingAddress: DE, shippingMethod: { id: ids.express, available: true }, promotions: [{ code: 'WELCOME10', applied: true }] });
    expect(merged.pricing.subtotal.amount).toBe(before.subtotal.amount + 2000);
  });

  it('counts a per-customer limit against the account and the e-mail: neither checking out as a guest nor signing up opens it again', async () => {
    const dora = await signUp(world.api);
    const usOrder = async (headers: Record<string, string>, body: Record<string, unknown>) => {
      const cart = ok(await world.api.request('POST', '/carts', { headers, body: { currency: 'USD' } }), 201).id;
      ok(await world.api.request('POST', `/carts/${cart}/items`, { headers, body: { sku: 'SCARF-1', quantity: 1 } }));
      ok(await world.api.request('PUT', `/carts/${cart}/shipping-address`, { headers, body: NY }));
      ok(await world.api.request('PUT', `/carts/${cart}/shipping-method`, { headers, body: { methodId: ids.usGround } }));
      const code = await world.api.request('POST', `/carts/${cart}/promotions`, { headers, body: { code: 'ONCE' } });
      if (code.status !== 200) return code;
      return world.api.request('POST', `/carts/${cart}/checkout`, { headers: { ...headers, 'Idempotency-Key': randomUUID() },
        body: { paymentMethod: 'pm_card_visa', ...body } });
    };
    const refused = (res: ApiResponse) => [res.status, res.body.error?.code];
    const dorasOrder = ok(await usOrder(as(dora), {}), 202).orderId as string;
    expect(refused(await usOrder(as(dora), {}))).toEqual([409, 'promotion_limit_reached']); // refused as the code goes on the cart
    ok(await usOrder({}, { email: 'Eve@Example.com' }), 202);
    expect(refused(await usOrder({}, { email: 'eve@example.COM' }))).toEqual([409, 'promotion_limit_reached']); // refused at checkout
    ok(await usOrder({}, { email: 'frank@example.com' }), 202);
    // Dora as a guest with her account's e-mail; Eve signed up after her guest order.
    expect(refused(await usOrder({}, { email: dora.email.toUpperCase() }))).toEqual([409, 'promotion_limit_reached']);
    const eve = await signUp(world.api, { email: 'eve@example.com' });
    expect(refused(await usOrder(as(eve), {}))).toEqual([409, 'promotion_limit_reached']);
    const uses = await sql<{ customer_key: string; used: number }>(`select u.customer_key, u.used from promotion_customer_uses u
      join promotions p on p.id = u.promotion_id where p.code = 'ONCE' order by u.customer_key`);
    expect(uses).toEqual([{ customer_key: `customer:${dora.id}`, used: 1 }, { customer_key: 'email:eve@example.com', used: 1 },
      { customer_key: 'email:frank@example.com', used: 1 }, { customer_key: `email:${dora.email}`, used: 1 }]);
    // Giving back Dora's use (her order's compensation) gives it back under both keys.
    expect(await giveBackOrderPromotions(world.db.orm.em.fork(), dorasOrder)).toEqual({ givenBack: 1 });
    expect(await sql(`select u.customer_key, u.used from promotion_customer_uses u join promotions p on p.id = u.promotion_id
      where p.code = 'ONCE' and u.used = 0 order by u.customer_key`)).toEqual([{ customer_key: `customer:${dora.id}`, used: 0 }, { customer_key: `email:${dora.email}`, used: 0 }]);
  });
});

describe('the order keeps its breakdown', () => {
  it('is charged the breakdown\'s total, adds US tax on top, and never changes when prices, rates or promotions do', async () => {
    const cart = await cartWith('USD', [['SCARF-1', 2]]);
    ok(await put(`/carts/${cart}/shipping-address`, NY));
    ok(await put(`/carts/${cart}/shipping-method`, { methodId: ids.usGround }));
    ok(await world.api.request('POST', `/carts/${cart}/promotions`, { body: { code: 'WELCOME10' } }));
    const placed = ok(await checkout(cart), 202);
    expect(placed.payment.status).toBe('authorized');
    // 10 000 − 1 000 off = 9 000, + 8.875 % = 799 tax, + 800 ground shipping (not taxed in NY).
    const [payment] = await world.db.orm.em.fork().getConnection().execute('select amount from payments where order_id = ?', [placed.orderId]);
    expect(Number(payment.amount)).toBe(10_599);
    await world.db.orm.em.fork().getConnection().execute(`update tax_regions set rate_ppm = 100000; update shipping_rates set amount = 1`);
    await world.db.orm.em.fork().getConnection().execute(`update promotions set percent_ppm = 500000 where code = 'WELCOME10'`);
    const order = ok(await world.api.request('GET', `/orders/${placed.orderId}`, { headers: { Authorization: `Bearer ${placed.accessToken}` } }));
    expect(order.total.amount).toBe(10_599);
    expect(order.pricing).toMatchObject({ subtotal: { amount: 10_000 }, discountTotal: { amount: 1000 }, shipping: { amount: { amount: 800 }, tax: { amount: 0 } },
      taxes: [{ name: 'New York sales tax 8.875%', amount: { amount: 799 } }], total: { amount: 10_599 } });
    expect(order.pricing.discounts[0]).toMatchObject({ code: 'WELCOME10', lines: [{ sku: 'SCARF-1', amount: { amount: 1000 } }] });
  });
});

describe('the OpenAPI document', () => {
  it('describes the cart\'s pricing routes, the breakdown, the staff routes with their roles, and every error code', async () => {
    const { paths, components } = ok(await world.api.request('GET', '/openapi.json'));
    const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
    const address = paths['/carts/{id}/shipping-address'].put;
    expect(address.requestBody.content['application/json'].schema.anyOf).toEqual([ref('ShippingAddress'), ref('SavedAddressRef')]);
    expect(address.responses['200'].content['application/json'].schema).toEqual(ref('Cart'));
    for (const [path, method] of [['/carts/{id}/shipping-options', 'get'], ['/carts/{id}/shipping-method', 'put'], ['/carts/{id}/promotions', 'post'],
      ['/carts/{id}/promotions/{code}', 'delete']]) {
      expect(paths[path][method].security).toEqual(expect.arrayContaining([{ customerSession: [] }]));
      expect(Object.keys(paths[path][method].responses)).toEqual(expect.arrayContaining(['200', '400', '404']));
    }
    expect(Object.keys(paths['/carts/{id}/promotions'].post.responses)).toEqual(expect.arrayContaining(['409', '422']));
    expect(Object.keys(paths['/carts/{id}/checkout'].post.responses)).toEqual(expect.arrayContaining(['202', '409', '422']));
    expect(components.schemas.Cart.properties.pricing).toEqual(ref('PriceBreakdown'));
    expect(Object.keys(components.schemas.PriceBreakdown.properties))
      .toEqual(['pricesIncludeTax', 'lines', 'subtotal', 'discounts', 'discountTotal', 'shipping', 'taxes', 'taxTotal', 'total']);
    expect(components.schemas.CheckoutRequest.properties).toHaveProperty('shippingAddressId');
    for (const path of ['/admin/pricing/shipping-zones', '/admin/pricing/shipping-methods', '/admin/pricing/tax-regions', '/admin/pricing/promotions']) {
      expect(paths[path].post.security).toEqual([{ staffKey: ['catalog', 'admin'] }]);
      expect(paths[`${path}/{id}`].patch).toBeDefined();
    }
    expect(components.schemas.Error.properties.error.properties.code.enum).toEqual(expect.arrayContaining([
      'shipping_address_required', 'shipping_method_required', 'shipping_method_unavailable', 'promotion_code_unknown', 'promotion_not_started',
      'promotion_expired', 'promotion_minimum_not_met', 'promotion_not_applicable', 'promotion_limit_reached', 'promotion_not_combinable', 'promotion_not_in_cart']));
  });
});
