/**
 * The deployment files agree with the code they deploy. (Their syntax is checked in CI by
 * .ci/lint-deploy.sh: docker-compose config, hadolint, shellcheck.)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SEARCH_ATTRIBUTES } from '../../src/contracts/temporal';
import { DEV_SERVER_DYNAMIC_CONFIG } from '../../src/temporal/dev-server';

const ROOT = join(__dirname, '..', '..');
const TYPE_NAMES: Record<string, string> = { KEYWORD: 'Keyword', INT: 'Int', TEXT: 'Text', DATETIME: 'Datetime', BOOL: 'Bool', DOUBLE: 'Double', KEYWORD_LIST: 'KeywordList' };

describe('deployment files', () => {
  it('register exactly the search attributes the workflows set, with their types', () => {
    const script = readFileSync(join(ROOT, 'deploy', 'temporal', 'register-search-attributes.sh'), 'utf8');
    const listed = /^SEARCH_ATTRIBUTES="([^"]*)"$/m.exec(script)![1].split(/\s+/).sort();
    expect(listed).toEqual(SEARCH_ATTRIBUTES.map((key) => `${key.name}:${TYPE_NAMES[key.type]}`).sort());
  });

  it('give the compose Temporal server the queue settings the dev server runs with (each key a list of `- value:` entries)', () => {
    const yaml = readFileSync(join(ROOT, 'deploy', 'temporal', 'dynamicconfig', 'commerce.yaml'), 'utf8');
    const settings = new Map([...yaml.matchAll(/^([a-zA-Z][\w.]*):\n {2}- value: (\S+)$/gm)].map((m) => [m[1], m[2]]));
    const keys = yaml.split('\n').filter((line) => /^[a-zA-Z]/.test(line)).map((line) => line.replace(/:$/, ''));
    expect([...settings.keys()]).toEqual(keys); // every top-level key parsed: nothing malformed
    for (const [key, value] of Object.entries(DEV_SERVER_DYNAMIC_CONFIG)) expect({ key, value: settings.get(key) }).toEqual({ key, value: String(value) });
  });

  it('keep secrets out of the image and every variable of the stack in .env.example', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');
    expect(ignored).toEqual(expect.arrayContaining(['.env', '.env.*', 'node_modules', '.data']));
    const compose = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
    const example = readFileSync(join(ROOT, '.env.example'), 'utf8');
    const interpolated = new Set([...compose.matchAll(/\$\{([A-Z_]+)[:}]/g)].map((m) => m[1]));
    for (const name of interpolated) expect({ name, inExample: new RegExp(`^${name}=`, 'm').test(example) }).toEqual({ name, inExample: true });
  });
});
