/**
 * Builds the storefront (web/ → web/dist, as `npm run build:web`) when its sources changed since
 * the last build: `npm run dev` and the browser tests call it, so neither serves a stale build and
 * neither pays for a build when nothing changed. The sources' digest is kept beside the build.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PROJECT_ROOT } from '../temporal/binaries';

const WEB = join(PROJECT_ROOT, 'web');
export const WEB_DIST = join(WEB, 'dist');
const DIGEST_FILE = join(WEB_DIST, '.sources.sha256');

function sourcesDigest(): string {
  const hash = createHash('sha256');
  const add = (file: string) => hash.update(relative(PROJECT_ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const file = join(dir, name);
      if (statSync(file).isDirectory()) walk(file);
      else add(file);
    }
  };
  walk(join(WEB, 'src'));
  for (const file of ['index.html', 'vite.config.mts', 'tsconfig.json']) add(join(WEB, file));
  add(join(PROJECT_ROOT, 'package-lock.json'));
  return hash.digest('hex');
}

/** True when it built; false when the build was already up to date. Throws with Vite's output when the build fails. */
export function ensureWebBuilt(say: (line: string) => void = () => undefined): boolean {
  const digest = sourcesDigest();
  if (existsSync(DIGEST_FILE) && readFileSync(DIGEST_FILE, 'utf8') === digest && existsSync(join(WEB_DIST, 'index.html'))) return false;
  say('Building the storefront (web/ changed since the last build) ...');
  const started = Date.now();
  const run = spawnSync(process.execPath, [join(PROJECT_ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', join(WEB, 'vite.config.mts')],
    { cwd: PROJECT_ROOT, encoding: 'utf8', env: { ...process.env, VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true' } });
  if (run.status !== 0) throw new Error(`the storefront build failed:\n${run.stdout}\n${run.stderr}`);
  writeFileSync(DIGEST_FILE, digest);
  say(`Built the storefront in ${Date.now() - started} ms.`);
  return true;
}

if (require.main === module) ensureWebBuilt((line) => process.stdout.write(`[build:web] ${line}\n`));
