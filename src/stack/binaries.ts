/**
 * The binaries of the production topology that no package registry ships ready-made: the Temporal
 * server and its SQL schema tool (module go.temporal.io/server), and the Temporal Web UI server
 * (github.com/temporalio/ui-server/v2, whose module carries the built UI). Their versions are the
 * image tags docker-compose.yml pins (temporalio/server and temporalio/admin-tools, temporalio/ui),
 * so the file stays the one place a version is written. Each is built once with `go install`
 * through the Go module proxy and cached under .tools/ with what the images add around it (the
 * SQL schemas, the UI's configuration template); a cached copy is used only when its --version
 * says the pinned version. First build: about 5 minutes on 2 cores; with Go's build cache warm
 * (GOCACHE, GOMODCACHE), about 35 s.
 *
 * Modules come from the Go module proxy only (GOPROXY without its `direct` fallback: no VCS
 * checkout), checked against the checksum database as usual, and a Go older than the modules ask
 * for fetches the toolchain they name from the same proxy (GOTOOLCHAIN=auto).
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ProvisioningError, TOOLS_DIR } from '../temporal/binaries';

export interface StackVersions {
  /** temporalio/server (and temporalio/admin-tools, whose temporal-sql-tool comes from the same module). */
  server: string;
  /** temporalio/ui. */
  ui: string;
}

export interface StackBinaries {
  /** The `temporal-server` of the server image. */
  server: string;
  /** The admin-tools image's `temporal-sql-tool`; its directory goes on the schema script's PATH. */
  sqlTool: string;
  /** What the admin-tools image has at /etc/temporal/schema. */
  schemaDir: string;
  /** The UI image's `ui-server`. */
  uiServer: string;
  /** The UI image's config/docker.yaml, a template filled from TEMPORAL_* variables. */
  uiConfigTemplate: string;
}

const SERVER_MODULE = 'go.temporal.io/server';
const UI_MODULE = 'github.com/temporalio/ui-server/v2';

function paths(v: StackVersions): StackBinaries & { serverDir: string; uiDir: string } {
  const serverDir = join(TOOLS_DIR, `temporal-server-v${v.server}`);
  const uiDir = join(TOOLS_DIR, `temporal-ui-server-v${v.ui}`);
  return {
    serverDir, uiDir,
    server: join(serverDir, 'temporal-server'), sqlTool: join(serverDir, 'temporal-sql-tool'), schemaDir: join(serverDir, 'schema'),
    uiServer: join(uiDir, 'ui-server'), uiConfigTemplate: join(uiDir, 'config', 'docker.yaml'),
  };
}

/** The cached binaries if each is there and says the pinned version; undefined otherwise. */
export function findStackBinaries(v: StackVersions): StackBinaries | undefined {
  const p = paths(v);
  const ok = versionIs(p.server, `temporal version ${v.server}`) && versionIs(p.sqlTool, `temporal-sql-tool version ${v.server}`)
    && versionIs(p.uiServer, `Temporal UI version ${v.ui}`) && existsSync(join(p.schemaDir, 'postgresql', 'v12')) && existsSync(p.uiConfigTemplate);
  return ok ? p : undefined;
}

/** The cached binaries, built first when missing; refuses with what to install when Go is not there. */
export async function ensureStackBinaries(v: StackVersions, log: (line: string) => void): Promise<StackBinaries> {
  const found = findStackBinaries(v);
  if (found) return found;
  const go = spawnSync('go', ['version'], { encoding: 'utf8', env: process.env });
  const needs = `The production topology needs the Temporal server ${v.server} and UI server ${v.ui}, built from source with Go`;
  if (go.status !== 0) {
    throw new ProvisioningError(`${needs}, and Go is not installed. Install Go 1.${MIN_GO_MINOR} or newer (https://go.dev/dl/, or your system's `
      + 'package, e.g. `apt-get install golang-go`; an older Go than the modules ask for, 1.26, fetches that toolchain from the module proxy), '
      + 'then run this again: the first build takes about 5 minutes on 2 cores and is cached under .tools/.');
  }
  const goVersion = /go(\d+)\.(\d+)/.exec(go.stdout);
  if (goVersion && Number(goVersion[1]) === 1 && Number(goVersion[2]) < MIN_GO_MINOR) {
    throw new ProvisioningError(`${needs}, and ${go.stdout.trim()} is too old to fetch the toolchain their modules ask for. `
      + `Install Go 1.${MIN_GO_MINOR} or newer (https://go.dev/dl/), then run this again.`);
  }
  const env: GoEnv = {
    GOPROXY: proxyOnly(spawnSync('go', ['env', 'GOPROXY'], { encoding: 'utf8', env: process.env }).stdout.trim(), needs),
    GOTOOLCHAIN: 'auto',
  };
  const p = paths(v);
  const started = Date.now();
  log(`Building the Temporal server v${v.server}, its SQL tool and the UI server v${v.ui} with ${go.stdout.trim()} `
    + '(about 5 minutes the first time on 2 cores, seconds when Go\'s build cache has them); cached under .tools/ ...');
  await Promise.all([buildServer(v.server, p.serverDir, env), buildUi(v.ui, p.uiDir, env)]);
  const built = findStackBinaries(v);
  if (!built) throw new ProvisioningError(`go install finished, but ${p.serverDir} or ${p.uiDir} does not hold the pinned versions.`);
  log(`Built in ${((Date.now() - started) / 1000).toFixed(0)} s: ${p.serverDir}, ${p.uiDir}`);
  return built;
}

