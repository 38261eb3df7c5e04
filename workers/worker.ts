/**
 * The worker for the `commerce` task queue: every workflow in workflows/index.ts and every
 * activity createActivities() builds. workers/main.ts runs it alone; `npm run dev` runs it
 * beside the API in one process.
 */
import { NativeConnection, Runtime, Worker, type ActivityInterceptorsFactory, type WorkerOptions, type WorkflowBundleOption } from '@temporalio/worker';
import type { LogLevel, LogMetadata, PayloadCodec } from '@temporalio/common';
import {
  makeWorkflowExporter, OpenTelemetryActivityInboundInterceptor, OpenTelemetryActivityOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { MikroORM } from '@mikro-orm/postgresql';
import { createActivities } from '../activities';
import { createProviders, type Providers } from '../src/integrations';
import type { LevelWithSilent } from 'pino';
import type { Logger } from '../src/logger';
import { cartSweepSettings, ensureSchedulesAtStartup, imageSweepSettings, retentionSettings, type CartSweepSettings } from '../src/temporal/schedules';
import { createImageStorage, defaultImageDir } from '../src/integrations/image-storage';
import type { Tracing } from '../src/telemetry/tracing';
import { activityMetricsInterceptor } from './metrics';
import { createNotificationWorker } from './notifications';
import { loadConfig, type Config } from '../src/config';
import { dataConverterOf } from '../src/temporal/codec';
import { payloadCodecFromConfig } from '../src/temporal/payload-keys';
import { prebuiltBundle, TRACING_WORKFLOW_MODULES } from './bundle';

// After a stop request, running activities get this long to finish on their own before the SDK
// cancels them (WORKER_SHUTDOWN_GRACE): our activities are short database writes and provider
// calls, well under 10 s.
const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;
// Past the grace period plus this, the worker gives up on a clean stop and fails, so the process
// can exit. With the default grace that is 20 s, below Kubernetes' default 30 s termination grace
// period, so we exit before being SIGKILLed.
const SHUTDOWN_FORCE_AFTER_GRACE_MS = 10_000;

export interface StartWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  orm: MikroORM;
  logger: Logger;
  /** Payment and notification adapters; by default the ones createProviders() picks from the environment. */
  providers?: Providers;
  /** Where links in e-mails and payment redirects point (PUBLIC_BASE_URL). */
  publicBaseUrl?: string;
  /** A prebuilt bundle (tests bundle once per run); otherwise workflows/ is bundled at start-up. */
  workflowBundle?: WorkflowBundleOption;
  /** The cart-expiry-sweep schedule this worker ensures at start-up: by default from CART_* settings; 'off' for none. */
  cartSweep?: CartSweepSettings | 'off';
  /** How long running activities may take to finish after a stop request (WORKER_SHUTDOWN_GRACE). */
  shutdownGraceMs?: number;
  /** When tracing is on: workflow and activity spans join the trace that started the workflow. */
  tracing?: Tracing;
  /** The notification queue's rate limit, messages per second across all workers (NOTIFICATIONS_PER_SECOND). */
  notificationsPerSecond?: number;
  /** The configuration the process read and validated at start-up; read from the environment when not given. */
  config?: Config;
  /** Encrypts and decrypts every payload (src/temporal/codec.ts); by default the one PAYLOAD_KEYS (or npm run dev's key) gives. */
  payloadCodec?: PayloadCodec;
}

export interface RunningWorker {
  worker: Worker;
  /** Settles when the worker has stopped; rejects if it failed (e.g. lost its server for good). */
  run: Promise<void>;
  /** Stops polling, lets running tasks finish (bounded by the times above), resolves when stopped. */
  stop(): Promise<void>;
}

