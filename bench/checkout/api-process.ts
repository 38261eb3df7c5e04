/**
 * The API under test, in a process of its own: startApi from src/api/server.ts with one shared
 * Temporal client, exactly as src/api/main.ts wires it, starting checkouts on BENCH_TASK_QUEUE.
 * Started by run.ts with PORT, BENCH_DATABASE_URL and BENCH_TEMPORAL_ADDRESS; reports
 * `{ ready: true, url }` over IPC and exits on SIGTERM, SIGINT or when its parent goes away.
 */
import { loadConfig } from '../../src/config';
import { closeOrm, createOrm } from '../../src/db/orm';
import { SimulatedPaymentProvider } from '../../src/integrations/simulated/payments';
import { logger } from '../../src/logger';
import { startApi } from '../../src/api/server';
import { connectClient } from '../../src/temporal/client';
import { payloadCodecFromConfig } from '../../src/temporal/payload-keys';

async function main(): Promise<void> {
  const databaseUrl = process.env.BENCH_DATABASE_URL;
  const address = process.env.BENCH_TEMPORAL_ADDRESS;
  if (!databaseUrl || !address) throw new Error('BENCH_DATABASE_URL and BENCH_TEMPORAL_ADDRESS must be set (bench/checkout/run.ts sets them).');
  // Every order comes from one address here: the checkout limits stay in the path (their counting is part of the
  // cost measured) but far above what one run places.
  const config = loadConfig({ ...process.env, HOST: '127.0.0.1', TEMPORAL_TASK_QUEUE: process.env.BENCH_TASK_QUEUE,
    RATE_LIMIT_CARTS_PER_IP: '9999999/1h', RATE_LIMIT_CHECKOUTS_PER_IP: '9999999/1h', RATE_LIMIT_DECLINES_PER_IP: '9999999/1h' });
  const orm = await createOrm(databaseUrl, config.DATABASE_POOL_MAX);
  // The workers' payload codec (PAYLOAD_KEYS, else npm run dev's key), as in production: encryption is part of the cost measured.
  const temporal = await connectClient({ address, namespace: 'default', payloadCodec: payloadCodecFromConfig(config) });
  const api = await startApi({ config, orm, temporal, logger, payments: new SimulatedPaymentProvider(orm) });

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await api.close().catch(() => undefined);
    await temporal.connection.close().catch(() => undefined);
    await closeOrm(orm, true).catch(() => undefined);
    process.exit(code);
  };
  process.on('SIGTERM', () => void stop(0));
  process.on('SIGINT', () => void stop(0));
  process.on('disconnect', () => void stop(0)); // the parent died without stopping us: do not outlive it
  process.send?.({ ready: true, url: api.url });
}

main().catch((err: unknown) => {
  console.error('bench API failed to start:', err);
  process.exit(1);
});
