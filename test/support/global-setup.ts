/**
 * Starts the shared parts once per test run: an embedded PostgreSQL with a migrated template
 * database (each test file clones it into a database of its own), the Temporal dev server,
 * stripe-mock (when provisioned; the Stripe adapter tests say how to get it when it is not), and
 * the workflow bundle (webpack runs once, not once per test file), and the storefront's build when
 * web/ changed (once, before the files that serve it run side by side). Values reach the test files
 * through environment variables, which jest's workers inherit.
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { startEmbeddedPostgres } from '../../src/db/embedded';
import { closeOrm, createOrm, migrate } from '../../src/db/orm';
import { findStripeMock, startStripeMock } from '../../src/integrations/stripe-mock';
import { requireTool } from '../../src/temporal/binaries';
import { ensureWebBuilt } from '../../src/cli/build-web';
import { freePort, startDevServer } from '../../src/temporal/dev-server';
import { TEST_PAYLOAD_KEY_ID, TEST_PAYLOAD_KEYS } from './temporal';

export const TEMPLATE_DB = 'shop_template';

export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  const cli = requireTool('cli');
  const testServer = requireTool('testServer');
  const dir = mkdtempSync(join(tmpdir(), 'commerce-test-'));
  chmodSync(dir, 0o755); // PostgreSQL runs as its own system user when the tests run as root

  const stripeMockBinary = findStripeMock();
  ensureWebBuilt();

  const [db, devServer, bundle] = await Promise.all([
    startEmbeddedPostgres({ dataDir: join(dir, 'pg'), port: await freePort(), database: TEMPLATE_DB, persistent: false }),
    startDevServer({ executable: cli.path, headless: true }),
    bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: quietLogger() }),
  ]);
  const orm = await createOrm(db.url);
  await migrate(orm);
  await closeOrm(orm);

  const bundlePath = join(dir, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);
  // Last, so a failed set-up never leaves it running; and after the servers above have bound their
  // ports, so the system's pick for stripe-mock cannot be one the dev server chose but had not bound yet.
  const stripeMock = stripeMockBinary ? await startStripeMock(stripeMockBinary.path) : undefined;

  Object.assign(process.env, {
    NODE_ENV: 'test',
    TEST_PG_PORT: String(db.port),
    TEST_PG_TEMPLATE_URL: db.url,
    TEST_TEMPORAL_ADDRESS: devServer.address,
    TEST_TEMPORAL_TEST_SERVER: testServer.path,
    TEST_WORKFLOW_BUNDLE: bundlePath,
    TEST_TMP_DIR: dir,
    // Payload encryption on everywhere, as in production: every process that reads the configuration encrypts.
    PAYLOAD_KEYS: TEST_PAYLOAD_KEYS,
    PAYLOAD_KEY_ID: TEST_PAYLOAD_KEY_ID,
    ...(stripeMock ? { TEST_STRIPE_MOCK_URL: stripeMock.url } : {}),
  });
  (globalThis as Record<string, unknown>).__HARNESS__ = { db, devServer, stripeMock, dir };
  process.stdout.write(`\n[harness] PostgreSQL on ${db.url}, Temporal dev server on ${devServer.address}, `
    + `stripe-mock ${stripeMock ? `on ${stripeMock.url}` : 'not provisioned'}, ready in ${Date.now() - started} ms\n`);
}

function quietLogger() {
  const noop = () => undefined;
  return { trace: noop, debug: noop, info: noop, warn: noop, error: (m: string) => console.error(m), log: noop };
}
