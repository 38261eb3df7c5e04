/**
 * Picks each provider: the real SDK adapter when its credentials are configured, the simulated
 * one otherwise, so the whole system runs on a laptop with no accounts.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import { durationMs, loadConfig, type Config } from '../config';
import type { Logger } from '../logger';
import type { Notifier } from './notifier';
import type { PaymentProvider } from './payments';
import type { Carrier } from './carrier';
import { SimulatedCarrier } from './simulated/carrier';
import { SimulatedNotifier } from './simulated/notifier';
import { SimulatedPaymentProvider } from './simulated/payments';
import { ByChannelNotifier } from './by-channel';
import { SendGridNotifier } from './sendgrid';
import { StripePaymentProvider } from './stripe';
import { TwilioNotifier } from './twilio';

export interface Providers {
  payments: PaymentProvider;
  notifier: Notifier;
  carrier: Carrier;
}

export function createProviders(deps: { orm: MikroORM; logger: Logger; publicBaseUrl?: string; config?: Config }): Providers {
  const config = deps.config ?? loadConfig();
  const simulatedNotifier = new SimulatedNotifier(deps.logger);
  const providers = {
    payments: createPaymentProvider(deps, config),
    notifier: new ByChannelNotifier({
      email: config.SENDGRID_API_KEY && config.SENDGRID_FROM_EMAIL
        ? new SendGridNotifier({ apiKey: config.SENDGRID_API_KEY, from: config.SENDGRID_FROM_EMAIL, apiBase: config.SENDGRID_API_BASE })
        : simulatedNotifier,
      sms: config.TWILIO_ACCOUNT_SID && config.TWILIO_AUTH_TOKEN && config.TWILIO_FROM_NUMBER
        ? new TwilioNotifier({ accountSid: config.TWILIO_ACCOUNT_SID, authToken: config.TWILIO_AUTH_TOKEN, from: config.TWILIO_FROM_NUMBER,
          apiBase: config.TWILIO_API_BASE, statusCallback: deps.publicBaseUrl && `${deps.publicBaseUrl.replace(/\/$/, '')}/webhooks/twilio` })
        : simulatedNotifier,
    }),
    carrier: new SimulatedCarrier(deps.publicBaseUrl),
  };
  deps.logger.info({ payments: providers.payments.name, email: config.SENDGRID_API_KEY ? 'sendgrid' : 'simulated',
    sms: config.TWILIO_ACCOUNT_SID ? 'twilio' : 'simulated' }, 'providers chosen (real ones where credentials are set)');
  return providers;
}

function createPaymentProvider(deps: { orm: MikroORM; publicBaseUrl?: string }, config: Config): PaymentProvider {
  if (!config.STRIPE_SECRET_KEY) return new SimulatedPaymentProvider(deps.orm, deps.publicBaseUrl, durationMs(config.SIMULATED_PAYMENT_LATENCY));
  const base = (deps.publicBaseUrl ?? 'http://127.0.0.1:3000').replace(/\/$/, '');
  return new StripePaymentProvider({ secretKey: config.STRIPE_SECRET_KEY, apiBase: config.STRIPE_API_BASE,
    returnUrl: config.STRIPE_RETURN_URL ?? `${base}/orders/{orderId}` });
}
