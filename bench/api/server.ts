/**
 * The API under test, in a process of its own so the load generator never shares its event loop.
 * Started by bench/api/run.ts (and bench/accounts/run.ts) with BENCH_DATABASE_URL, BENCH_PORT and an IPC channel; it reports
 * `{ ready: true }` once listening and exits when told to (SIGTERM) or when its parent goes away.
 * With BENCH_API_PROCESSES=n (n > 1) it is a node:cluster primary that only hands out connections
 * to n API processes on the one port, as a load balancer spreads them over the replicas in
 * production (docker-compose.yml runs 2).
 */
import cluster from 'node:cluster';
import { createServer, type Server } from 'node:http';
import { buildApp } from '../../src/api/app';
import { accountSettings } from '../../src/accounts/settings';
import { loadConfig } from '../../src/config';
import { closeOrm, createOrm } from '../../src/db/orm';
import { logger } from '../../src/logger';
import { installTailProbe, traceRequests } from './tail';

async function main(): Promise<void> {
  const url = process.env.BENCH_DATABASE_URL;
  const port = Number(process.env.BENCH_PORT);
  if (!url || !port) throw new Error('BENCH_DATABASE_URL and BENCH_PORT must be set (bench/api/run.ts sets them).');
  // The same pool size the API gets in production unless DATABASE_POOL_MAX says otherwise (src/config.ts).
  const orm = await createOrm(url, Number(process.env.DATABASE_POOL_MAX ?? 10));
  // No Temporal: the catalog and cart routes never reach it, and /readyz is not measured. The cart-creation limit is
  // counted as in production (one upsert in PostgreSQL per new cart), but set far above what one address sends here.
  // Account settings (ARGON2_*, SESSION_*) from the environment, as the API reads them: bench/accounts sets the argon2 cost.
  const config = loadConfig();
  const app = buildApp({ orm, temporal: { ping: async () => {} }, logger, accounts: accountSettings(config), searchCardsKept: config.SEARCH_CARDS_KEPT,
    rateLimits: { cartCreation: { ip: { points: 1_000_000_000, windowSeconds: 3600 } } } });
  const server: Server = await new Promise((resolve, reject) => {
    const s = createServer(traceRequests(app.callback())).listen(port, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
  });

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await closeOrm(orm, true);
    process.exit(code);
  };
  process.on('SIGTERM', () => void stop(0));
  process.on('SIGINT', () => void stop(130));
  // The parent died without stopping us (kill -9, crash): do not outlive it.
  process.on('disconnect', () => void stop(0));
  installTailProbe(orm);
  process.send?.({ ready: true });
}

/** Forks the API processes, reports ready once all of them listen, and takes them down with it. */
async function primary(processes: number): Promise<void> {
  const workers = Array.from({ length: processes }, () => cluster.fork());
  await Promise.all(workers.map((w) => new Promise<void>((resolve, reject) => {
    w.once('listening', () => resolve());
    w.once('exit', (code) => reject(new Error(`an API process exited with code ${code} while starting`)));
  })));
  for (const w of workers) w.removeAllListeners('exit');
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await Promise.all(workers.map((w) => new Promise<void>((resolve) => {
      if (w.isDead()) return resolve();
      w.once('exit', () => resolve());
      w.process.kill('SIGTERM');
    })));
    process.exit(code);
  };
  for (const w of workers) w.on('exit', (code, signal) => { if (!stopping) { console.error(`an API process died (code ${code}, signal ${signal})`); void stop(1); } });
  process.on('SIGTERM', () => void stop(0));
  process.on('SIGINT', () => void stop(130));
  process.on('disconnect', () => void stop(0));
  process.send?.({ ready: true });
}

const processes = Number(process.env.BENCH_API_PROCESSES ?? 1);
(cluster.isPrimary && processes > 1 ? primary(processes) : main()).catch((err: unknown) => {
  console.error('bench server failed to start:', err);
  process.exit(1);
});
