/**
 * Configuration is read once at start-up: a bad or missing value stops the process with one message
 * that names the variable and says what it expects, and never echoes a secret back.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { ConfigError, durationMs, loadConfig, parseRateLimit } from '../src/config';

/** A production configuration needs payload keys (src/temporal/codec.ts). */
const KEYS = { PAYLOAD_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}`, PAYLOAD_KEY_ID: 'k1' };

const ROOT = resolve(__dirname, '..');

const KEY = 'a-production-order-token-key-of-48-characters-xx';

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

  it('production refuses the simulated payment provider unless ALLOW_SIMULATED_PAYMENTS=true says so; Stripe or that switch lets it start', () => {
    const refused = () => loadConfig({ NODE_ENV: 'production', ...KEYS });
    expect(refused).toThrow(ConfigError);
    expect(refused).toThrow(/STRIPE_SECRET_KEY: expected a Stripe secret key in production \(NODE_ENV=production\): without one the simulated payment provider/);
    expect(() => loadConfig({ NODE_ENV: 'production', ALLOW_SIMULATED_PAYMENTS: 'false', ...KEYS })).toThrow(/ALLOW_SIMULATED_PAYMENTS=true for a demo/);
    expect(loadConfig({ NODE_ENV: 'production', ALLOW_SIMULATED_PAYMENTS: 'true', ORDER_TOKEN_KEY: KEY, ...KEYS }).ALLOW_SIMULATED_PAYMENTS).toBe(true);
    expect(loadConfig({ NODE_ENV: 'production', STRIPE_SECRET_KEY: 'sk_live_abc', STRIPE_WEBHOOK_SECRET: 'whsec_abc', ORDER_TOKEN_KEY: KEY, ...KEYS })
      .ALLOW_SIMULATED_PAYMENTS).toBe(false);
    // Outside production the simulated provider is the default, as it always was.
    expect(loadConfig({ NODE_ENV: 'development' }).STRIPE_SECRET_KEY).toBeUndefined();
    expect(() => loadConfig({ ALLOW_SIMULATED_PAYMENTS: 'yes' })).toThrow('ALLOW_SIMULATED_PAYMENTS: expected true or false, got "yes"');
  });

  it('production needs an order token key of its own (the development one is public); a rotation keeps the old ones verifying', () => {
    const base = { NODE_ENV: 'production', ALLOW_SIMULATED_PAYMENTS: 'true', ...KEYS };
    expect(() => loadConfig(base)).toThrow(/ORDER_TOKEN_KEY: expected a secret of at least 32 characters in production .*openssl rand -base64 48/);
    expect(() => loadConfig({ ...base, ORDER_TOKEN_KEY: 'short' })).toThrow('ORDER_TOKEN_KEY: expected a secret of at least 32 characters (e.g. openssl rand -base64 48) (value not shown)');
    expect(() => loadConfig({ ...base, ORDER_TOKEN_KEY: KEY, ORDER_TOKEN_PREVIOUS_KEYS: `${KEY},short` })).toThrow(/ORDER_TOKEN_PREVIOUS_KEYS: expected comma-separated/);
    expect(loadConfig({ ...base, ORDER_TOKEN_KEY: KEY, ORDER_TOKEN_PREVIOUS_KEYS: `${KEY.replace('a', 'b')},${KEY}` }).ORDER_TOKEN_KEY).toBe(KEY);
    expect(loadConfig({ NODE_ENV: 'development' }).ORDER_TOKEN_KEY).toBeUndefined(); // the development key then
  });

  it('the API and the worker in production without Stripe stop at start-up, exit 1, before connecting to anything', () => {
    for (const entry of ['src/api/main.ts', 'workers/main.ts']) {
      const run = start(entry, { NODE_ENV: 'production', DATABASE_URL: 'postgres://u:p@127.0.0.1:1/db', TEMPORAL_ADDRESS: '127.0.0.1:1', ...KEYS });
      expect({ entry, status: run.status }).toEqual({ entry, status: 1 });
      expect(run.stderr).toMatch(/^Invalid configuration; fix these environment variables:\n {2}STRIPE_SECRET_KEY: expected a Stripe secret key in production/);
    }
  });

  it('payload keys: production refuses to start without them; a malformed list, a short key or an encrypting id not in the list is named, its value never shown', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', ALLOW_SIMULATED_PAYMENTS: 'true' }))
      .toThrow(/PAYLOAD_KEYS: expected payload encryption keys in production \(NODE_ENV=production\)/);
    const short = `k1:${Buffer.alloc(16).toString('base64')}`;
    const problems: [Record<string, string>, RegExp][] = [
      [{ PAYLOAD_KEYS: KEYS.PAYLOAD_KEYS }, /PAYLOAD_KEY_ID: expected to be set as well/],
      [{ PAYLOAD_KEYS: short, PAYLOAD_KEY_ID: 'k1' }, /PAYLOAD_KEYS: expected the key "k1" to be 32 bytes in base64 \(openssl rand -base64 32\) \(value not shown\)/],
      [{ PAYLOAD_KEYS: 'no-colon', PAYLOAD_KEY_ID: 'k1' }, /PAYLOAD_KEYS: expected each entry as id:base64key/],
      [{ PAYLOAD_KEYS: `${KEYS.PAYLOAD_KEYS},${KEYS.PAYLOAD_KEYS}`, PAYLOAD_KEY_ID: 'k1' }, /each key id once; "k1" is given twice/],
      [{ PAYLOAD_KEYS: KEYS.PAYLOAD_KEYS, PAYLOAD_KEY_ID: 'k2' }, /PAYLOAD_KEY_ID to name one of the keys \(k1\), got "k2"/],
    ];
    for (const [env, message] of problems) {
      expect(() => loadConfig(env)).toThrow(message);
      expect(() => loadConfig(env)).not.toThrow(/[A-Za-z0-9+/]{40}=/);
    }
    const two = loadConfig({ PAYLOAD_KEYS: `${KEYS.PAYLOAD_KEYS}, k2:${Buffer.alloc(32, 7).toString('base64')}`, PAYLOAD_KEY_ID: 'k2' });
    expect(two.PAYLOAD_KEY_ID).toBe('k2');
  });

  it('STAFF_TOKEN_SHA256 is no longer read: set, it stops the process and says what replaced it', () => {
    expect(() => loadConfig({ STAFF_TOKEN_SHA256: 'a'.repeat(64) }))
      .toThrow('  STAFF_TOKEN_SHA256: no longer read; staff now use personal API keys with roles');
    expect(() => loadConfig({ STAFF_TOKEN_SHA256: 'a'.repeat(64) })).toThrow(/npm run staff -- bootstrap <name>/);
  });

  it('rate limits are N/window or off, and the proxy hops a small number', () => {
    const config = loadConfig({ RATE_LIMIT_CARTS_PER_IP: '5/30s', RATE_LIMIT_DECLINES_PER_CART: 'off', TRUST_PROXY_HOPS: '1' });
    expect(parseRateLimit(config.RATE_LIMIT_CARTS_PER_IP)).toEqual({ points: 5, windowSeconds: 30 });
    expect(parseRateLimit(config.RATE_LIMIT_DECLINES_PER_CART)).toBeUndefined();
    expect(parseRateLimit(config.RATE_LIMIT_CHECKOUTS_PER_IP)).toEqual({ points: 30, windowSeconds: 600 });
    expect(config.TRUST_PROXY_HOPS).toBe(1);
    expect(() => loadConfig({ RATE_LIMIT_SIGN_INS_PER_IP: 'lots', TRUST_PROXY_HOPS: '-1' })).toThrow([
      '  TRUST_PROXY_HOPS: expected the number of proxies in front of the API, from 0 to 10, got "-1"',
      '  RATE_LIMIT_SIGN_INS_PER_IP: expected N/window such as 20/10m, or off, got "lots"'].join('\n'));
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
