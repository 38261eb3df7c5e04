/**
 * What the import tools share: their command-line options, and PostgreSQL's slowest statements
 * (pg_stat_statements, nested ones included) when `--statements N` asks for them.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlRows } from '../../src/db/sql';

/** The value after the last `name` on the command line. */
export function argument(name: string): string | undefined {
  return argumentsOf(name).at(-1);
}

/** The values after every `name` on the command line (a repeatable option). */
export function argumentsOf(name: string): string[] {
  return process.argv.flatMap((a, i) => (a === name && process.argv[i + 1] !== undefined ? [process.argv[i + 1]] : []));
}

/** `--statements N`: the server settings that load pg_stat_statements, or none. */
export const STATEMENTS = Number(argument('--statements') ?? 0);
export const STATEMENT_SETTINGS: Record<string, string> = STATEMENTS
  ? { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track': 'all' } : {};

/** The `STATEMENTS` statements that took most of PostgreSQL's time, one line each (the query cut to `width`). */
export async function slowestStatements(em: EntityManager, width: number): Promise<string[]> {
  const top = await sqlRows<{ ms: number; calls: string; rows: string; query: string }>(em,
    `select round(total_exec_time)::int as ms, calls, rows, left(regexp_replace(query, '\\s+', ' ', 'g'), ${width}) as query
       from pg_stat_statements order by total_exec_time desc limit ${STATEMENTS}`);
  return top.map((st) => `  ${String(st.ms).padStart(8)} ms ${String(st.calls).padStart(7)} calls ${String(st.rows).padStart(9)} rows  ${st.query}`);
}
