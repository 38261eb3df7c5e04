/**
 * `npm run bench:api`: catalog search and cart writes against the real API at a fixed 200
 * requests/s, on a throw-away PostgreSQL holding 10,000 products. Prints p50/p99 against the
 * targets and the p99/target ratio. A report, not a test: exits 0 on MISS, non-zero only if it crashes.
 */
import { cpus, loadavg } from 'node:os';
import { closeOrm, createOrm, migrate, type MikroORM } from '../../src/db/orm';
import { insertProducts, insertTaxonomy } from '../../src/db/seed';
import { MAX_LINES_PER_CART } from '../../src/domain/cart';
import { benchCatalog, SEARCH_WORDS, shuffle } from '../lib/catalog';
import { measure, type LoadSettings, type LoadShape, type Scenario } from './load';
import { postmasterPid } from './cpu';
import { caveats, details, table, type Row } from './report';
import { BenchStack } from './stack';
import { tailWindow } from './tail';
import { runBench } from '../lib/run';

const RATE = 200; // requests per second, fixed
const CONNECTIONS = 4;
/** Independent arrivals at the rate (bench/api/arrivals.ts); BENCH_API_SHAPE=bursts measures autocannon's per-second bursts, as every run until 2026-12-07, 16:30 UTC did. */
const SHAPE: LoadShape = process.env.BENCH_API_SHAPE === 'bursts' ? 'bursts' : 'arrivals';
const WARMUP_SECONDS = 3;
const MEASURE_SECONDS = 25;
const CART_POOL = 400;
/** Targets for this 2-core machine at 200 requests/s. */
const TARGET_P99_MS = { search: 20, cartWrite: 15 };
/** Signed-in customers owning the carts of the signed-in scenario (their carts are split between them). */
const CUSTOMERS = 4;
/** The whole run must fit in four minutes; past this something hangs and we stop. */
const DEADLINE_MS = 230_000;
/** Same default as DATABASE_POOL_MAX in src/config.ts. */
const POOL_MAX = process.env.DATABASE_POOL_MAX ?? '10';
/** API processes sharing the port (bench/api/server.ts); production runs 2 replicas (docker-compose.yml). */
const API_PROCESSES = process.env.BENCH_API_PROCESSES ?? '1';
/**
 * BENCH_API_PG_SETTINGS='name=value …' (space-separated): PostgreSQL settings for a diagnosis, e.g.
 * `shared_preload_libraries=pg_stat_statements,auto_explain auto_explain.log_min_duration=5`;
 * BENCH_API_PG_LOG=<file>: PostgreSQL's log lines appended there (see README).
 */
const PG_SETTINGS = Object.fromEntries((process.env.BENCH_API_PG_SETTINGS ?? '').split(/\s+/).filter(Boolean)
  .map((s) => [s.slice(0, s.indexOf('=')), s.slice(s.indexOf('=') + 1)]));

const started = Date.now();
const log = (msg: string) => console.log(`[bench ${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${msg}`);