export async function startWorker(opts: StartWorkerOptions): Promise<RunningWorker> {
  // Read before anything starts, so a bad CART_* value stops the worker with one message.
  const config = opts.config ?? loadConfig();
  const cartSweep = opts.cartSweep ?? cartSweepSettings(config);
  const grace = opts.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS;
  const payloadCodec = opts.payloadCodec ?? payloadCodecFromConfig(config);
  const activities = createActivities({
    orm: opts.orm, logger: opts.logger, clock: () => new Date(), warehouse: config.FULFILLMENT_WAREHOUSE,
    images: createImageStorage(config, defaultImageDir()),
    ...(opts.providers ?? createProviders({ orm: opts.orm, logger: opts.logger, publicBaseUrl: opts.publicBaseUrl, config })),
  });
  const workflowBundle = opts.workflowBundle ?? prebuiltBundle(opts.tracing !== undefined);
  const worker = await Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    dataConverter: dataConverterOf(payloadCodec),
    // A bundle given (tests bundle once per run), else the build's own (workers/bundle.ts), else workflows/ bundled now.
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: require.resolve('../workflows') }),
    // The notification activity stays registered here too, for workflows that schedule it on this queue.
    activities,
    interceptors: {
      activity: [activityMetricsInterceptor, ...(opts.tracing ? tracingActivityInterceptors : [])],
      // Bundled into the workflow code only when tracing is on (a prebuilt bundle carries its own).
      workflowModules: opts.tracing && !workflowBundle ? TRACING_WORKFLOW_MODULES : [],
    },
    // Workflow spans leave the sandbox through this sink and join the process's span pipeline.
    ...(opts.tracing ? { sinks: { exporter: makeWorkflowExporter(opts.tracing.spanProcessor, opts.tracing.resource) } } : {}),
    ...workerCapacity(config),
    shutdownGraceTime: grace,
    shutdownForceTime: grace + SHUTDOWN_FORCE_AFTER_GRACE_MS,
  });
  // Customer messages: their own rate-limited queue, polled from this process too (workers/notifications.ts).
  const notifications = await createNotificationWorker({ connection: opts.connection, namespace: opts.namespace, taskQueue: opts.taskQueue,
    activities, perSecond: opts.notificationsPerSecond ?? config.NOTIFICATIONS_PER_SECOND, shutdownGraceMs: grace, payloadCodec,
    activityInterceptors: [activityMetricsInterceptor, ...(opts.tracing ? tracingActivityInterceptors : [])] });
  const runs = [worker.run(), notifications.run()];
  const run = Promise.all(runs).then(() => undefined);
  opts.logger.info({ taskQueue: opts.taskQueue, notificationTaskQueue: notifications.options.taskQueue, namespace: opts.namespace }, 'worker polling');
  if (cartSweep !== 'off') {
    await ensureSchedulesAtStartup({ connection: opts.connection, namespace: opts.namespace, taskQueue: opts.taskQueue, payloadCodec },
      cartSweep, opts.logger, imageSweepSettings(config), retentionSettings(config));
  }
  return {
    worker,
    run,
    stop: async () => {
      for (const w of [worker, notifications]) if (w.getState() === 'RUNNING') w.shutdown();
      await Promise.allSettled(runs);
      await run;
      opts.logger.info({ taskQueue: opts.taskQueue }, 'worker stopped');
    },
  };
}

/**
 * How many workflows the worker keeps in memory and how much it runs at once (WORKER_MAX_*). A
 * cached workflow costs its V8 context and state (about 400 KB for an idle parcel, measured by
 * bench/tracking); a workflow evicted from the cache is replayed from its history on its next task,
 * so the cache bounds memory, not the number of workflows the worker serves. The defaults fit a
 * 1 GB container: docs/configuration.md says how they were sized.
 */
export function workerCapacity(config: Pick<Config, 'WORKER_MAX_CACHED_WORKFLOWS' | 'WORKER_MAX_CONCURRENT_WORKFLOW_TASKS'
  | 'WORKER_MAX_CONCURRENT_ACTIVITIES' | 'WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES'>): Pick<WorkerOptions, 'maxCachedWorkflows'
  | 'maxConcurrentWorkflowTaskExecutions' | 'maxConcurrentActivityTaskExecutions' | 'maxConcurrentLocalActivityExecutions'> {
  return {
    maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
    maxConcurrentWorkflowTaskExecutions: config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
    maxConcurrentActivityTaskExecutions: config.WORKER_MAX_CONCURRENT_ACTIVITIES,
    maxConcurrentLocalActivityExecutions: config.WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES,
  };
}

/**
 * Sends the SDK's own logs (TypeScript and Rust core) through our pino logger, and leaves
 * SIGINT/SIGTERM to the process: by default the SDK stops every worker on a signal by itself,
 * which would race the ordered shutdown (API first, then worker, then servers). Must run before
 * the first NativeConnection or Worker is created, because the SDK's runtime is a singleton.
 */
export function installWorkerRuntime(logger: Logger, opts: { level?: LevelWithSilent; metricsBindAddress?: string } = {}): void {
  Runtime.install({
    logger: sdkLogger(opts.level ? logger.child({}, { level: opts.level }) : logger),
    shutdownSignals: [],
    telemetryOptions: {
      logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} },
      // The SDK's own Prometheus exporter (workers/metrics.ts adds the commerce_* counters to it).
      ...(opts.metricsBindAddress ? { metrics: { prometheus: { bindAddress: opts.metricsBindAddress } } } : {}),
    },
  });
}

const tracingActivityInterceptors: ActivityInterceptorsFactory[] = [
  (ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) }),
];

function sdkLogger(logger: Logger) {
  const child = logger.child({ component: 'temporal-sdk' });
  const log = (level: LogLevel, message: string, meta?: LogMetadata) => {
    const method = level.toLowerCase() as 'trace' | 'debug' | 'info' | 'warn' | 'error';
    child[method](meta ?? {}, message);
  };
  return {
    log,
    trace: (m: string, meta?: LogMetadata) => log('TRACE', m, meta),
    debug: (m: string, meta?: LogMetadata) => log('DEBUG', m, meta),
    info: (m: string, meta?: LogMetadata) => log('INFO', m, meta),
    warn: (m: string, meta?: LogMetadata) => log('WARN', m, meta),
    error: (m: string, meta?: LogMetadata) => log('ERROR', m, meta),
  };
}
