/**
 * `npm run provision`: makes the Temporal binaries (src/temporal/binaries.ts), stripe-mock
 * (src/integrations/stripe-mock.ts), pg_dump/pg_restore (src/db/pg-tools.ts), moto_server (src/integrations/moto.ts) and
 * Schemathesis (src/integrations/schemathesis.ts) available.
 */
import { ProvisioningError, provision } from '../temporal/binaries';
import { provisionStripeMock } from '../integrations/stripe-mock';
import { provisionPgTools } from '../db/pg-tools';
import { provisionMotoServer } from '../integrations/moto';
import { provisionSchemathesis } from '../integrations/schemathesis';

const started = Date.now();
try {
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
  console.log(`[provision] done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} catch (err) {
  if (!(err instanceof ProvisioningError)) throw err;
  console.error(`[provision] ${err.message}`);
  process.exit(1);
}
