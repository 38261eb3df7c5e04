/**
 * `npm run api` (`npm run start:api` compiled): the API as a production process. It needs a real
 * PostgreSQL (DATABASE_URL, already migrated with `npm run migrate`) and a Temporal frontend
 * (TEMPORAL_ADDRESS); replicas scale out freely. SIGTERM/SIGINT drain it: /readyz turns 503 for
 * API_DRAIN_DELAY while requests are still served, then the listener closes, in-flight requests
 * finish, the Temporal connection and the database pool close, and it exits 0.
 */
import { durationMs, loadConfigOrExit } from '../config';
import { closeOrm, createOrm, type MikroORM } from '../db/orm';
import { createProviders } from '../integrations';
import { logger as rootLogger } from '../logger';
import { connectClient, targetFromConfig } from '../temporal/client';
import { startTracing, tracingClientInterceptors } from '../telemetry/tracing';
import { PortInUseError, startApi } from './server';

const logger = rootLogger.child({ role: 'api' });

async function main(): Promise<void> {
  const config = loadConfigOrExit('API', ['DATABASE_URL', 'TEMPORAL_ADDRESS']);
  const tracing = startTracing({ endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: config.OTEL_SERVICE_NAME ?? 'commerce-api' });
  let orm: MikroORM | undefined;
  let temporal: Awaited<ReturnType<typeof connectClient>> | undefined;
  try {
    orm = await createOrm(config.DATABASE_URL!, config.DATABASE_POOL_MAX);
    await warnIfSchemaBehind(orm);
    temporal = await connectClient(targetFromConfig(config), { interceptors: tracingClientInterceptors(tracing) });
    const { payments } = createProviders({ orm, logger, publicBaseUrl: config.PUBLIC_BASE_URL, config });
    const api = await startApi({ config, orm, temporal, logger, payments, drainDelayMs: durationMs(config.API_DRAIN_DELAY) });
    onStopSignal(async () => {
      await api.close();
      await temporal?.connection.close();
      if (orm) await closeOrm(orm);
      logger.info('Temporal connection and database pool closed');
      await tracing?.shutdown();
    });
  } catch (err) {
    if (err instanceof PortInUseError) console.error(err.message);
    else logger.fatal({ err }, `The API could not start: ${(err as Error).message}`);
    await temporal?.connection.close().catch(() => undefined);
    if (orm) await closeOrm(orm).catch(() => undefined);
    process.exit(1);
  }
}

/** The API does not migrate (several replicas would race); it says so when the schema is behind. */
async function warnIfSchemaBehind(orm: MikroORM): Promise<void> {
  const pending = await orm.getMigrator().getPendingMigrations();
  if (pending.length > 0) {
    logger.warn({ pending: pending.map((m) => m.name) }, 'The database schema is behind this code: run `npm run migrate`');
  }
}

function onStopSignal(stop: () => Promise<void>): void {
  let stopping = false;
  const handle = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'Second stop signal: exiting without waiting for in-flight requests');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'Stopping: draining, then finishing in-flight requests');
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'The API did not stop cleanly');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handle);
  process.on('SIGINT', handle);
}

void main();
