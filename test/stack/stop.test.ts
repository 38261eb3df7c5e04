/**
 * `npm run stack` as a developer meets it, last of the run: its banner names every endpoint and each
 * one answers; then one Ctrl-C (SIGINT to its whole process group, as a terminal sends it) stops
 * everything, dependents first, and leaves nothing behind: no process of the stack, nothing on its
 * ports, both PostgreSQLs shut down cleanly.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tcpAnswers as accepts } from '../../src/stack/services';
import { groupAlive, processesMentioning } from '../support/processes';
import { readFileSync as read } from 'node:fs';
import { closeClients, stackDir, staffKeyFile, state, type StackState } from './support/stack';

const STOP_TIMEOUT_MS = 90_000;

afterAll(closeClients);

describe('npm run stack', () => {
  let before: StackState;

  it('prints every endpoint, and each one answers', async () => {
    before = state();
    const output = readFileSync(process.env.STACK_TEST_OUTPUT!, 'utf8');
    const get = (url: string, headers: Record<string, string> = {}) => fetch(url, { headers, signal: AbortSignal.timeout(10_000) });
    for (const [i, api] of before.api.entries()) {
      expect(output).toContain(`API ${i + 1}            ${api}`);
      expect((await get(`${api}/readyz`)).status).toBe(200);
      expect((await get(`${api}/admin/inventory/NO-SUCH-SKU`, { Authorization: `Bearer ${read(staffKeyFile(), 'utf8').trim()}` })).status).not.toBe(401);
    }
    expect(output).toContain(`OpenAPI          ${before.api[0]}/openapi.json`);
    expect((await get(`${before.api[0]}/openapi.json`)).status).toBe(200);
    expect(output).toContain(`Temporal UI      ${before.temporalUi}`);
    expect((await get(before.temporalUi)).status).toBe(200);
    expect(output).toContain(`Temporal gRPC    ${before.temporalAddress} (namespace ${before.namespace})`);
    expect(output).toContain(`PostgreSQL       ${before.databaseUrl}`);
    for (const [i, metrics] of before.workerMetrics.entries()) {
      expect(output).toContain(`Worker ${i + 1}         ${metrics}`);
      expect((await get(metrics)).status).toBe(200);
    }
  });

  it('stops everything on one Ctrl-C, dependents first, and leaves nothing behind', async () => {
    const pgid = Number(process.env.STACK_TEST_PGID);
    const started = Date.now();
    process.kill(-pgid, 'SIGINT');
    while (groupAlive(pgid)) {
      if (Date.now() - started > STOP_TIMEOUT_MS) throw new Error(`npm run stack did not stop within ${STOP_TIMEOUT_MS / 1000} s:\n${readFileSync(process.env.STACK_TEST_OUTPUT!, 'utf8').slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const output = readFileSync(process.env.STACK_TEST_OUTPUT!, 'utf8');
    expect(output).toContain('Everything stopped.');
    const order = ['stopping api-1, api-2, worker-1, worker-2', 'stopping temporal-ui', 'stopping temporal ...', 'stopping shop-db, temporal-db']
      .map((line) => output.indexOf(line));
    expect(order.every((at) => at > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);

    for (const proc of state().processes) {
      expect({ name: proc.name, alive: proc.pid !== undefined && groupAlive(proc.pid) }).toEqual({ name: proc.name, alive: false });
    }
    expect(processesMentioning(stackDir())).toEqual([]);
    const ports = [...before.api, before.temporalUi, ...before.workerMetrics, `http://${before.temporalAddress}`, before.databaseUrl, before.temporalDatabaseUrl]
      .map((url) => Number(new URL(url).port));
    for (const port of ports) expect({ port, open: await accepts(port) }).toEqual({ port, open: false });
    for (const volume of ['shop-db-data', 'temporal-db-data']) expect(existsSync(join(stackDir(), 'volumes', volume, 'postmaster.pid'))).toBe(false);
  });
});