async function main(stack: BenchStack): Promise<void> {
  log(`node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown cpu'})`);
  const db = await stack.startPostgres(false, PG_SETTINGS, process.env.BENCH_API_PG_LOG);
  const orm = await createOrm(db.url);
  let products: number;
  let inStockSkus: string[];
  try {
    await migrate(orm);
    // Loaded with BENCH_API_PG_SETTINGS: the tail line then lists each window's slowest statements.
    if (/pg_stat_statements/.test(PG_SETTINGS.shared_preload_libraries ?? '')) await orm.em.getConnection().execute('create extension if not exists pg_stat_statements');
    const catalog = benchCatalog();
    await insertTaxonomy(orm.em.fork(), catalog.taxonomy);
    products = await insertProducts(orm.em.fork(), catalog.products);
    inStockSkus = catalog.inStockSkus;
    await vacuumCatalog(orm);
    log(`PostgreSQL ${await serverVersion(orm)} on 127.0.0.1:${db.port}: ${products} products, ` +
      `${catalog.products.reduce((n, p) => n + p.variants.length, 0)} variants loaded, vacuumed and analysed`);
  } finally {
    await closeOrm(orm);
  }

  const url = await stack.startApi(db.url, { DATABASE_POOL_MAX: POOL_MAX, BENCH_API_PROCESSES: API_PROCESSES });
  log(`API listening on ${url} (${apiProcesses()}, pool max ${POOL_MAX} each, LOG_LEVEL=silent)`);
  await checkSearch(url);
  const cartIds = wanted('cart') ? await createCarts(url, CART_POOL) : [];
  if (cartIds.length) log(`${cartIds.length} carts created`);
  const owned = wanted('session') ? await createOwnedCarts(url, CART_POOL) : [];
  if (owned.length) log(`${owned.length} carts created by ${CUSTOMERS} signed-in customers`);

  const settings: LoadSettings = {
    url, rate: RATE, connections: CONNECTIONS, warmupSeconds: WARMUP_SECONDS, seconds: MEASURE_SECONDS, shape: SHAPE,
    apiPid: stack.api?.child.pid, postmasterPid: postmasterPid(stack.pgDataDir),
    ...(API_PROCESSES === '1' && stack.api ? { tail: tailWindow(stack.api.child, db.url) } : {}),
  };
  log(`load: ${RATE} req/s as ${SHAPE}, at most ${CONNECTIONS} connections, ${WARMUP_SECONDS} s warm-up + ${MEASURE_SECONDS} s measured per scenario; ` +
    `load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const rows: Row[] = [];
  if (wanted('search')) {
    rows.push({ scenario: 'search GET /products?q=', targetP99: TARGET_P99_MS.search, measured: await measure(settings, searchScenario()) });
    log('search done');
  }
  if (wanted('cart')) {
    const cartLoad = cartScenario(cartIds, inStockSkus);
    rows.push({ scenario: 'cart write POST /carts/:id/items', targetP99: TARGET_P99_MS.cartWrite, measured: await measure(settings, cartLoad) });
    log('cart writes done');
    await checkCartLines(db.url, cartLoad.sent());
  }
  if (wanted('session')) {
    // Other SKUs than the guest scenario's (it ran first on its own carts): every write adds a line, none is refused.
    const sessionLoad = cartScenario(owned.map((c) => c.id), inStockSkus, 11, (n) => ({ Authorization: `Bearer ${owned[n % owned.length].token}` }));
    rows.push({ scenario: 'cart write, signed in (session checked)', targetP99: TARGET_P99_MS.cartWrite, measured: await measure(settings, sessionLoad) });
    log('signed-in cart writes done');
  }

  console.log(`\nAPI benchmark, ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, Node ${process.version}: ` +
    `${products} products, ${RATE} req/s for ${MEASURE_SECONDS} s per scenario after ${WARMUP_SECONDS} s warm-up, ${CONNECTIONS} connections, ${apiProcesses()}\n`);
  console.log(table(rows));
  console.log(`\n${details(rows)}`);
  for (const line of caveats(rows, RATE)) console.log(`note: ${line}`);
}

function apiProcesses(): string {
  return API_PROCESSES === '1' ? '1 API process' : `${API_PROCESSES} API processes`;
}

/** `npm run bench:api -- search` (or `cart`, or `session`) runs one scenario; no argument runs all three. */
function wanted(scenario: 'search' | 'cart' | 'session'): boolean {
  const only = process.argv.slice(2);
  return only.length === 0 || only.includes(scenario);
}

/** Search words in turn: common and rare words, phrases, websearch syntax, one with no match. */
function searchScenario(): Scenario {
  let i = 0;
  return { method: 'GET', next: () => ({ path: `/products?q=${encodeURIComponent(SEARCH_WORDS[i++ % SEARCH_WORDS.length])}` }) };
}

/**
 * One unit per request, of a different in-stock SKU each time (shuffled once, so they are spread
 * over the catalog), round-robin over the carts: no SKU is asked for twice, concurrent requests
 * hit different carts, and no cart comes near MAX_LINES_PER_CART. Every answer should be a 200.
 */
function cartScenario(cartIds: string[], skus: string[], seed = 7, headers?: (n: number) => Record<string, string>): Scenario & { sent(): number } {
  const shuffled = shuffle(skus, seed);
  const capacity = Math.min(shuffled.length, cartIds.length * MAX_LINES_PER_CART);
  if (capacity < RATE * (WARMUP_SECONDS + MEASURE_SECONDS) * 1.2) throw new Error(`only ${capacity} distinct cart writes available`);
  let i = 0;
  return {
    method: 'POST',
    next: () => {
      const n = i++;
      return { path: `/carts/${cartIds[n % cartIds.length]}/items`, body: JSON.stringify({ sku: shuffled[n % shuffled.length], quantity: 1 }),
        ...(headers ? { headers: headers(n) } : {}) };
    },
    sent: () => i,
  };
}

async function checkSearch(url: string): Promise<void> {
  const hits = await getJson(`${url}/products?q=jacket`);
  const none = await getJson(`${url}/products?q=zeppelin`);
  if (!(hits.total > 0) || hits.items.length === 0 || none.total !== 0) {
    throw new Error(`search does not behave: 'jacket' -> ${hits.total}, 'zeppelin' -> ${none.total}`);
  }
  log(`search check: 'jacket' matches ${hits.total} products, 'zeppelin' none`);
}

async function getJson(url: string): Promise<{ total: number; items: unknown[] }> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}: ${await res.text()}`);
  return res.json() as Promise<{ total: number; items: unknown[] }>;
}

