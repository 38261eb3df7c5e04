/**
 * Plain SQL on a pg pool of the store's own, beside MikroORM's: for the storefront's hottest paths
 * only (cart writes, cart and catalog reads), without the ORM's and knex's bookkeeping around each
 * statement and transaction. On this project's 2-core machine bench/api measured `em.transactional`
 * at 0.54 ms of API CPU against 0.11 ms for `begin` + `commit` on a pg client, and each `execute`
 * at 0.17 ms against 0.09 ms. Placeholders are PostgreSQL's own ($1, $2, …).
 *
 * The pool belongs to an ORM: createOrm (src/db/orm.ts) opens it with the same database URL and
 * the same size, closeOrm closes both. It keeps pg's own type parsers, so a timestamptz reads as a
 * `Date` (MikroORM keeps timestamps as text and parses them into entities itself).
 *
 * Statements that run on every request are declared once with `statement(name, text)`: each pooled
 * connection then parses and plans them once instead of on every call (PostgreSQL spent 1.56 ms of
 * CPU on a cart write as unnamed statements, 0.62 ms as prepared ones, most of the difference being
 * planning). Two things to know: a migration that changes a prepared query's result columns makes
 * its next call on an old connection fail once ("cached plan must not change result type"), so
 * restart the API after such a migration; and a PgBouncer in transaction mode in front of
 * PostgreSQL needs `max_prepared_statements` set (PgBouncer 1.21+).
 */
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { Pool, type PoolClient, type QueryResultRow } from 'pg';

/**
 * A statement each connection prepares once. Names must be unique in the process; pg refuses a
 * name reused with another text on the same connection ("Prepared statements must be unique").
 */
export interface Statement {
  readonly name: string;
  readonly text: string;
}

export function statement(name: string, text: string): Statement {
  return { name, text };
}

/** SQL text runs as an unnamed statement (parsed and planned each time); a `Statement` as a prepared one. */
export type Query = string | Statement;

export interface Sql {
  rows<R extends QueryResultRow>(query: Query, values?: unknown[]): Promise<R[]>;
}

/** Each ORM's plain-SQL pool, found from any of its EntityManager forks (they share the ORM's configuration). */
const pools = new WeakMap<object, Pool>();

/** Opens the plain-SQL pool of an ORM (createOrm does): same database, at most `max` connections, opened as needed. */
export function openSqlPool(orm: MikroORM, clientUrl: string, max: number): void {
  const pool = new Pool({ connectionString: clientUrl, max });
  // An idle connection the server closed (a restart, pg_terminate_backend) is dropped by the pool and
  // the next query opens another; without a listener, pg would throw the error out of the process.
  pool.on('error', () => undefined);
  pools.set(orm.config, pool);
}

/** Closes the plain-SQL pool of an ORM (closeOrm does), waiting for the connections in use. */
export async function closeSqlPool(orm: MikroORM): Promise<void> {
  const pool = pools.get(orm.config);
  pools.delete(orm.config);
  await pool?.end();
}

/** The pool itself, for a library that speaks to PostgreSQL through a pg Pool (the rate limiter, src/store/rate-limits.ts). */
export function sqlPoolOf(em: EntityManager): Pool {
  const pool = pools.get(em.config);
  if (!pool) throw new Error('this ORM has no plain-SQL pool: create it with createOrm (src/db/orm.ts)');
  return pool;
}

/** One statement on a pooled connection, in no transaction of its own. */
export async function sqlRows<R extends QueryResultRow>(em: EntityManager, query: Query, values: unknown[] = []): Promise<R[]> {
  return withConnection(em, (conn) => run<R>(conn, query, values));
}

/**
 * `work` in one transaction (READ COMMITTED, like every other transaction here) on one pooled
 * connection; rolled back if `work` throws, which is how a refused change leaves nothing behind.
 */
export async function sqlTransaction<T>(em: EntityManager, work: (sql: Sql) => Promise<T>): Promise<T> {
  return withConnection(em, async (conn, discard) => {
    await conn.query('begin');
    let result: T;
    try {
      result = await work({ rows: <R extends QueryResultRow>(query: Query, values: unknown[] = []) => run<R>(conn, query, values) });
    } catch (err) {
      // The connection may still be inside the transaction: the pool must drop it, not lend it out again.
      await conn.query('rollback').catch(discard);
      throw err;
    }
    await conn.query('commit');
    return result;
  });
}

/** `use` gets a pooled connection, and `discard` to have the pool close it instead of lending it out again. */
async function withConnection<T>(em: EntityManager, use: (conn: PoolClient, discard: (reason: unknown) => void) => Promise<T>): Promise<T> {
  // Statements here would run beside, not inside, an ORM transaction the caller holds: refuse rather than surprise.
  if (em.isInTransaction()) throw new Error('plain SQL helpers do not join an EntityManager transaction; call them outside one');
  const pool = pools.get(em.config);
  if (!pool) throw new Error('this ORM has no plain-SQL pool: create it with createOrm (src/db/orm.ts)');
  const conn = await pool.connect();
  let broken: Error | undefined;
  try {
    return await use(conn, (reason) => {
      broken = reason instanceof Error ? reason : new Error(String(reason));
    });
  } finally {
    conn.release(broken);
  }
}

async function run<R extends QueryResultRow>(conn: PoolClient, query: Query, values: unknown[]): Promise<R[]> {
  const result = typeof query === 'string' ? await conn.query<R>(query, values) : await conn.query<R>({ name: query.name, text: query.text, values });
  return result.rows;
}
