/** Which adapters run is decided by the credentials in the environment, and nothing else. */
import type { MikroORM } from '@mikro-orm/postgresql';
import { ConfigError, loadConfig } from '../../src/config';
import { createProviders } from '../../src/integrations';
import { logger } from '../../src/logger';
import { startRecordingServer } from '../support/recording-server';

const orm = {} as MikroORM; // only the simulated payment provider would use it, and these tests send no payment
const sms = { channel: 'sms' as const, to: '+447700900123', subject: 's', text: 'Order ABC confirmed.', html: '', idempotencyKey: 'row-1' };
const email = { ...sms, channel: 'email' as const, to: 'ada@example.com' };

it('with no credentials every provider is simulated', async () => {
  const providers = createProviders({ orm, logger, config: loadConfig({}) });
  expect(providers.payments.name).toBe('simulated');
  expect(await providers.notifier.send(email)).toEqual({ provider: 'simulated', messageId: 'sim-email-row-1' });
  expect(await providers.notifier.send(sms)).toEqual({ provider: 'simulated', messageId: 'sim-sms-row-1' });
});

it('each provider is switched on by its own credentials: Stripe for payments, Twilio for SMS while e-mail stays simulated', async () => {
  const twilio = await startRecordingServer(() => ({ status: 201, body: { sid: 'SM1', status: 'queued' } }));
  try {
    const providers = createProviders({ orm, logger, publicBaseUrl: 'https://shop.example.com/', config: loadConfig({
      STRIPE_SECRET_KEY: 'sk_test_abc123', STRIPE_WEBHOOK_SECRET: 'whsec_abc123', TWILIO_ACCOUNT_SID: `AC${'f'.repeat(32)}`, TWILIO_AUTH_TOKEN: 't', TWILIO_FROM_NUMBER: '+15005550006',
      TWILIO_API_BASE: twilio.url }) });
    expect(providers.payments.name).toBe('stripe');
    expect(await providers.notifier.send(sms)).toEqual({ provider: 'twilio', messageId: 'SM1' });
    expect(twilio.requests[0].form?.StatusCallback).toBe('https://shop.example.com/webhooks/twilio');
    expect((await providers.notifier.send(email)).provider).toBe('simulated');
  } finally {
    await twilio.close();
  }
});

it('SendGrid alone switches e-mail on, through the SDK, while payments and SMS stay simulated', async () => {
  const sendgrid = await startRecordingServer(() => ({ status: 202, headers: { 'X-Message-Id': 'sg-1' } }));
  try {
    const providers = createProviders({ orm, logger, config: loadConfig({ SENDGRID_API_KEY: 'SG.key', SENDGRID_FROM_EMAIL: 'shop@example.com',
      SENDGRID_API_BASE: sendgrid.url }) });
    expect(providers.payments.name).toBe('simulated');
    expect(await providers.notifier.send(email)).toEqual({ provider: 'sendgrid', messageId: 'sg-1' });
    expect(sendgrid.requests.map((r) => [r.method, r.path, r.headers.authorization])).toEqual([['POST', '/v3/mail/send', 'Bearer SG.key']]);
    expect((await providers.notifier.send(sms)).provider).toBe('simulated');
  } finally {
    await sendgrid.close();
  }
});

it('a provider configured by halves stops the process at start-up, naming what is missing', () => {
  // Stripe without its webhook secret could never learn a 3-D Secure outcome.
  expect(() => loadConfig({ STRIPE_SECRET_KEY: 'sk_test_abc123' }))
    .toThrow(/STRIPE_WEBHOOK_SECRET: expected to be set as well, because STRIPE_SECRET_KEY is/);
  expect(() => loadConfig({ TWILIO_ACCOUNT_SID: `AC${'f'.repeat(32)}` })).toThrow(ConfigError);
  expect(() => loadConfig({ SENDGRID_API_KEY: 'SG.x' })).toThrow(/SENDGRID_FROM_EMAIL: expected to be set as well, because SENDGRID_API_KEY is/);
  expect(() => loadConfig({ TWILIO_ACCOUNT_SID: `AC${'f'.repeat(32)}`, TWILIO_AUTH_TOKEN: 't', TWILIO_FROM_NUMBER: '07700 900123' }))
    .toThrow(/TWILIO_FROM_NUMBER: expected an E.164 phone number/);
});
