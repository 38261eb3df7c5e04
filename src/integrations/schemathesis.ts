/**
 * Schemathesis, the OpenAPI fuzzer that `npm run fuzz` and the CI test (test/fuzz/openapi.test.ts) run
 * against the served document (/openapi.json): SCHEMATHESIS_PATH, else `npm run provision` installs it
 * from the hash-pinned wheels in tools/schemathesis-wheels.txt (src/integrations/python-tool.ts).
 */
import { pythonTool } from './python-tool';

export const SCHEMATHESIS_VERSION = '4.32.5';

const schemathesis = pythonTool({ label: `Schemathesis ${SCHEMATHESIS_VERSION} (the OpenAPI fuzzer)`, venv: `schemathesis-${SCHEMATHESIS_VERSION}`,
  bin: 'st', wheels: 'schemathesis-wheels.txt', envVar: 'SCHEMATHESIS_PATH' });

export const findSchemathesis = schemathesis.find;
export const requireSchemathesis = schemathesis.require;
export const provisionSchemathesis = schemathesis.provision;
