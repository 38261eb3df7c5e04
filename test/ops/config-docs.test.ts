/** Every configuration variable is documented: in docs/configuration.md and in .env.example. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

/** The variables src/config.ts validates: the keys of its zod schema object. */
function configVariables(): string[] {
  const source = read('src/config.ts');
  const body = /const schema = z\.object\(\{([\s\S]*?)\n\}\)/.exec(source)![1];
  return [...body.matchAll(/^ {2}([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]);
}

/** Variables read straight from process.env outside the schema (the logger, the dev and ops tools). */
function directlyReadVariables(): string[] {
  const names = new Set<string>();
  for (const dir of ['src', 'workers', 'activities']) {
    for (const file of readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'))) {
      for (const m of read(join(dir, file)).matchAll(/process\.env\.([A-Z][A-Z0-9_]+)/g)) names.add(m[1]);
    }
  }
  return [...names].sort();
}

describe('configuration documentation', () => {
  const variables = configVariables();

  it('finds the variables in src/config.ts', () => {
    expect(variables).toEqual(expect.arrayContaining(['DATABASE_URL', 'TEMPORAL_ADDRESS', 'API_DRAIN_DELAY', 'WORKER_METRICS_PORT']));
  });

  it('has every variable in docs/configuration.md and in .env.example, those the schema checks and those read directly', () => {
    const page = read('docs/configuration.md');
    const example = read('.env.example');
    const all = [...new Set([...variables, ...directlyReadVariables()])];
    expect(all).toEqual(expect.arrayContaining(['LOG_LEVEL', 'SERVICE_NAME', 'DEV_DATA_DIR']));
    const undocumented = all.filter((name) => !new RegExp(`^\\| [^\\n]*\`${name}\``, 'm').test(page));
    const notInExample = all.filter((name) => !new RegExp(`^(# )?${name}=`, 'm').test(example));
    expect({ undocumented, notInExample }).toEqual({ undocumented: [], notInExample: [] });
  });
});
