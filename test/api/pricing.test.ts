/** What an order costs through the REST API: staff set shipping, taxes and promotions up; a cart is priced in full; checkout keeps the breakdown. */
import { randomUUID } from 'node:crypto';
import { insertProducts } from '../../src/db/seed';
import { startApiWorld, staffAs, stopApiWorld, type ApiResponse, type ApiWorld } from '../support/api';

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
  world = await startApiWorld({ stock: 1000 });
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
    expect(await refusal('ALONE')).toEqual([409, 'promotion_not_combinable']);
    const after = ok(await world.api.request('GET', `/carts/${cart}`));
    expect(after.promotions.map((p: { code: string }) => p.code)).toEqual(['WELCOME10']);
    expect(ok(await world.api.request('DELETE', `/carts/${cart}/promotions/WELCOME10`)).promotions).toEqual([]);
    expect((await world.api.request('DELETE', `/carts/${cart}/promotions/WELCOME10`)).status).toBe(404);
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
