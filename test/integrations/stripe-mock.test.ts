/**
 * stripe-mock as the tests get it: found (STRIPE_MOCK_PATH, else the cached build under .tools/)
 * without rebuilding it, and started on loopback ports of the system's choosing, so any number of
 * test runs on one machine never collide.
 */
import { existsSync } from 'node:fs';
import { ProvisioningError } from '../../src/temporal/binaries';
import { CACHED_STRIPE_MOCK, findStripeMock, provisionStripeMock, requireStripeMock, startStripeMock } from '../../src/integrations/stripe-mock';

const saved = { STRIPE_MOCK_PATH: process.env.STRIPE_MOCK_PATH, PATH: process.env.PATH };
afterEach(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

it('STRIPE_MOCK_PATH names the binary to use; a path with nothing there is refused, naming the variable', () => {
  const binary = requireStripeMock().path;
  process.env.STRIPE_MOCK_PATH = binary;
  expect(findStripeMock()).toEqual({ path: binary, source: 'environment' });
  process.env.STRIPE_MOCK_PATH = '/nowhere/stripe-mock';
  expect(() => findStripeMock()).toThrow(ProvisioningError);
  expect(() => findStripeMock()).toThrow(/STRIPE_MOCK_PATH is set to \/nowhere\/stripe-mock, but no file is there/);
});

it('provisioning uses the cached build without Go; without either it says what to do instead of failing the run', () => {
  delete process.env.STRIPE_MOCK_PATH;
  process.env.PATH = ''; // no `go` to run
  const lines: string[] = [];
  const found = provisionStripeMock((line) => lines.push(line));
  if (existsSync(CACHED_STRIPE_MOCK)) {
    expect(found).toEqual({ path: CACHED_STRIPE_MOCK, source: 'cache' });
    expect(lines).toEqual([]);
  } else {
    expect(found).toBeUndefined();
    expect(lines).toEqual([expect.stringMatching(/Go is not available.*set STRIPE_MOCK_PATH/)]);
  }
});

it('two stripe-mocks start side by side on loopback ports of their own, serve the Stripe API, and stop', async () => {
  const binary = requireStripeMock().path;
  const [a, b] = await Promise.all([startStripeMock(binary), startStripeMock(binary)]);
  try {
    expect(new URL(a.url).hostname).toBe('127.0.0.1');
    expect(new URL(b.url).hostname).toBe('127.0.0.1');
    expect(a.url).not.toBe(b.url);
    for (const mock of [a, b]) {
      const res = await fetch(`${mock.url}/v1/payment_intents/pi_123`, { headers: { authorization: 'Bearer sk_test_123' } });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ object: 'payment_intent' });
    }
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
  expect([a.process.exitCode ?? a.process.signalCode, b.process.exitCode ?? b.process.signalCode]).not.toContain(null);
});
