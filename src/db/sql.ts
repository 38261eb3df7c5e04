/**
 * Plain SQL on a connection of the ORM's own pool: the same pg clients, type parsers and pool size
 * as MikroORM, without its and knex's bookkeeping around each statement and transaction. For the
 * storefront's hottest paths only (cart writes, cart and catalog reads): on this project's 2-core
 * machine bench/api measured `em.transactional` at 0.54 ms of API CPU against 0.11 ms for `begin` +
 * `commit` on the pg client, and each `execute` at 0.17 ms against 0.09 ms. Placeholders are
 * PostgreSQL's own ($1, $2, …).
 *
 * Statements that run on every request are declared once with `statement(name, text)`: each pooled
 * connection then parses and plans them once instead of on every call (PostgreSQL spent 1.56 ms of
 * CPU on a cart write as unnamed statements, 0.62 ms as prepared ones, most of the difference being
 * planning). Two things to know: a migration that changes a prepared query's result columns makes
 * its next call on an old connection fail once ("cached plan must not change result type"), so
 * restart the API after such a migration; and a PgBouncer in transaction mode in front of
 * PostgreSQL needs `max_prepared_statements` set (PgBouncer 1.21+).
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { types, type ClientBase, type QueryResultRow } from 'pg';

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

/**
 * MikroORM keeps timestamps as PostgreSQL's text (it parses them into entities itself); plain rows
 * get pg's default timestamptz parser instead, so they read as `Date` like the entities do.
 */
export const parseTimestamptz: (text: string) => Date = types.getTypeParser(types.builtins.TIMESTAMPTZ, 'text');

/** One statement on a pooled connection, in no transaction of its own. */
export async function sqlRows<R extends QueryResultRow>(em: EntityManager, query: Query, values: unknown[] = []): Promise<R[]> {
  return withConnection(em, (conn) => run<R>(conn, query, values));
}

/**
 * `work` in one transaction (READ COMMITTED, like every other transaction here) on one pooled
 * connection; rolled back if `work` throws, which is how a refused change leaves nothing behind.
 */
export async function sqlTransaction<T>(em: EntityManager, work: (sql: Sql) => Promise<T>): Promise<T> {
  return withConnection(em, async (conn) => {
    await conn.query('begin');
    let result: T;
    try {
      result = await work({ rows: <R extends QueryResultRow>(query: Query, values: unknown[] = []) => run<R>(conn, query, values) });
    } catch (err) {
      await conn.query('rollback').catch((rollbackFailed: unknown) => {
        // The connection may still be inside the transaction: the pool must drop it, not lend it out again.
        conn.__knex__disposed = rollbackFailed;
      });
      throw err;
    }
    await conn.query('commit');
    return result;
  });
}

/**
 * Set to drop a connection instead of reusing it; knex's pool checks it before lending a connection
 * (knex/lib/client.js, `validate`), and its pg dialect sets it itself when the socket errors or ends.
 */
type PooledConnection = ClientBase & { __knex__disposed?: unknown };

async function withConnection<T>(em: EntityManager, use: (conn: PooledConnection) => Promise<T>): Promise<T> {
  // Statements here would run beside, not inside, an ORM transaction the caller holds: refuse rather than surprise.
  if (em.isInTransaction()) throw new Error('plain SQL helpers do not join an EntityManager transaction; call them outside one');
  const pool = em.getConnection().getKnex().client;
  const conn = (await pool.acquireConnection()) as PooledConnection;
  try {
    return await use(conn);
  } finally {
    await pool.releaseConnection(conn);
  }
}

async function run<R extends QueryResultRow>(conn: ClientBase, query: Query, values: unknown[]): Promise<R[]> {
  const result = typeof query === 'string' ? await conn.query<R>(query, values) : await conn.query<R>({ name: query.name, text: query.text, values });
  return result.rows;
}
