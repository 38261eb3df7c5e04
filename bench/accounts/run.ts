/**
 * `npm run bench:accounts`: what a customer's sign-in costs on this machine at the configured argon2id
 * parameters (ARGON2_*, the defaults of src/config.ts unless set), side by side in the same run with
 * OWASP's minimum parameters. Two API processes (one per cost) on one throw-away PostgreSQL; each
 * gets a customer, then sign-ins alternate between them so both see the same machine. For each cost:
 * the password check alone in this process, and through the API a sign-in, a wrong password and an
 * unknown e-mail address (which must cost the same). A report, not a test: exits 0 on MISS.
 */
import { cpus, loadavg } from 'node:os';
import { PasswordHasher } from '../../src/auth/passwords';
import { loadConfig } from '../../src/config';
import { closeOrm, createOrm, migrate } from '../../src/db/orm';
import { OWASP_MINIMUMS, type Argon2Params } from '../../src/domain/passwords';
import { BenchStack } from '../api/stack';
import { runBench } from '../lib/run';

/** The target for a sign-in at the configured cost on this 2-core machine. */
const TARGET_MS = 150;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
const DEADLINE_MS = 170_000;
const PASSWORD = 'correct horse battery staple';

const started = Date.now();
const log = (msg: string) => console.log(`[bench ${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${msg}`);
const describe = (p: Argon2Params) => `m=${p.memoryKiB} KiB, t=${p.iterations}, p=${p.parallelism}`;

interface Cost { name: string; params: Argon2Params; url: string; email: string; hashOnly: number[]; signIn: number[]; wrong: number[]; unknown: number[] }

async function main(stack: BenchStack): Promise<number> {
  const config = loadConfig();
  const configured: Argon2Params = { memoryKiB: config.ARGON2_MEMORY_KIB, iterations: config.ARGON2_ITERATIONS, parallelism: config.ARGON2_PARALLELISM };
  log(`node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown cpu'}), load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const db = await stack.startPostgres();
  const orm = await createOrm(db.url, 2);
  try {
    await migrate(orm);
  } finally {
    await closeOrm(orm);
  }
  const costs: Cost[] = [];
  for (const [name, params] of [['configured', configured], ['OWASP minimum', OWASP_MINIMUMS[0]]] as const) {
    const url = await stack.startApi(db.url, { ARGON2_MEMORY_KIB: String(params.memoryKiB), ARGON2_ITERATIONS: String(params.iterations),
      ARGON2_PARALLELISM: String(params.parallelism), DATABASE_POOL_MAX: '4' });
    const email = `bench-${name.replace(/\W/g, '')}@example.com`;
    await post(url, '/auth/sign-up', { email, password: PASSWORD, name: 'Bench' }, 201);
    costs.push({ name, params, url, email, hashOnly: [], signIn: [], wrong: [], unknown: [] });
    log(`API with argon2id ${describe(params)} (${name}) on ${url}`);
  }
  for (const c of costs) await post(c.url, '/auth/sign-in', { email: c.email, password: PASSWORD }, 200); // warm-up
  const hashers = costs.map((c) => new PasswordHasher(c.params));
  const stored = await Promise.all(hashers.map((h) => h.hash(PASSWORD)));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, c] of costs.entries()) {
      c.hashOnly.push(await timed(() => hashers[i].verify(stored[i], PASSWORD)));
      c.signIn.push(await timed(() => post(c.url, '/auth/sign-in', { email: c.email, password: PASSWORD }, 200)));
      c.wrong.push(await timed(() => post(c.url, '/auth/sign-in', { email: c.email, password: `not it ${round}` }, 401)));
      c.unknown.push(await timed(() => post(c.url, '/auth/sign-in', { email: `nobody-${round}@example.com`, password: PASSWORD }, 401)));
    }
  }
  report(costs);
  return 0;
}

function report(costs: Cost[]): void {
  const [configured, owasp] = costs;
  const p = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * q) / 100))];
  const cell = (xs: number[]) => `${p(xs, 50).toFixed(1)} / ${p(xs, 95).toFixed(1)} ms`;
  console.log(`\nSign-in cost, ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, Node ${process.version}, ${ROUNDS} rounds, p50 / p95\n`);
  const rows = costs.map((c) => [`${c.name}: argon2id ${describe(c.params)}`, cell(c.hashOnly), cell(c.signIn), cell(c.wrong), cell(c.unknown)]);
  const header = ['parameters', 'password check alone', 'sign-in (POST /auth/sign-in)', 'wrong password', 'unknown e-mail'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log([fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n'));
  const signIn = p(configured.signIn, 50);
  console.log(`\nconfigured / OWASP minimum, sign-in p50: ${(signIn / p(owasp.signIn, 50)).toFixed(2)}x; password check alone: `
    + `${(p(configured.hashOnly, 50) / p(owasp.hashOnly, 50)).toFixed(2)}x`);
  console.log(`unknown e-mail / wrong password, p50 at the configured cost: ${(p(configured.unknown, 50) / p(configured.wrong, 50)).toFixed(2)} (1.00: alike)`);
  console.log(`target: a sign-in at the configured cost <= ${TARGET_MS} ms (p50): ${signIn.toFixed(1)} ms, ${signIn <= TARGET_MS ? 'PASS' : 'MISS'}`);
  console.log(`load average after the run: ${loadavg().map((l) => l.toFixed(2)).join(' ')} (other work on the machine shows here)`);
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

async function post(url: string, path: string, body: unknown, expected: number): Promise<void> {
  const res = await fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  if (res.status !== expected) throw new Error(`POST ${path} answered ${res.status}, not ${expected}: ${text}`);
}

const stack = new BenchStack();
runBench(stack, () => main(stack), DEADLINE_MS);
