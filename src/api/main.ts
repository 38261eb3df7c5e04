/**
 * `npm run api`: the API as a production process. It needs a real PostgreSQL (DATABASE_URL, already
 * migrated with `npm run migrate`) and a Temporal frontend (TEMPORAL_ADDRESS); replicas scale out
 * freely. SIGTERM/SIGINT drain it: /readyz turns 503, in-flight requests finish, then it exits 0.
 */
import { ConfigError, loadConfig, type Config } from '../config';
import { createOrm, type MikroORM } from '../db/orm';
import { createProviders } from '../integrations';
import { logger as rootLogger } from '../logger';
import { connectClient, targetFromConfig } from '../temporal/client';
import { PortInUseError, startApi } from './server';

const logger = rootLogger.child({ role: 'api' });

async function main(): Promise<void> {
  const config = readConfig();
  let orm: MikroORM | undefined;
  let temporal: Awaited<ReturnType<typeof connectClient>> | undefined;
  try {
    orm = await createOrm(config.DATABASE_URL!, config.DATABASE_POOL_MAX);
    await warnIfSchemaBehind(orm);
    temporal = await connectClient(targetFromConfig(config));
    const { payments } = createProviders({ orm, logger, publicBaseUrl: config.PUBLIC_BASE_URL });
    const api = await startApi({ config, orm, temporal, logger, payments });
    onStopSignal(async () => {
      await api.close();
      await temporal?.connection.close();
      await orm?.close();
    });
  } catch (err) {
    if (err instanceof PortInUseError) console.error(err.message);
    else logger.fatal({ err }, `The API could not start: ${(err as Error).message}`);
    await temporal?.connection.close().catch(() => undefined);
    await orm?.close().catch(() => undefined);
    process.exit(1);
  }
}

function readConfig(): Config & { DATABASE_URL: string; TEMPORAL_ADDRESS: string } {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    process.exit(1);
  }
  const missing = (['DATABASE_URL', 'TEMPORAL_ADDRESS'] as const).filter((name) => !config[name]);
  if (missing.length > 0) {
    console.error(`${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set: the API needs PostgreSQL ` +
      '(DATABASE_URL=postgres://user:password@host:5432/db) and a Temporal frontend (TEMPORAL_ADDRESS=host:7233). ' +
      'To run everything locally on embedded servers, use `npm run dev`.');
    process.exit(1);
  }
  return config as Config & { DATABASE_URL: string; TEMPORAL_ADDRESS: string };
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
    logger.info({ signal }, 'Stopping: draining in-flight requests');
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
