/**
 * The running topology is the one docker-compose.yml describes: the processes of its services, the
 * Temporal server and tools at the pinned versions, its dynamic config valid for that server,
 * Temporal's schemas at the newest version the official tool ships, the namespace and the search
 * attributes the workflows set, and the UI in front of it all.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client as PgClient } from 'pg';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from '../../src/contracts/temporal';
import { closeClients, state, temporalClient } from './support/stack';

const ROOT = resolve(__dirname, '..', '..');
const compose = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
const tag = (image: string) => new RegExp(`image: ${image}:(\\S+)`).exec(compose)![1];
const SERVER_DIR = join(ROOT, '.tools', `temporal-server-v${tag('temporalio/server')}`);

afterAll(closeClients);

async function temporalDb<T>(database: string, query: string): Promise<T[]> {
  const url = new URL(state().temporalDatabaseUrl);
  url.pathname = `/${database}`;
  const client = new PgClient({ connectionString: url.toString() });
  await client.connect();
  try {
    return (await client.query(query)).rows as T[];
  } finally {
    await client.end();
  }
}

describe('the running topology', () => {
  it('runs a process for every long-running service, and every one-shot ended', () => {
    const processes = state().processes;
    expect(processes.filter((p) => p.running).map((p) => p.name).sort())
      .toEqual(['api-1', 'api-2', 'shop-db', 'temporal', 'temporal-db', 'temporal-ui', 'worker-1', 'worker-2']);
    expect(processes.filter((p) => !p.running).map((p) => p.name).sort()).toEqual(['migrate', 'seed', 'temporal-schema', 'temporal-search-attributes']);
  });

  it('runs the Temporal server, its SQL tool and the UI at the versions docker-compose.yml pins', () => {
    const version = (binary: string) => execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim();
    expect(version(join(SERVER_DIR, 'temporal-server'))).toBe(`temporal version ${tag('temporalio/server')}`);
    expect(version(join(SERVER_DIR, 'temporal-sql-tool'))).toBe(`temporal-sql-tool version ${tag('temporalio/admin-tools')}`);
    expect(version(join(ROOT, '.tools', `temporal-ui-server-v${tag('temporalio/ui')}`, 'ui-server'))).toBe(`Temporal UI version ${tag('temporalio/ui')}`);
  });

  it('gives the server a dynamic config it accepts without an error or an unknown key', () => {
    const out = execFileSync(join(SERVER_DIR, 'temporal-server'), ['validate-dynamic-config', join(ROOT, 'deploy', 'temporal', 'dynamicconfig', 'commerce.yaml')],
      { encoding: 'utf8' });
    expect(out.trim().split('\n').slice(1)).toEqual([]);
  });

  it('has Temporal\'s two schemas at the newest version the official SQL tool ships, and the history shards compose\'s server makes', async () => {
    const newest = (dir: string) => readdirSync(join(SERVER_DIR, 'schema', 'postgresql', 'v12', dir, 'versioned'))
      .map((v) => v.replace(/^v/, '')).sort((a, b) => a.localeCompare(b, undefined, { numeric: true })).at(-1);
    for (const [database, dir] of [['temporal', 'temporal'], ['temporal_visibility', 'visibility']]) {
      const [row] = await temporalDb<{ curr_version: string }>(database, 'select curr_version from schema_version');
      expect({ database, version: row.curr_version }).toEqual({ database, version: newest(dir) });
    }
    // NUM_HISTORY_SHARDS is unset in docker-compose.yml: the server image's default, 4.
    expect(await temporalDb<{ n: number }>('temporal', 'select count(*)::int as n from shards')).toEqual([{ n: 4 }]);
  });

  it('registered the namespace and exactly the search attributes the workflows set (deploy/temporal/register-search-attributes.sh)', async () => {
    const client = await temporalClient();
    const { customAttributes } = await client.connection.operatorService.listSearchAttributes({ namespace: state().namespace });
    const types = temporal.api.enums.v1.IndexedValueType;
    const registered = Object.fromEntries(Object.entries(customAttributes ?? {}).map(([name, type]) => [name, types[type as number].replace('INDEXED_VALUE_TYPE_', '')]));
    expect(registered).toEqual(Object.fromEntries(SEARCH_ATTRIBUTES.map((key) => [key.name, key.type])));
    const { config } = await client.workflowService.describeNamespace({ namespace: state().namespace });
    expect(Number(config?.workflowExecutionRetentionTtl?.seconds)).toBe(30 * 24 * 3600);
  });

  it('serves the Temporal UI, which reads the namespace through the server', async () => {
    const page = await fetch(state().temporalUi, { signal: AbortSignal.timeout(10_000) });
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<html/i);
    const namespace = await fetch(`${state().temporalUi}/api/v1/namespaces/${state().namespace}`, { signal: AbortSignal.timeout(10_000) });
    expect(namespace.status).toBe(200);
    expect(((await namespace.json()) as { namespaceInfo: { name: string } }).namespaceInfo.name).toBe(state().namespace);
  });
});
