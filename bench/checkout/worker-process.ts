/**
 * The workers under test, in a process of their own: the real checkout worker (startWorker from
 * workers/worker.ts: workflows/, createActivities, the simulated payment provider and notifier,
 * and its rate-limited notification queue) on BENCH_TASK_QUEUE, and the bare yardstick (bare-workflows.ts, do-nothing activities) on
 * BENCH_BARE_TASK_QUEUE, sharing one connection, both with the SDK's default worker options.
 * Started by run.ts; reports `{ ready: true }` over IPC and exits on SIGTERM, SIGINT or when its
 * parent goes away.
 *
 * Experiments only (the README says how): BENCH_WORKFLOWS_DIR bundles another workflows directory
 * for the checkout worker; BENCH_WORKER_OPTIONS (JSON, e.g. {"maxCachedWorkflows":500}) is applied
 * to every worker this process creates alike (checkout, its notification queue, bare).
 */
import { resolve } from 'node:path';
import { bundleWorkflowCode, NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { loadConfig } from '../../src/config';
import { closeOrm, createOrm } from '../../src/db/orm';
import { dataConverterOf } from '../../src/temporal/codec';
import { payloadCodecFromConfig } from '../../src/temporal/payload-keys';
import { createProviders } from '../../src/integrations';
import { logger } from '../../src/logger';
import { installWorkerRuntime, startWorker } from '../../workers/worker';
import { quietBundlerLogger } from '../../workers/bundle';
import { bareActivities } from './bare-activities';

const SHUTDOWN = { shutdownGraceTime: '5s', shutdownForceTime: '10s' } as const;

async function main(): Promise<void> {
  const env = (name: string) => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} must be set (bench/checkout/run.ts sets it).`);
    return value;
  };
  const [databaseUrl, address, taskQueue, bareTaskQueue] = ['BENCH_DATABASE_URL', 'BENCH_TEMPORAL_ADDRESS', 'BENCH_TASK_QUEUE', 'BENCH_BARE_TASK_QUEUE'].map(env);
  const tuning = JSON.parse(process.env.BENCH_WORKER_OPTIONS || '{}') as Partial<WorkerOptions>;
  const workflowsDir = process.env.BENCH_WORKFLOWS_DIR;

  installWorkerRuntime(logger, { level: 'warn' });
  // The same pool size a worker gets in production unless DATABASE_POOL_MAX says otherwise (src/config.ts).
  const orm = await createOrm(databaseUrl, Number(process.env.DATABASE_POOL_MAX ?? 10));
  const connection = await NativeConnection.connect({ address });
  const providers = createProviders({ orm, logger });

  if (Object.keys(tuning).length > 0) applyToEveryWorker(tuning);
  const workflowBundle = workflowsDir ? await bundleWorkflowCode({ workflowsPath: resolve(workflowsDir), logger: quietBundlerLogger('[bench bundler]') }) : undefined;
  // No cart-sweep schedule: its passes would run in the middle of the measurement.
  const checkout = await startWorker({ connection, namespace: 'default', taskQueue, orm, logger, providers, workflowBundle, cartSweep: 'off' });
  const bareStop = await runBare({ connection, taskQueue: bareTaskQueue, workflowsPath: require.resolve('./bare-workflows'), activities: bareActivities });

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await Promise.allSettled([checkout.stop(), bareStop()]);
    await connection.close().catch(() => undefined);
    await closeOrm(orm, true).catch(() => undefined);
    process.exit(code);
  };
  process.on('SIGTERM', () => void stop(0));
  process.on('SIGINT', () => void stop(0));
  process.on('disconnect', () => void stop(0)); // the parent died without stopping us: do not outlive it
  process.send?.({ ready: true, workflows: workflowsDir ?? 'workflows/', tuning });
}

/** The bare worker: the SDK's defaults, as startWorker leaves them; returns its stop. */
async function runBare(options: WorkerOptions): Promise<() => Promise<void>> {
  // The same payload codec as the checkout worker (PAYLOAD_KEYS), so the yardstick's payloads cost what ours do.
  const worker = await Worker.create({ namespace: 'default', dataConverter: dataConverterOf(payloadCodecFromConfig(loadConfig())), ...SHUTDOWN, ...options });
  const run = worker.run();
  return async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await run;
  };
}

/**
 * For tuning experiments: every Worker.create in this process (startWorker's two workers and the
 * bare one) gets the same extra options, without a second copy of startWorker's set-up to keep in step.
 */
function applyToEveryWorker(tuning: Partial<WorkerOptions>): void {
  const create = Worker.create.bind(Worker);
  Worker.create = (options: WorkerOptions) => create({ ...options, ...tuning });
}

main().catch((err: unknown) => {
  console.error('bench worker failed to start:', err);
  process.exit(1);
});