async function buildServer(version: string, dir: string, env: GoEnv): Promise<void> {
  await intoDirectory(dir, async (work) => {
    await goInstall(env, work, [`${SERVER_MODULE}/cmd/server@v${version}`, `${SERVER_MODULE}/cmd/tools/sql@v${version}`]);
    renameSync(join(work, 'server'), join(work, 'temporal-server'));
    renameSync(join(work, 'sql'), join(work, 'temporal-sql-tool'));
    // The schemas travel with the module, as the admin-tools image copies them to /etc/temporal/schema.
    const source = await moduleDir(env, `${SERVER_MODULE}@v${version}`);
    cpSync(join(source, 'schema', 'postgresql'), join(work, 'schema', 'postgresql'), { recursive: true });
  });
}

async function buildUi(version: string, dir: string, env: GoEnv): Promise<void> {
  await intoDirectory(dir, async (work) => {
    await goInstall(env, work, [`${UI_MODULE}/cmd/server@v${version}`]);
    renameSync(join(work, 'server'), join(work, 'ui-server'));
    const source = await moduleDir(env, `${UI_MODULE}@v${version}`);
    mkdirSync(join(work, 'config'));
    cpSync(join(source, 'config', 'docker.yaml'), join(work, 'config', 'docker.yaml'));
  });
}

/** Builds into a scratch directory beside `dir`, renamed into place only when complete. */
async function intoDirectory(dir: string, build: (work: string) => Promise<void>): Promise<void> {
  const work = `${dir}.partial-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    await build(work);
    // Files copied out of Go's module cache are read-only: make them ours, so the cache can be deleted.
    spawnSync('chmod', ['-R', 'u+w', work]);
    rmSync(dir, { recursive: true, force: true });
    renameSync(work, dir);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The oldest Go that switches to the toolchain a module's go line asks for (the server's is newer than most systems' Go). */
const MIN_GO_MINOR = 21;

/** Every `go` command of the build: proxy only, toolchain switching on. */
type GoEnv = Record<'GOPROXY' | 'GOTOOLCHAIN', string>;

/** GOPROXY's proxies without `direct` (a checkout from the module's VCS) or `off`; refuses when no proxy is left. */
export function proxyOnly(goproxy: string, needs: string): string {
  // The separators stay as written: `,` falls through to the next proxy on a 404 or 410 only, `|` on any error.
  const parts = `,${goproxy}`.match(/[,|][^,|]*/g) ?? [];
  const proxies = parts.filter((p) => !['', 'direct', 'off'].includes(p.slice(1).trim())).join('').slice(1);
  if (!proxies) {
    throw new ProvisioningError(`${needs}, from the Go module proxy, and GOPROXY is "${goproxy}". Set GOPROXY to a module proxy `
      + '(https://proxy.golang.org, or your organisation\'s mirror) and run this again.');
  }
  return proxies;
}

function goInstall(env: GoEnv, gobin: string, packages: string[]): Promise<string> {
  // -modcacherw: the module cache it fills stays deletable by its owner (`go clean -modcache` or rm -rf).
  return run('go', ['install', '-modcacherw', ...packages], { ...env, GOBIN: gobin });
}

async function moduleDir(env: GoEnv, moduleAtVersion: string): Promise<string> {
  const out = await run('go', ['mod', 'download', '-json', moduleAtVersion], env);
  const dir = (JSON.parse(out) as { Dir?: string }).Dir;
  if (!dir || !existsSync(dir)) throw new ProvisioningError(`go mod download ${moduleAtVersion} gave no module directory:\n${out}`);
  return dir;
}

function run(cmd: string, args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    // Outside any module: `go install pkg@version` and `go mod download` then work from anywhere.
    mkdirSync(TOOLS_DIR, { recursive: true });
    const child = spawn(cmd, args, { cwd: TOOLS_DIR, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    child.once('error', (err) => reject(new ProvisioningError(`${cmd} ${args.join(' ')}: ${err.message}`)));
    child.once('exit', (code, signal) => {
      if (code === 0) resolve(stdout);
      else reject(new ProvisioningError(`${cmd} ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${stderr.slice(-4000)}`));
    });
  });
}

function versionIs(binary: string, expected: string): boolean {
  if (!existsSync(binary)) return false;
  chmodSync(binary, 0o755);
  const out = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  return `${out.stdout ?? ''}${out.stderr ?? ''}`.includes(expected);
}
