/** Every configuration variable is documented: in README.md (Configuration) and in .env.example. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

/** The variables src/config.ts validates: the keys of its zod schema object. */
function configVariables(): string[] {
  const source = read('src/config.ts');
  const body = /const schema = z\.object\(\{([\s\S]*?)\n\}\)/.exec(source)![1];
  return [...body.matchAll(/^ {2}([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]);
}

describe('configuration documentation', () => {
  const variables = configVariables();

  it('finds the variables in src/config.ts', () => {
    expect(variables).toEqual(expect.arrayContaining(['DATABASE_URL', 'TEMPORAL_ADDRESS', 'API_DRAIN_DELAY', 'WORKER_METRICS_PORT']));
  });

  it('has every variable in the README and in .env.example', () => {
    const readme = read('README.md');
    const example = read('.env.example');
    const undocumented = variables.filter((name) => !readme.includes(`\`${name}\``));
    const notInExample = variables.filter((name) => !new RegExp(`^(# )?${name}=`, 'm').test(example));
    expect({ undocumented, notInExample }).toEqual({ undocumented: [], notInExample: [] });
  });
});
