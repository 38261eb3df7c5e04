/**
 * A command-line tool from PyPI that the tests run beside the code (moto_server, Schemathesis),
 * provisioned like the project's other tools: an environment variable naming the executable, else a
 * virtual environment cached under .tools/, else `npm run provision` builds one from pinned,
 * hash-checked wheels (`pip install --no-deps --require-hashes --only-binary=:all:`, so a tampered
 * file is refused; needs Python 3 with venv and pip).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT, ProvisioningError, TOOLS_DIR } from '../temporal/binaries';

export interface ResolvedPythonTool { path: string; source: 'environment' | 'cache' | 'pip' }

export interface PythonTool {
  find(): ResolvedPythonTool | undefined;
  require(): ResolvedPythonTool;
  /** Makes the tool available; idempotent, instant when cached. Undefined (with a log line saying why) when it cannot. */
  provision(log: (line: string) => void): ResolvedPythonTool | undefined;
}

export function pythonTool(spec: {
  /** What it is, for messages: "moto_server", "Schemathesis". */
  label: string;
  /** The virtual environment's directory under .tools/, e.g. moto-5.2.5. */
  venv: string;
  /** The executable in the environment's bin/. */
  bin: string;
  /** The requirements file under tools/, with a hash for every wheel. */
  wheels: string;
  /** The environment variable that names an executable installed some other way. */
  envVar: string;
}): PythonTool {
  const venv = join(TOOLS_DIR, spec.venv);
  const cached = join(venv, 'bin', spec.bin);
  const find = (): ResolvedPythonTool | undefined => {
    const fromEnv = process.env[spec.envVar];
    if (fromEnv) {
      if (!existsSync(fromEnv)) throw new ProvisioningError(`${spec.envVar} is set to ${fromEnv}, but no file is there. Fix the path or unset it.`);
      return { path: fromEnv, source: 'environment' };
    }
    return existsSync(cached) ? { path: cached, source: 'cache' } : undefined;
  };
  return {
    find,
    require: () => {
      const found = find();
      if (found) return found;
      throw new ProvisioningError(`${spec.label} is not installed: run \`npm run provision\` (needs Python 3 with venv and pip), or set ${spec.envVar}.`);
    },
    provision: (log) => {
      const found = find();
      if (found) return found;
      log(`Installing ${spec.label} from tools/${spec.wheels} into ${venv} ...`);
      const steps: [string, string[]][] = [
        ['python3', ['-m', 'venv', venv]],
        [join(venv, 'bin', 'python'), ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-deps', '--require-hashes',
          '--only-binary=:all:', '-r', join(PROJECT_ROOT, 'tools', spec.wheels)]],
      ];
      for (const [cmd, args] of steps) {
        const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
        if (r.status !== 0) {
          log(`${cmd} ${args.slice(0, 3).join(' ')} failed:\n${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`);
          rmSync(venv, { recursive: true, force: true });
          return undefined;
        }
      }
      log(`Installed ${cached}`);
      return { path: cached, source: 'pip' };
    },
  };
}
