/**
 * What a storefront needs to know about this deployment before it can take a payment: which
 * provider takes cards, and either its test cards (the simulated provider) or Stripe's publishable
 * key (Stripe Elements). Public: nothing here is secret.
 */
import { z } from 'zod';
import type { AppDeps } from '../deps';
import { route } from '../http';

/** The simulated provider honours Stripe's test payment methods (src/integrations/simulated/payments.ts). */
const TEST_CARDS = [
  { paymentMethod: 'pm_card_visa', label: 'Visa ending 4242', outcome: 'Authorized' },
  { paymentMethod: 'pm_card_chargeDeclined', label: 'Visa ending 0002', outcome: 'Declined by the bank' },
  { paymentMethod: 'pm_card_authenticationRequired', label: 'Visa ending 3184', outcome: 'Asks for 3-D Secure' },
];

const storefrontConfigView = z.object({
  payments: z.object({
    provider: z.enum(['simulated', 'stripe']),
    publishableKey: z.string().nullable().meta({ description: 'Stripe\'s publishable key, for Stripe Elements; null with the simulated provider.' }),
    testCards: z.array(z.object({ paymentMethod: z.string(), label: z.string(), outcome: z.string() }))
      .meta({ description: 'The simulated provider\'s cards, to pick from; empty with Stripe.' }),
  }),
  currencies: z.array(z.string()).meta({ description: 'Currencies a cart can be in.' }),
}).meta({ id: 'StorefrontConfig' });

export function storefrontConfigRoutes(deps: Pick<AppDeps, 'simulatedPayments' | 'stripePublishableKey'>) {
  return [
    route({
      method: 'get', path: '/storefront/config', tag: 'storefront', access: 'public',
      summary: 'How this deployment takes payments (the simulated provider\'s test cards, or Stripe\'s publishable key) and its currencies',
      responses: { 200: { description: 'The storefront\'s settings', schema: storefrontConfigView } },
      handler: async (ctx) => {
        const simulated = deps.simulatedPayments !== undefined;
        ctx.set('Cache-Control', 'public, max-age=60');
        ctx.body = {
          payments: { provider: simulated ? 'simulated' : 'stripe', publishableKey: simulated ? null : deps.stripePublishableKey ?? null,
            testCards: simulated ? TEST_CARDS : [] },
          currencies: ['USD', 'EUR'],
        };
      },
    }),
  ];
}
