/** Starts the real Koa app on 127.0.0.1 against a test database, and a small JSON client for it. */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Client } from '@temporalio/client';
import { buildApp, type AppOptions } from '../../src/api/app';
import { createHttpServer } from '../../src/api/server';
import { OrderEventHub } from '../../src/api/order-event-hub';
import { SimulatedPaymentProvider } from '../../src/integrations/simulated/payments';
import { ensureStaffKey } from '../../src/store/staff';
import type { StaffRole } from '../../src/domain/staff';
import type { LimitSettings } from '../../src/api/rate-limits';
import { connectClient } from '../../src/temporal/client';
import { logger } from '../../src/logger';
import type { MikroORM } from '../../src/db/orm';
import { NativeConnection, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import { createTestDatabase, required, type TestDatabase } from './db';
import { realActivities, seedCheckoutCatalog } from './checkout';
import type { ActivityDeps } from '../../activities';
import { createNotificationWorker } from '../../workers/notifications';
import { installQuietRuntime, testDataConverter, testPayloadCodec, testTarget, uniqueTaskQueue, workflowBundle } from './temporal';

/**
 * One staff account per role, each with a key of its own, in every test database an API serves
 * (startTestApi registers them): `staffAs('warehouse')` is pat's key. STAFF_TOKEN is the admin's.
 */
export const STAFF: Record<StaffRole, { name: string; key: string }> = {
  support: { name: 'sam', key: 'staff_test-support-key-0123456789abcdefghijk' },
  warehouse: { name: 'pat', key: 'staff_test-warehouse-key-0123456789abcdefgh' },
  catalog: { name: 'cat', key: 'staff_test-catalog-key-0123456789abcdefghijk' },
  admin: { name: 'ada', key: 'staff_test-admin-key-0123456789abcdefghijklm' },
};
export const STAFF_TOKEN = STAFF.admin.key;

/** The Authorization header of the test account holding `role`. */
export const staffAs = (role: StaffRole) => ({ Authorization: `Bearer ${STAFF[role].key}` });

/** Registers the test staff accounts and their keys (idempotent: every API of a test file calls it). */
export async function seedStaffKeys(orm: MikroORM): Promise<void> {
  for (const [role, { name, key }] of Object.entries(STAFF) as [StaffRole, { name: string; key: string }][]) {
    if (!(await ensureStaffKey(orm.em.fork(), { name, roles: [role], key, label: 'tests' }))) throw new Error(`the test key of ${name} is not live`);
  }
}

export interface TestApi {
  url: string;
  request(method: string, path: string, opts?: { body?: unknown; rawBody?: string; headers?: Record<string, string> }): Promise<ApiResponse>;
  close(): Promise<void>;
  /** The app's order timeline hub (GET /orders/:id/events), to count its reads. */
  orderEvents: OrderEventHub;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
}

export interface TestApiOptions {
  /** The task queue the API starts checkouts on: give each test file's worker its own (uniqueTaskQueue). */
  taskQueue?: string;
  paymentActionTimeout?: string;
  /** Mount the simulated provider's 3-D Secure route (on by default: tests use the simulated provider). */
  simulatedPayments?: boolean;
  /** Stand in for the harness's dev server, e.g. a client of a server that does not answer. */
  temporalClient?: Client;
  /** Anything else the app takes, e.g. the webhook secrets. */
  app?: Partial<AppOptions>;
  /** Abuse limits (none by default: tests create carts and orders by the hundred from one address). */
  rateLimits?: LimitSettings;
}

export interface TestWorker {
  taskQueue: string;
  stop(): Promise<void>;
}

/**
 * A worker running the real workflows and activities (simulated providers, this file's database)
 * on the harness's dev server, on a task queue of its own: pass its taskQueue to startTestApi.
 */
export async function startCheckoutWorker(
  db: TestDatabase, deps: Partial<ActivityDeps> = {}, opts: { workflowBundle?: WorkflowBundleOption } = {},
): Promise<TestWorker> {
  installQuietRuntime();
  const connection = await NativeConnection.connect({ address: required('TEST_TEMPORAL_ADDRESS') });
  const taskQueue = uniqueTaskQueue('api');
  const activities = realActivities(db, deps);
  const worker = await Worker.create({
    connection, taskQueue, workflowBundle: opts.workflowBundle ?? workflowBundle(), activities, dataConverter: testDataConverter(),
    shutdownGraceTime: '2 seconds', shutdownForceTime: '5 seconds',
  });
  // Customer messages run on the queue's own notification queue, as in production (workers/notifications.ts).
  const notifications = await createNotificationWorker({ connection, taskQueue, payloadCodec: testPayloadCodec(), activities, shutdownGraceMs: 2000 });
  const runs = [worker.run(), notifications.run()];
  return {
    taskQueue,
    stop: async () => {
      worker.shutdown();
      notifications.shutdown();
      await Promise.all(runs);
      await connection.close();
    },
  };
}

export async function startTestApi(orm: MikroORM, options: TestApiOptions = {}): Promise<TestApi> {
  // A real client of the harness's dev server, shared by every request of this app (as in production).
  const temporal = await connectClient(testTarget());
  await seedStaffKeys(orm);
  // Every answer of every route is checked against its OpenAPI document: one it does not list fails the test file (in close()).
  const undeclared = new Set<string>();
  const orderEvents = new OrderEventHub(orm, logger);
  const app = buildApp({
    orderEvents,
    onUndeclaredStatus: (route, status) => undeclared.add(`${route} answered ${status}`),
    orm, logger, rateLimits: options.rateLimits, payloadCodec: temporal.payloadCodec,
    temporal: options.temporalClient ? { client: options.temporalClient, ping: temporal.ping } : temporal,
    taskQueue: options.taskQueue, paymentActionTimeout: options.paymentActionTimeout,
    simulatedPayments: options.simulatedPayments === false ? undefined : new SimulatedPaymentProvider(orm),
    // Orders wait for the warehouse's packed signal, so a test sees them at awaiting_fulfillment until it says so.
    fulfillment: { autoPack: false, trackingPollEvery: '6 hours', trackingStallAfter: '5 days' },
    ...options.app,
  });
  // The production server's own handling of what never reaches Koa (unparseable requests, CONNECT).
  const server: Server = createHttpServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url, orderEvents,
    request: (method, path, opts = {}) => requestJson(url, method, path, opts),
    close: async () => {
      await orderEvents.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await temporal.connection.close();
      if (undeclared.size) throw new Error(`Routes answered statuses their OpenAPI documents do not list (add them to the routes' responses): ${[...undeclared].join('; ')}`);
    },
  };
}

