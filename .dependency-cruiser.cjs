/**
 * The layers of the project and which way they may depend (npm run lint runs this with eslint).
 * Type-only imports count too: a cycle of types is still a cycle a reader has to untangle.
 *
 *   src/domain      pure business rules: imports nothing of ours but itself
 *   src/contracts   what API, CLI, workers and workflows agree on: imports only the domain
 *   src/store       all SQL: imports the domain, contracts and src/db
 *   workflows/      deterministic code: the domain, contracts, and activities by type only
 *   activities/     I/O for workflows: the store, the provider adapters, never the API or workflows
 *   src/api         routes: the store and the Temporal client, never workflows or activities
 *   workers/, src/cli   the top: they put the rest together
 */
const PROJECT = '^(src|workflows|activities|workers|bench|test)/';

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'Import cycles (type-only ones included) make a layer impossible to read on its own.',
      from: {}, to: { circular: true } },
    { name: 'domain-is-pure', severity: 'error', comment: 'src/domain is plain TypeScript rules, shared by everything: it imports nothing of ours.',
      from: { path: '^src/domain/' }, to: { path: PROJECT, pathNot: '^src/domain/' } },
    { name: 'contracts-flow-one-way', severity: 'error',
      comment: 'src/contracts is imported by API, CLI, workers and workflows alike; it imports only the domain.',
      from: { path: '^src/contracts/' }, to: { path: PROJECT, pathNot: '^src/(contracts|domain)/' } },
    { name: 'store-below-its-callers', severity: 'error', comment: 'src/store answers and changes data; it knows nothing of who calls it.',
      from: { path: '^src/store/' }, to: { path: '^(src/(api|cli|support|temporal|integrations)|workflows|activities|workers)/' } },
    { name: 'src-below-workflows-and-activities', severity: 'error',
      comment: 'The API, the store and the support actions reach workflows through src/contracts and the Temporal client, never by importing them.',
      from: { path: '^src/', pathNot: '^src/cli/' }, to: { path: '^(workflows|activities|workers)/' } },
    { name: 'workflows-are-deterministic', severity: 'error',
      comment: 'Workflow code runs in the sandbox: no API, store, database or provider code; activities by type only (proxyActivities).',
      from: { path: '^workflows/' }, to: { path: '^(src/(api|cli|store|db|integrations|support|temporal|telemetry)|workers)/' } },
    { name: 'workflows-import-activities-by-type', severity: 'error',
      from: { path: '^workflows/' }, to: { path: '^activities/', dependencyTypesNot: ['type-only'] } },
    { name: 'activities-below-workflows-and-api', severity: 'error', comment: 'Activities are called by workflows; they never call back up.',
      from: { path: '^activities/' }, to: { path: '^(workflows|workers|src/(api|cli))/' } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
