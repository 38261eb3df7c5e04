/**
 * One PostgreSQL of `npm run stack`, in a process of its own, as the postgres image runs one: the
 * cluster is made on first start with POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB from the
 * compose service's environment, then the service's /docker-entrypoint-initdb.d scripts run, once,
 * as the image's entrypoint runs them on an empty volume. It keeps PostgreSQL's durability settings
 * (fsync and synchronous commit on), as a production server does. Prints `READY <port>`; SIGTERM
 * or SIGINT stops PostgreSQL (a fast shutdown) and exits.
 *
 *   node --import tsx src/stack/postgres-process.ts <dataDir> <port> [init.sql ...]
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '../db/embedded';
import { runSqlFile } from '../db/admin';

async function main(): Promise<void> {
  const [dataDir, port, ...initScripts] = process.argv.slice(2);
  const { POSTGRES_USER: user, POSTGRES_PASSWORD: password, POSTGRES_DB: database } = process.env;
  if (!dataDir || !port || !user || !password) {
    throw new Error('usage: postgres-process.ts <dataDir> <port> [init.sql ...], with POSTGRES_USER and POSTGRES_PASSWORD set');
  }
  const fresh = !existsSync(join(dataDir, 'PG_VERSION'));
  const db = await startEmbeddedPostgres({
    dataDir, port: Number(port), database: database || user, persistent: true, durable: true, user, password,
    onLog: (line) => process.stdout.write(`${line}\n`),
  });
  if (fresh) {
    for (const script of initScripts) {
      await runSqlFile(db.url, readFileSync(script, 'utf8'));
      process.stdout.write(`ran ${script}\n`);
    }
  }
  process.stdout.write(`READY ${port}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`PostgreSQL did not start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
