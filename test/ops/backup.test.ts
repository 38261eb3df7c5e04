/**
 * The backup runbook (docs/operations.md, Backup and restore) works: a `pg_dump -Fc` of the shop database,
 * restored with `pg_restore` into a brand-new PostgreSQL, holds the same orders, reservations and
 * payments, and a schema the application accepts as up to date.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeOrm, createOrm } from '../../src/db/orm';
import { requirePgTools } from '../../src/db/pg-tools';
import { freePort } from '../../src/temporal/dev-server';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { placeTestOrder, seedCheckoutCatalog } from '../support/checkout';

let db: TestDatabase;
let fresh: ChildProcess | undefined;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'commerce-backup-'));
  chmodSync(dir, 0o755); // PostgreSQL runs as its own system user when the tests run as root
  db = await createTestDatabase();
});
afterAll(async () => {
  if (fresh && fresh.exitCode === null) {
    const gone = new Promise((ok) => fresh!.once('exit', ok));
    fresh.kill('SIGTERM');
    await gone;
  }
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

const FACTS = {
  orders: 'select id, status, total_amount, currency, email from orders order by id',
  reservations: 'select order_id, sku, quantity, status from reservations order by order_id, sku',
  inventory: 'select sku, on_hand, reserved from inventory order by sku',
  migrations: 'select name from mikro_orm_migrations order by name',
};

async function facts(url: string): Promise<Record<string, unknown[]>> {
  const orm = await createOrm(url, 1);
  try {
    const conn = orm.em.fork().getConnection();
    const out: Record<string, unknown[]> = {};
    for (const [name, sql] of Object.entries(FACTS)) out[name] = await conn.execute(sql);
    return out;
  } finally {
    await closeOrm(orm);
  }
}

describe('backup and restore of the shop database', () => {
  it('restores a pg_dump -Fc into a fresh PostgreSQL with the same orders, ready for the application', async () => {
    await seedCheckoutCatalog(db, 50);
    for (let i = 0; i < 3; i += 1) await placeTestOrder(db);
    const conn = db.orm.em.fork().getConnection();
    await conn.execute(`insert into reservations (order_id, sku, quantity) select id, 'MUG-1', 2 from orders order by id limit 1`);
    await conn.execute(`update orders set status = 'awaiting_fulfillment' where id = (select min(id::text)::uuid from orders)`);
    const before = await facts(db.url);
    expect(before.orders).toHaveLength(3);

    const { pgDump, pgRestore } = requirePgTools();
    const dump = join(dir, 'shop.dump');
    execFileSync(pgDump, ['--format=custom', '--no-owner', '--file', dump, '--dbname', db.url], { stdio: 'pipe' });
    expect(statSync(dump).size).toBeGreaterThan(0);

    const freshUrl = await startFreshPostgres(join(dir, 'pg'), await freePort());
    execFileSync(pgRestore, ['--no-owner', '--no-privileges', '--exit-on-error', '--dbname', freshUrl, dump], { stdio: 'pipe' });

    expect(await facts(freshUrl)).toEqual(before);
    const orm = await createOrm(freshUrl, 1);
    try {
      expect(await orm.getMigrator().getPendingMigrations()).toEqual([]);
    } finally {
      await closeOrm(orm);
    }
  });
});

function startFreshPostgres(dataDir: string, port: number): Promise<string> {
  fresh = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '..', 'support', 'embedded-postgres-process.ts'), dataDir, String(port), 'shop_restored'],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((ok, fail) => {
    fresh!.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const url = /READY (\S+)/.exec(output)?.[1];
      if (url) ok(url);
    });
    fresh!.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    fresh!.once('exit', (code) => fail(new Error(`the fresh PostgreSQL exited (${code}) before it was ready:\n${output}`)));
  });
}
