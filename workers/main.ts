/**
 * `npm run worker` (`npm run start:worker` compiled): a worker process for the `commerce` task
 * queue. It needs PostgreSQL (DATABASE_URL, migrated beforehand with `npm run migrate`: workers
 * never migrate, several would race) and a Temporal frontend (TEMPORAL_ADDRESS). Run as many as
 * the load needs. SIGTERM/SIGINT stop polling, let running activities finish (up to
 * WORKER_SHUTDOWN_GRACE), then exit 0; work not yet picked up waits in Temporal for the next worker.
 */
import { NativeConnection } from '@temporalio/worker';
import { durationMs, loadConfigOrExit } from '../src/config';
import { closeOrm, createOrm, type MikroORM } from '../src/db/orm';
import { logger as rootLogger } from '../src/logger';
import { connectionOptions, targetFromConfig } from '../src/temporal/client';
import { startTracing, type Tracing } from '../src/telemetry/tracing';
import { installWorkerRuntime, startWorker, type RunningWorker } from './worker';

const logger = rootLogger.child({ role: 'worker' });

// Closing the pool waits for the connections in use: an activity that ignored its cancellation still
// holds one. Past this the process exits anyway; the activity's transaction rolls back with the
// connection, and Temporal retries it on another worker after its start-to-close timeout.
const RELEASE_TIMEOUT_MS = 5_000;

async function main(): Promise<void> {
  const config = loadConfigOrExit('worker', ['DATABASE_URL', 'TEMPORAL_ADDRESS']);
  const metricsBindAddress = config.WORKER_METRICS_PORT === undefined ? undefined : `${config.WORKER_METRICS_HOST}:${config.WORKER_METRICS_PORT}`;
  installWorkerRuntime(logger, { metricsBindAddress });
  if (metricsBindAddress) logger.info({ url: `http://${metricsBindAddress}/metrics` }, 'worker metrics exported');
  const tracing = startTracing({ endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: config.OTEL_SERVICE_NAME ?? 'commerce-worker' });
  let orm: MikroORM | undefined;
  let connection: NativeConnection | undefined;
  let running: RunningWorker | undefined;
  const release = () => releaseAll({ connection, orm, tracing });
  try {
    orm = await createOrm(config.DATABASE_URL!, config.DATABASE_POOL_MAX);
    const pending = await orm.getMigrator().getPendingMigrations();
    if (pending.length > 0) {
      logger.warn({ pending: pending.map((m) => m.name) }, 'The database schema is behind this code: run `npm run migrate`');
    }
    const target = targetFromConfig(config);
    connection = await NativeConnection.connect(connectionOptions(target));
    running = await startWorker({ connection, namespace: target.namespace, taskQueue: config.TEMPORAL_TASK_QUEUE, orm, logger,
      publicBaseUrl: config.PUBLIC_BASE_URL, payloadCodec: target.payloadCodec, shutdownGraceMs: durationMs(config.WORKER_SHUTDOWN_GRACE), tracing, config });
  } catch (err) {
    logger.fatal({ err }, `The worker could not start: ${(err as Error).message}`);
    await release();
    process.exit(1);
  }

  const worker = running;
  let stopping = false;
  const handle = stopOnSignal(worker, release, () => {
    stopping = true;
  }, durationMs(config.WORKER_SHUTDOWN_GRACE));
  process.on('SIGTERM', handle);
  process.on('SIGINT', handle);

  // A worker that dies on its own (e.g. its namespace is gone) exits non-zero so the supervisor restarts it.
  worker.run.catch(async (err: unknown) => {
    if (stopping) return;
    logger.fatal({ err }, `The worker stopped unexpectedly: ${(err as Error).message}`);
    await release();
    process.exit(1);
  });
}

interface Held { connection?: NativeConnection; orm?: MikroORM; tracing?: Tracing }

/** Closes what the process holds, waiting at most RELEASE_TIMEOUT_MS. */
async function releaseAll({ connection, orm, tracing }: Held): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const closing = (async () => {
    await connection?.close().catch((err: unknown) => logger.warn({ err }, 'Closing the Temporal connection failed'));
    if (orm) await closeOrm(orm).catch((err: unknown) => logger.warn({ err }, 'Closing the database pool failed'));
    await tracing?.shutdown().catch((err: unknown) => logger.warn({ err }, 'Flushing the last trace spans failed'));
  })();
  const late = new Promise<void>((done) => {
    timer = setTimeout(() => {
      logger.warn({ afterMs: RELEASE_TIMEOUT_MS }, 'The Temporal connection or the database pool is still in use: exiting without waiting');
      done();
    }, RELEASE_TIMEOUT_MS);
  });
  await Promise.race([closing, late]).finally(() => clearTimeout(timer));
}

/** SIGTERM/SIGINT: stop polling, let running activities finish, release, exit; a second signal exits at once. */
function stopOnSignal(worker: RunningWorker, release: () => Promise<void>, onStop: () => void, graceMs: number) {
  let stopping = false;
  return (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'Second stop signal: exiting without waiting for running activities');
      process.exit(1);
    }
    stopping = true;
    onStop();
    logger.info({ signal, graceMs }, 'Stopping: no new tasks; running activities may finish');
    worker.stop().then(
      async () => {
        await release();
        process.exit(0);
      },
      async (err: unknown) => {
        // Past WORKER_SHUTDOWN_GRACE + 10 s: an activity ignored its cancellation (it neither finished nor heartbeat).
        logger.error({ err }, 'The worker did not stop cleanly: an activity was still running after the grace period; '
          + 'exiting, Temporal retries it on another worker after its timeout');
        await release();
        process.exit(1);
      },
    );
  };
}

void main();
