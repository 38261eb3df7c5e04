/**
 * The worker under test, in a process of its own: the real worker (startWorker from
 * workers/worker.ts: workflows/ and createActivities, the catalog import among them) on
 * BENCH_TASK_QUEUE, with no schedules. Started by run.ts; reports `{ ready: true }` over IPC and
 * exits on SIGTERM, SIGINT or when its parent goes away.
 */
import { NativeConnection } from '@temporalio/worker';
import { closeOrm, createOrm } from '../../src/db/orm';
import { logger } from '../../src/logger';
import { installWorkerRuntime, startWorker } from '../../workers/worker';

async function main(): Promise<void> {
  const env = (name: string) => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} must be set (bench/import/run.ts sets it).`);
    return value;
  };
  installWorkerRuntime(logger, { level: 'warn' });
  // The pool a worker gets in production unless DATABASE_POOL_MAX says otherwise (src/config.ts).
  const orm = await createOrm(env('BENCH_DATABASE_URL'), Number(process.env.DATABASE_POOL_MAX ?? 10));
  const connection = await NativeConnection.connect({ address: env('BENCH_TEMPORAL_ADDRESS') });
  const running = await startWorker({ connection, namespace: 'default', taskQueue: env('BENCH_TASK_QUEUE'), orm, logger: logger.child({}, { level: 'warn' }),
    cartSweep: 'off', shutdownGraceMs: 5_000 });
  const stop = async () => {
    await running.stop();
    await connection.close();
    await closeOrm(orm);
    process.exit(0);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void stop());
  process.on('disconnect', () => void stop());
  process.send?.({ ready: true, pid: process.pid });
}

main().catch((err: unknown) => {
  console.error('[bench worker] failed:', err);
  process.exit(1);
});