async function createCarts(url: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  // A few at a time, like the load: the pool is set-up, not measured.
  for (let start = 0; start < count; start += CONNECTIONS) {
    const batch = await Promise.all(Array.from({ length: Math.min(CONNECTIONS, count - start) }, async () => {
      const res = await fetch(`${url}/carts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"currency":"USD"}' });
      if (res.status !== 201) throw new Error(`POST /carts answered ${res.status}: ${await res.text()}`);
      return ((await res.json()) as { id: string }).id;
    }));
    ids.push(...batch);
  }
  return ids;
}

/**
 * Carts of signed-in customers: CUSTOMERS accounts sign up (one password hash each, at the configured
 * cost), and each makes its share of the carts with its session; every write to a cart then carries
 * its owner's session, which the API checks (a session lookup) before the cart's own rule.
 */
async function createOwnedCarts(url: string, count: number): Promise<{ id: string; token: string }[]> {
  const tokens: string[] = [];
  for (let i = 0; i < CUSTOMERS; i++) {
    const res = await fetch(`${url}/auth/sign-up`, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: `bench-${i}@example.com`, password: 'correct horse battery staple', name: `Bench ${i}` }) });
    if (res.status !== 201) throw new Error(`POST /auth/sign-up answered ${res.status}: ${await res.text()}`);
    tokens.push(((await res.json()) as { session: { token: string } }).session.token);
  }
  const carts: { id: string; token: string }[] = [];
  for (let start = 0; start < count; start += CONNECTIONS) {
    carts.push(...await Promise.all(Array.from({ length: Math.min(CONNECTIONS, count - start) }, async (_, k) => {
      const token = tokens[(start + k) % CUSTOMERS];
      const res = await fetch(`${url}/carts`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: '{"currency":"USD"}' });
      if (res.status !== 201) throw new Error(`POST /carts answered ${res.status}: ${await res.text()}`);
      return { id: ((await res.json()) as { id: string }).id, token };
    })));
  }
  return carts;
}

/** The database agrees with the answers: one line of quantity 1 per write, no cart over the limit. */
async function checkCartLines(databaseUrl: string, sent: number): Promise<void> {
  const orm = await createOrm(databaseUrl, 1);
  try {
    const [row] = await orm.em.getConnection().execute<{ lines: string; units: string; max_qty: number; max_lines: string }[]>(
      `select count(*) as lines, coalesce(sum(quantity), 0) as units, coalesce(max(quantity), 0) as max_qty,
              (select coalesce(max(n), 0) from (select count(*) as n from cart_lines group by cart_id) c) as max_lines
         from cart_lines`);
    log(`cart check: ${row.lines} lines hold ${row.units} units for ${sent} writes sent (in flight at the end may be cut off); ` +
      `largest line ${row.max_qty} unit(s), fullest cart ${row.max_lines} of ${MAX_LINES_PER_CART} lines`);
  } finally {
    await closeOrm(orm);
  }
}

/**
 * The steady state of a live catalog, which autovacuum reaches a minute after an import: fresh
 * statistics, and the GIN index's pending list merged. Measured without this, searches for common
 * words fall back to sequential scans (5-8 ms instead of under 1 ms). Only the tables the import
 * filled: statistics saying that carts and cart_lines are empty, a state no live store's cart
 * tables are in, made every connection's cached plan of the cart writes scan cart_lines whole,
 * a cost growing with every line the run added (a freshly migrated table, never analysed, is
 * planned as if it held 10 pages, and autovacuum analyses it once it has rows).
 */
async function vacuumCatalog(orm: MikroORM): Promise<void> {
  const conn = orm.em.getConnection();
  const tables = await conn.execute<{ name: string }[]>(
    `select format('%I', relname) as name from pg_stat_user_tables where schemaname = current_schema() order by relname`);
  const filled: string[] = [];
  for (const { name } of tables) {
    const [row] = await conn.execute<{ filled: boolean }[]>(`select exists (select 1 from ${name}) as filled`);
    if (row.filled) filled.push(name);
  }
  await conn.execute(`vacuum analyze ${filled.join(', ')}`);
}

async function serverVersion(orm: MikroORM): Promise<string> {
  const [row] = await orm.em.getConnection().execute<{ server_version: string }[]>('show server_version');
  return row.server_version;
}

const stack = new BenchStack();
runBench(stack, async () => { await main(stack); return 0; }, DEADLINE_MS);