export interface RequestOptions { body?: unknown; rawBody?: string; headers?: Record<string, string>; timeoutMs?: number }

/** One HTTP request: `body` sent as JSON (or `rawBody` as is); the answer parsed as JSON when it is. */
export async function requestJson(base: string, method: string, path: string, opts: RequestOptions = {}): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...opts.headers };
  let body: string | undefined = opts.rawBody;
  if (opts.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = JSON.stringify(opts.body);
  }
  const res = await fetch(base + path, { method, headers, body, signal: opts.timeoutMs ? AbortSignal.timeout(opts.timeoutMs) : undefined });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: the test sees the raw text
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

/** What most API test files run against: their own database, a checkout worker, and the API in front of it. */
export interface ApiWorld {
  db: TestDatabase;
  worker: TestWorker;
  api: TestApi;
}

/** A database seeded with the checkout catalog (`stock` units of each SKU), a worker on a queue of its own, and the API starting checkouts there. */
export async function startApiWorld(opts: { stock: number; workerDeps?: Partial<ActivityDeps>; workflowBundle?: WorkflowBundleOption;
  api?: Omit<TestApiOptions, 'taskQueue'> }): Promise<ApiWorld> {
  const db = await createTestDatabase();
  await seedCheckoutCatalog(db, opts.stock);
  const worker = await startCheckoutWorker(db, opts.workerDeps, { workflowBundle: opts.workflowBundle });
  const api = await startTestApi(db.orm, { ...opts.api, taskQueue: worker.taskQueue });
  return { db, worker, api };
}

/** Stops what startApiWorld started, whatever of it did start. */
export async function stopApiWorld(world: Partial<ApiWorld>): Promise<void> {
  // Everything stops even when the API's close reports routes answering undeclared statuses; then that is thrown.
  const closed = await world.api?.close().then(() => undefined, (err: unknown) => err);
  await world.worker?.stop();
  await world.db?.drop();
  if (closed) throw closed;
}
