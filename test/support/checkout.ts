/** The world a checkout test needs: a database with a small catalog, simulated providers, real activities. */
import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities, type Activities, type ActivityDeps } from '../../activities';
import { insertProducts } from '../../src/db/seed';
import { SimulatedPaymentProvider } from '../../src/integrations/simulated/payments';
import { SimulatedNotifier } from '../../src/integrations/simulated/notifier';
import { SimulatedCarrier } from '../../src/integrations/simulated/carrier';
import { logger } from '../../src/logger';
import { addItem, createCart } from '../../src/store/carts';
import { placeOrder, type PlacedOrder } from '../../src/store/orders';
import { OrderTokens } from '../../src/auth/order-tokens';
import type { CheckoutInput } from '../../src/contracts/order';
import { createTestDatabase, type TestDatabase } from './db';
import { createTimeSkippingEnv, testDataConverter, testPayloadCodec, uniqueTaskQueue, workflowBundle } from './temporal';
import { createNotificationWorker } from '../../workers/notifications';

export const ADDRESS = { name: 'Ada Lovelace', line1: '12 St James Square', city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' };

export async function seedCheckoutCatalog(db: TestDatabase, stock = 10): Promise<void> {
  await insertProducts(db.orm.em.fork(), [
    { handle: 'mug', title: 'Mug', description: 'A mug', variants: [{ sku: 'MUG-1', title: 'White', prices: { USD: 1200 }, onHand: stock }] },
    { handle: 'tee', title: 'Tee', description: 'A tee', variants: [{ sku: 'TEE-1', title: 'M', prices: { USD: 2500 }, onHand: stock }] },
  ]);
}

let orderCounter = 0;

export async function placeTestOrder(db: TestDatabase, opts: {
  items?: { sku: string; quantity: number }[]; paymentMethod?: string; phone?: string;
} = {}): Promise<PlacedOrder> {
  const em = db.orm.em.fork();
  const cart = await createCart(em, 'USD');
  for (const item of opts.items ?? [{ sku: 'MUG-1', quantity: 2 }, { sku: 'TEE-1', quantity: 1 }]) {
    await addItem(db.orm.em.fork(), cart.id, item.sku, item.quantity);
  }
  orderCounter += 1;
  return placeOrder(db.orm.em.fork(), {
    cartId: cart.id, idempotencyKey: `test-${process.pid}-${Date.now()}-${orderCounter}`, email: 'ada@example.com',
    phone: opts.phone, shippingAddress: ADDRESS, paymentMethod: opts.paymentMethod ?? 'pm_card_visa',
  });
}

/** The access token the API gives for an order placed straight in the store (the test API derives tokens with the development key). */
export function accessTokenOf(placed: PlacedOrder): string {
  if (!placed.accessSecret) throw new Error(`order ${placed.orderId}'s access was revoked`);
  return new OrderTokens().mint(placed.orderId, placed.accessSecret);
}

/** By default the order waits for the warehouse after payment (autoPack false), so a test can look at it there. */
export function checkoutInputOf(placed: PlacedOrder, paymentActionTimeout = '15 minutes',
  opts: { autoPack?: boolean; afterSalesWindow?: string } = {}): CheckoutInput {
  return { orderId: placed.orderId, customerId: placed.customerId, currency: placed.currency, totalAmount: placed.totalAmount,
    lines: placed.lines, ...(placed.promotions.length ? { promotions: placed.promotions } : {}),
    paymentMethod: placed.paymentMethod, notifyBySms: placed.notifyBySms, paymentActionTimeout,
    autoPack: opts.autoPack ?? false, ...(opts.afterSalesWindow ? { afterSalesWindow: opts.afterSalesWindow } : {}) };
}

/** The real activities on this file's database; simulated providers unless `deps` brings others (e.g. a real SDK adapter). */
export function realActivities(db: TestDatabase, deps: Partial<ActivityDeps> = {}): Activities {
  return createActivities({ orm: db.orm, logger, clock: () => new Date(),
    payments: new SimulatedPaymentProvider(db.orm), notifier: new SimulatedNotifier(logger), carrier: new SimulatedCarrier(), ...deps });
}

/**
 * A worker on a task queue of its own, and beside it the worker of that queue's notification queue
 * (customer messages run there, as in production: workers/notifications.ts). `worker.shutdown()`
 * stops both; `run` settles when both have stopped.
 */
export async function startWorker(env: TestWorkflowEnvironment, activities: Activities): Promise<{ worker: Worker; taskQueue: string; run: Promise<void> }> {
  const taskQueue = uniqueTaskQueue('checkout');
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, dataConverter: testDataConverter(), workflowBundle: workflowBundle(), activities });
  // No rate limit on the time-skipping server: its limiter runs on the skipped clock (workers/notifications.ts).
  const notifications = await createNotificationWorker({ connection: env.nativeConnection, taskQueue, payloadCodec: testPayloadCodec(), activities, shutdownGraceMs: 2000, perSecond: null });
  const notificationsRun = notifications.run();
  const mainRun = worker.run().finally(() => {
    if (notifications.getState() === 'RUNNING') notifications.shutdown();
  });
  const run = Promise.all([mainRun, notificationsRun]).then(() => undefined);
  return { worker, taskQueue, run };
}

/** Rows the business cares about after a checkout, read straight from the database. */
export async function orderFacts(db: TestDatabase, orderId: string) {
  const conn = db.orm.em.fork().getConnection();
  type Row = Record<string, string>;
  const [order] = await conn.execute<Row[]>('select status, cart_id from orders where id = ?', [orderId]);
  const [cart] = await conn.execute<Row[]>('select status from carts where id = ?', [order.cart_id]);
  const reservations = await conn.execute<{ sku: string; quantity: number; status: string }[]>(
    'select sku, quantity, status from reservations where order_id = ? order by sku', [orderId]);
  const inventory = await conn.execute<{ sku: string; on_hand: number; reserved: number }[]>('select sku, on_hand, reserved from inventory order by sku');
  const payments = await conn.execute<Row[]>('select status, provider_ref, amount from payments where order_id = ?', [orderId]);
  const intents = await conn.execute<Row[]>(`select id, status from simulated_payment_intents where metadata->>'orderId' = ?`, [orderId]);
  const outbox = await conn.execute<Row[]>('select template, channel, status from notifications where order_id = ? order by template, channel', [orderId]);
  return { order, cart, reservations, inventory, payments, intents, outbox };
}

/** A test file's time-skipping server and database (with the checkout catalog when `stock` is given), made before its tests and gone after. */
export function timeSkippingWorld(stock?: number): () => { env: TestWorkflowEnvironment; db: TestDatabase } {
  let world: { env: TestWorkflowEnvironment; db: TestDatabase } | undefined;
  beforeAll(async () => {
    const [env, db] = await Promise.all([createTimeSkippingEnv(), createTestDatabase()]);
    world = { env, db };
    if (stock !== undefined) await seedCheckoutCatalog(db, stock);
  });
  afterAll(async () => {
    await world?.env.teardown();
    await world?.db.drop();
  });
  return () => world!;
}
