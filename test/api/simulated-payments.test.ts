/**
 * The simulated provider's public 3-D Secure page is served only when the simulated provider takes
 * the payments: the API as production wires it (startApi) mounts it beside the simulated provider,
 * never beside Stripe. (Production refuses to start on the simulated provider unless
 * ALLOW_SIMULATED_PAYMENTS=true: test/config.test.ts.)
 */
import { loadConfig } from '../../src/config';
import { startApi, type ApiServer } from '../../src/api/server';
import { SimulatedPaymentProvider } from '../../src/integrations/simulated/payments';
import { StripePaymentProvider } from '../../src/integrations/stripe';
import { logger } from '../../src/logger';
import { createTestDatabase, type TestDatabase } from '../support/db';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

async function withApi(payments: SimulatedPaymentProvider | StripePaymentProvider, check: (api: ApiServer) => Promise<void>): Promise<void> {
  const config = loadConfig({ PORT: '0', NODE_ENV: 'test' });
  const api = await startApi({ config, orm: db.orm, temporal: { ping: async () => {} }, logger, payments });
  try {
    await check(api);
  } finally {
    await api.close();
  }
}

const authenticate = (api: ApiServer) => fetch(`${api.url}/simulated/payments/pi_sim_nope/authenticate`, {
  method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ outcome: 'succeeded' }) });
const documented = async (api: ApiServer) => Object.keys(((await (await fetch(`${api.url}/openapi.json`)).json()) as { paths: object }).paths)
  .filter((p) => p.startsWith('/simulated/'));

it('with Stripe taking the payments, /simulated/… is not mounted: 404 no route, and not in the OpenAPI document', async () => {
  await withApi(new StripePaymentProvider({ secretKey: 'sk_test_not_used', returnUrl: 'https://shop.example.com/orders/{orderId}' }), async (api) => {
    const res = await authenticate(api);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe('No route for POST /simulated/payments/pi_sim_nope/authenticate. '
      + 'See /openapi.json for the routes this API serves.');
    expect(await documented(api)).toEqual([]);
  });
});

it('with the simulated provider, its 3-D Secure page is served', async () => {
  await withApi(new SimulatedPaymentProvider(db.orm), async (api) => {
    const res = await authenticate(api);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/^There is no simulated payment pi_sim_nope/);
    expect(await documented(api)).toEqual(['/simulated/payments/{intentId}/authenticate']);
  });
});
