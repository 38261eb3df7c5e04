/**
 * The worker under measurement, in a process of its own so its memory is its own: the real
 * workflows (bundled from workflows/) and the real activities on the benchmark's PostgreSQL and
 * simulated providers. It reports readiness and, when asked, process.memoryUsage() over IPC, and
 * exits when its parent goes away.
 */
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { createOrm } from '../../src/db/orm';
import { logger } from '../../src/logger';
import { SimulatedCarrier } from '../../src/integrations/simulated/carrier';
import { SimulatedNotifier } from '../../src/integrations/simulated/notifier';
import { SimulatedPaymentProvider } from '../../src/integrations/simulated/payments';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the benchmark with npm run bench:tracking`);
  return value;
};

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] });
  const orm = await createOrm(env('BENCH_DATABASE_URL'), 10);
  const connection = await NativeConnection.connect({ address: env('BENCH_TEMPORAL_ADDRESS') });
  const worker = await Worker.create({
    connection, taskQueue: env('BENCH_TASK_QUEUE'),
    workflowsPath: require.resolve('../../workflows'),
    activities: createActivities({ orm, logger, clock: () => new Date(), payments: new SimulatedPaymentProvider(orm),
      notifier: new SimulatedNotifier(logger), carrier: new SimulatedCarrier() }),
    maxCachedWorkflows: Number(env('BENCH_MAX_CACHED_WORKFLOWS')),
    shutdownGraceTime: '2 seconds', shutdownForceTime: '5 seconds',
  });
  const run = worker.run();
  process.send?.({ type: 'ready' });
  process.on('message', (message: { type: string }) => {
    if (message.type === 'memory') process.send?.({ type: 'memory', usage: process.memoryUsage() });
  });
  // Nothing here outlives the run (the server and the database are thrown away next), and a graceful
  // stop would evict 5,000 cached workflows one by one: exit at once.
  process.on('SIGTERM', () => process.exit(0));
  process.on('disconnect', () => process.exit(0)); // the parent died: do not linger
  await run;
}

main().catch((err: unknown) => {
  console.error(`[bench worker] ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
