/**
 * `npm run provision`: makes the Temporal binaries (src/temporal/binaries.ts), stripe-mock
 * (src/integrations/stripe-mock.ts), pg_dump/pg_restore (src/db/pg-tools.ts), moto_server (src/integrations/moto.ts) and
 * Schemathesis (src/integrations/schemathesis.ts) available.
 * `npm run provision -- --stack` also builds what `npm run stack` runs (src/stack/binaries.ts: the
 * Temporal server, its SQL tool and the UI server, with Go; about 5 minutes the first time), which
 * `npm run stack` otherwise builds on its first start; `npm test` does not need them.
 */
import { ProvisioningError, provision } from '../temporal/binaries';
import { provisionStripeMock } from '../integrations/stripe-mock';
import { provisionPgTools } from '../db/pg-tools';
import { provisionMotoServer } from '../integrations/moto';
import { provisionSchemathesis } from '../integrations/schemathesis';
import { ensureStackBinaries, findStackBinaries } from '../stack/binaries';
import { pinnedVersions } from '../stack/stack';

async function main(): Promise<void> {
  const tools = provision((line) => console.log(`[provision] ${line}`));
  for (const [name, tool] of Object.entries(tools)) {
    const label = name === 'cli' ? 'Temporal CLI (dev server)' : 'Temporal time-skipping test server';
    console.log(`[provision] ${label}: ${tool ? `${tool.path} (from ${tool.source})` : "missing: the SDK's download will be tried"}`);
  }
  const stripeMock = provisionStripeMock((line) => console.log(`[provision] ${line}`));
  console.log(`[provision] stripe-mock (Stripe adapter tests): ${stripeMock ? `${stripeMock.path} (from ${stripeMock.source})` : 'missing (see above)'}`);
  const pgTools = provisionPgTools((line) => console.log(`[provision] ${line}`));
  console.log(`[provision] pg_dump and pg_restore (backup/restore test): ${pgTools ? pgTools.pgDump.replace(/pg_dump$/, '') : 'missing (see above)'}`);
  const moto = provisionMotoServer((line) => console.log(`[provision] ${line}`));
  console.log(`[provision] moto_server (S3 image storage tests): ${moto ? `${moto.path} (from ${moto.source})` : 'missing (see above)'}`);
  const fuzzer = provisionSchemathesis((line) => console.log(`[provision] ${line}`));
  console.log(`[provision] Schemathesis (OpenAPI fuzzing): ${fuzzer ? `${fuzzer.path} (from ${fuzzer.source})` : 'missing (see above)'}`);
  const versions = pinnedVersions();
  const stack = process.argv.includes('--stack') ? await ensureStackBinaries(versions, (line) => console.log(`[provision] ${line}`)) : findStackBinaries(versions);
  console.log(`[provision] Temporal server ${versions.server} and UI ${versions.ui} (npm run stack): ${stack
    ? `${stack.server.replace(/\/temporal-server$/, '')}, ${stack.uiServer.replace(/\/ui-server$/, '')}`
    : 'not built yet: `npm run provision -- --stack` or the first `npm run stack` builds them with Go'}`);
}

const started = Date.now();
main().then(
  () => console.log(`[provision] done in ${((Date.now() - started) / 1000).toFixed(1)} s`),
  (err: unknown) => {
    if (!(err instanceof ProvisioningError)) throw err;
    console.error(`[provision] ${err.message}`);
    process.exit(1);
  },
);
