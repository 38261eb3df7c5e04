/**
 * The workflow code bundled once, when the worker is built (`npm run build` ends with
 * `node dist/workers/bundle.js`), instead of by webpack in every worker process as it starts: a
 * worker started from dist/ loads dist/workflow-bundle.js (or dist/workflow-bundle-tracing.js, with
 * the OpenTelemetry workflow interceptors, when tracing is on). It starts sooner, and it does not
 * keep webpack's memory for its lifetime (bench/tracking measures what that leaves in a worker).
 * Run from the sources (tsx: `npm run worker`, `npm run dev`, tests) there is no prebuilt bundle and
 * the worker bundles workflows/ as it starts, so an edit is picked up without a build.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

/** Where the build writes the bundles: beside workers/ in dist/ (dist/workflow-bundle*.js). */
export const PREBUILT_BUNDLES = {
  plain: join(__dirname, '..', 'workflow-bundle.js'),
  tracing: join(__dirname, '..', 'workflow-bundle-tracing.js'),
};

export const TRACING_WORKFLOW_MODULES = [require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors')];

/** The prebuilt bundle for a worker with or without tracing, when this is a build that has one. */
export function prebuiltBundle(tracing: boolean): { codePath: string } | undefined {
  const codePath = tracing ? PREBUILT_BUNDLES.tracing : PREBUILT_BUNDLES.plain;
  return existsSync(codePath) ? { codePath } : undefined;
}

async function main(): Promise<void> {
  const workflowsPath = require.resolve('../workflows');
  for (const [path, modules] of [[PREBUILT_BUNDLES.plain, []], [PREBUILT_BUNDLES.tracing, TRACING_WORKFLOW_MODULES]] as const) {
    const started = Date.now();
    const { code } = await bundleWorkflowCode({ workflowsPath, workflowInterceptorModules: [...modules], logger: quietBundlerLogger('[bundle]') });
    writeFileSync(path, code);
    console.log(`[bundle] ${path}: ${(code.length / 1024).toFixed(0)} KB in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
}

/** The bundler's logger for scripts and benchmarks: only warnings and errors, prefixed with `prefix`. */
export function quietBundlerLogger(prefix: string) {
  const noop = () => undefined;
  return { log: noop, trace: noop, debug: noop, info: noop,
    warn: (message: string) => console.warn(`${prefix} ${message}`), error: (message: string) => console.error(`${prefix} ${message}`) };
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(`[bundle] The workflow code could not be bundled: ${(err as Error).message}`);
    process.exit(1);
  });
}
