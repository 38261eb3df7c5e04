/**
 * Configuration is read once at start-up: a bad or missing value stops the process with one message
 * that names the variable and says what it expects, and never echoes a secret back.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { ConfigError, durationMs, loadConfig } from '../src/config';

const ROOT = resolve(__dirname, '..');

describe('configuration', () => {
  it('applies the defaults when nothing is set, and treats an empty value as unset', () => {
    const config = loadConfig({ PORT: '', API_DRAIN_DELAY: '' });
    expect(config).toEqual(expect.objectContaining({ PORT: 3000, TEMPORAL_TASK_QUEUE: 'commerce', API_DRAIN_DELAY: '5s', WORKER_SHUTDOWN_GRACE: '10s' }));
    expect(config.WORKER_METRICS_PORT).toBeUndefined();
    expect(config.OTEL_EXPORTER_OTLP_ENDPOINT).toBeUndefined();
    expect(durationMs(config.API_DRAIN_DELAY)).toBe(5000);
  });

  it('names every bad variable with what it expects, in one message', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', WORKER_SHUTDOWN_GRACE: 'soon', WORKER_METRICS_PORT: '70000' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe([
      'Invalid configuration; fix these environment variables:',
      '  PORT: expected a port number from 0 to 65535, got "eighty"',
      '  WORKER_SHUTDOWN_GRACE: expected a duration such as 10s or 1m, got "soon"',
      '  WORKER_METRICS_PORT: expected a port number from 0 to 65535, got "70000"',
    ].join('\n'));
  });

  it('never prints the value of a variable that may hold a credential', () => {
    expect(() => loadConfig({ DATABASE_URL: 'not a url with password hunter2' }))
      .toThrow('DATABASE_URL: expected a PostgreSQL URL such as postgres://user:password@host:5432/db (value not shown)');
    expect(() => loadConfig({ DATABASE_URL: 'not a url with password hunter2' })).not.toThrow(/hunter2/);
  });

  it('the API stops at start-up with exit code 1 and that one message, before connecting to anything', () => {
    const run = start('src/api/main.ts', { API_DRAIN_DELAY: 'a while', DATABASE_URL: 'postgres://u:p@127.0.0.1:1/db', TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe('Invalid configuration; fix these environment variables:\n'
      + '  API_DRAIN_DELAY: expected a duration such as 0s, 5s or 500ms, got "a while"');
  });

  it('a bad LOG_LEVEL gets that one message too (the logger exists before the check and must not crash first), and an empty one is unset', () => {
    const bad = start('src/api/main.ts', { LOG_LEVEL: 'loud', DATABASE_URL: 'postgres://u:p@127.0.0.1:1/db', TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim()).toBe('Invalid configuration; fix these environment variables:\n'
      + '  LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"');
    const empty = start('workers/main.ts', { LOG_LEVEL: '', WORKER_SHUTDOWN_GRACE: 'soon' });
    expect(empty.status).toBe(1);
    expect(empty.stderr.trim()).toBe('Invalid configuration; fix these environment variables:\n'
      + '  WORKER_SHUTDOWN_GRACE: expected a duration such as 10s or 1m, got "soon"');
  });

  it('the worker stops at start-up with exit code 1 when a required variable is missing, and says which', () => {
    const run = start('workers/main.ts', { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^DATABASE_URL is not set: the worker needs PostgreSQL \(DATABASE_URL=postgres:\/\/user:password@host:5432\/db\)/);
  });
});

function start(entry: string, env: Record<string, string>) {
  return spawnSync(process.execPath, ['--import', 'tsx', entry], { cwd: ROOT, encoding: 'utf8', timeout: 30_000, env: { PATH: process.env.PATH, ...env } });
}
