/** The benchmark's database: its catalog, the SKUs each cart gets, and the check that every order ended as it should. */
import { closeOrm, createOrm, migrate } from '../../src/db/orm';
import { insertProducts, type SeedProduct } from '../../src/db/seed';
import { DISPATCHED, HANDED_OVER } from './load';

/** Every order buys two different SKUs of this catalog, one unit each; stock never runs out. */
const CATALOG_SKUS = 64;
export const ITEMS_PER_CART = 2;

export async function prepareDatabase(databaseUrl: string): Promise<string[]> {
  const orm = await createOrm(databaseUrl, 2);
  try {
    await migrate(orm);
    const products: SeedProduct[] = Array.from({ length: CATALOG_SKUS }, (_, i) => ({
      handle: `bench-product-${i}`, title: `Bench Product ${i}`, description: 'A product of the checkout benchmark.',
      variants: [{ sku: `BENCH-${String(i).padStart(3, '0')}`, title: 'One size', prices: { USD: 1000 + i * 100 }, onHand: 1_000_000 }],
    }));
    await insertProducts(orm.em.fork(), products);
    return products.map((p) => p.variants[0].sku);
  } finally {
    await closeOrm(orm);
  }
}

/** Two different SKUs per cart, spread over the catalog so concurrent reservations rarely lock the same row. */
export function pickSkus(skus: string[], i: number): string[] {
  const first = (i * 7) % skus.length;
  return Array.from({ length: ITEMS_PER_CART }, (_, k) => skus[(first + k * 13) % skus.length]);
}

/**
 * Every order placed ended as it should: dispatched, its two reservations committed, its payment
 * authorized once and captured, the customer told twice (confirmed, shipped), no stock impossible.
 */
export async function checkOrders(databaseUrl: string, expected: number, upTo: 'dispatch' | 'hand_over' = 'dispatch'): Promise<{ ok: boolean; summary: string }> {
  if (upTo === 'hand_over') return checkHandedOver(databaseUrl, expected);
  const orm = await createOrm(databaseUrl, 1);
  try {
    const [row] = await orm.em.getConnection().execute<Record<string, string>[]>(`select
      (select count(*) from orders) as orders,
      (select count(*) from orders where status in (${DISPATCHED.map((st) => `'${st}'`).join(', ')})) as dispatched,
      (select count(*) from reservations where status = 'committed') as committed,
      (select count(*) from reservations) as reservations,
      (select count(*) from inventory where reserved < 0 or reserved > on_hand) as bad_stock,
      (select count(*) from payments where status = 'captured') as captured,
      (select count(*) from payments) as payments,
      (select count(*) from notifications where template = 'order_confirmed' and status = 'sent') as confirmations,
      (select count(*) from notifications where template = 'shipped' and status = 'sent') as shipped_emails`);
    const n = (k: string) => Number(row[k]);
    const ok = n('orders') === expected && n('dispatched') === expected && n('reservations') === expected * ITEMS_PER_CART &&
      n('committed') === expected * ITEMS_PER_CART && n('bad_stock') === 0 && n('captured') === expected && n('payments') === expected &&
      n('confirmations') === expected && n('shipped_emails') === expected;
    return { ok, summary: `${n('orders')} orders (${expected} expected), ${n('dispatched')} dispatched, ` +
      `${n('committed')} of ${n('reservations')} reservation rows committed (${ITEMS_PER_CART} per order expected), ${n('captured')} of ${n('payments')} payments captured, ` +
      `${n('confirmations')} confirmation and ${n('shipped_emails')} shipped e-mails sent, ${n('bad_stock')} SKUs with impossible stock` };
  } finally {
    await closeOrm(orm);
  }
}

/** The topology mode's orders, which stop at the hand-over: handed over, stock reserved once, payment authorized once, customer told once. */
async function checkHandedOver(databaseUrl: string, expected: number): Promise<{ ok: boolean; summary: string }> {
  const orm = await createOrm(databaseUrl, 1);
  try {
    const [row] = await orm.em.getConnection().execute<Record<string, string>[]>(`select
      (select count(*) from orders) as orders,
      (select count(*) from orders where status in (${HANDED_OVER.map((st) => `'${st}'`).join(', ')})) as handed_over,
      (select count(*) from reservations) as reservations,
      (select count(*) from inventory where reserved < 0 or reserved > on_hand) as bad_stock,
      (select count(*) from payments where status in ('authorized', 'captured')) as authorized,
      (select count(*) from payments) as payments,
      (select count(*) from notifications where template = 'order_confirmed' and status = 'sent') as confirmations`);
    const n = (k: string) => Number(row[k]);
    const ok = n('orders') === expected && n('handed_over') === expected && n('reservations') === expected * ITEMS_PER_CART &&
      n('bad_stock') === 0 && n('authorized') === expected && n('payments') === expected && n('confirmations') === expected;
    return { ok, summary: `${n('orders')} orders (${expected} expected), ${n('handed_over')} handed over to fulfillment, ` +
      `${n('reservations')} reservation rows (${ITEMS_PER_CART} per order expected), ${n('authorized')} of ${n('payments')} payments authorized, ` +
      `${n('confirmations')} confirmation e-mails sent, ${n('bad_stock')} SKUs with impossible stock` };
  } finally {
    await closeOrm(orm);
  }
}
