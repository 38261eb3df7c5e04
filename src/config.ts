/**
 * Configuration, read once at start-up and validated: a bad value stops the process with one
 * message naming the variable and what it expects. Every variable is documented in README.md.
 */
import { z } from 'zod';

const duration = z.string().regex(/^\d+\s*(ms|s|m|h|d)$/, 'a duration such as 15m, 24h or 7d');

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: z.string().url().optional(),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  TEMPORAL_ADDRESS: z.string().regex(/^[^:\s]+:\d+$/, 'host:port').optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('commerce'),
  TEMPORAL_TLS_CERT_PATH: z.string().optional(),
  TEMPORAL_TLS_KEY_PATH: z.string().optional(),
  TEMPORAL_API_KEY: z.string().optional(),
  STAFF_TOKEN_SHA256: z
    .string()
    .regex(/^([0-9a-f]{64})(,[0-9a-f]{64})*$/, 'comma-separated lowercase hex SHA-256 digests')
    .optional(),
  PAYMENT_ACTION_TIMEOUT: duration.default('15m'),
  PUBLIC_BASE_URL: z.string().url().optional(),
  // Payment and messaging providers (src/integrations/index.ts): each real one is switched on by its
  // credentials; without them the simulated provider runs. The *_API_BASE variables point an SDK at a
  // local peer (stripe-mock, a recording server) instead of the provider; leave them unset in production.
  STRIPE_SECRET_KEY: z.string().regex(/^(sk|rk)_(test|live)_\w+$/, 'a Stripe secret key (sk_test_… or sk_live_…)').optional(),
  STRIPE_WEBHOOK_SECRET: z.string().regex(/^whsec_\w+$/, "the webhook endpoint's signing secret (whsec_…)").optional(),
  STRIPE_API_BASE: z.string().url().optional(),
  STRIPE_RETURN_URL: z.string().url().optional(),
  TWILIO_ACCOUNT_SID: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'an account SID (AC followed by 32 hex digits)').optional(),
  TWILIO_AUTH_TOKEN: z.string().min(1).optional(),
  TWILIO_FROM_NUMBER: z.string().regex(/^\+[1-9]\d{1,14}$/, 'an E.164 phone number such as +15005550006').optional(),
  TWILIO_API_BASE: z.string().url().optional(),
  SENDGRID_API_KEY: z.string().min(1).optional(),
  SENDGRID_FROM_EMAIL: z.string().email().optional(),
  SENDGRID_API_BASE: z.string().url().optional(),
  NOTIFICATIONS_PER_SECOND: z.coerce.number().positive().max(10_000).default(10),
}).superRefine((c, ctx) => {
  // A provider half-configured would fail on the first order, not at start-up: refuse it here.
  const groups = [['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM_NUMBER'], ['SENDGRID_API_KEY', 'SENDGRID_FROM_EMAIL']] as const;
  for (const group of groups) {
    const set = group.filter((name) => c[name] !== undefined);
    if (set.length === 0 || set.length === group.length) continue;
    for (const name of group.filter((n) => c[n] === undefined)) {
      ctx.addIssue({ code: 'custom', path: [name], message: `to be set as well, because ${set.join(' and ')} ${set.length > 1 ? 'are' : 'is'} (set all of ${group.join(', ')}, or none)` });
    }
  }
});

export type Config = z.infer<typeof schema>;

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
  throw new ConfigError(`Invalid configuration; fix these environment variables:\n${lines.join('\n')}`);
}

/** Parses '15m', '24h', '7d' into milliseconds. */
export function durationMs(value: string): number {
  const match = /^(\d+)\s*(ms|s|m|h|d)$/.exec(value);
  if (!match) throw new ConfigError(`Not a duration: ${value}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}
