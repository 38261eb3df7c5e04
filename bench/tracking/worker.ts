/**
 * The worker under measurement, in a process of its own so its memory is its own: the real
 * workflows (bundled ahead of time by run.ts, as `npm run build` bundles the production worker's) and the real activities on the benchmark's PostgreSQL and
 * simulated providers, with the production worker's cache and concurrency (workerCapacity, from
 * the WORKER_MAX_* settings and their defaults) unless BENCH_MAX_CACHED_WORKFLOWS overrides the
 * cache. It reports readiness and, when asked, process.memoryUsage() over IPC, and exits when its
 * parent goes away.
 */
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { createOrm } from '../../src/db/orm';
import { loadConfig } from '../../src/config';
import { dataConverterOf } from '../../src/temporal/codec';
import { payloadCodecFromConfig } from '../../src/temporal/payload-keys';
import { workerCapacity } from '../../workers/worker';
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
  const config = loadConfig();
  const capacity = workerCapacity(config);
  const override = process.env.BENCH_MAX_CACHED_WORKFLOWS;
  if (override) {
    capacity.maxCachedWorkflows = Number(override);
    capacity.maxConcurrentWorkflowTaskExecutions = Math.min(capacity.maxConcurrentWorkflowTaskExecutions ?? 40, Number(override));
  }
  const worker = await Worker.create({
    connection, taskQueue: env('BENCH_TASK_QUEUE'),
    // Payloads encrypted as the production worker does (PAYLOAD_KEYS from run.ts): the codec's cost is part of what is measured.
    dataConverter: dataConverterOf(payloadCodecFromConfig(config)),
    // Bundled ahead of time by run.ts, as the production worker's is by `npm run build` (workers/bundle.ts).
    workflowBundle: { codePath: env('BENCH_WORKFLOW_BUNDLE') },
    activities: createActivities({ orm, logger, clock: () => new Date(), payments: new SimulatedPaymentProvider(orm),
      notifier: new SimulatedNotifier(logger), carrier: new SimulatedCarrier() }),
    ...capacity,
    shutdownGraceTime: '2 seconds', shutdownForceTime: '5 seconds',
  });
  const run = worker.run();
  process.send?.({ type: 'ready', maxCachedWorkflows: capacity.maxCachedWorkflows });
  process.on('message', (message: { type: string }) => {
    if (message.type === 'memory') process.send?.({ type: 'memory', usage: process.memoryUsage() });
    // A clean stop, between the benchmark's rounds: the server learns that this worker's sticky queue is gone,
    // so the next worker gets these workflows' tasks at once instead of after the sticky queue's timeout.
    if (message.type === 'stop') {
      worker.shutdown();
      void run.finally(() => process.exit(0));
    }
  });
  // At the end nothing here outlives the run (the server and the database are thrown away next): exit at once.
  process.on('SIGTERM', () => process.exit(0));
  process.on('disconnect', () => process.exit(0)); // the parent died: do not linger
  await run;
}

main().catch((err: unknown) => {
  console.error(`[bench worker] ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
