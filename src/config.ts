/**
 * Configuration, read once at start-up and validated: a bad value stops the process with one
 * message naming the variable and what it expects. Every variable is documented in
 * docs/configuration.md and listed in .env.example.
 */
import { z } from 'zod';
import { meetsOwaspMinimum, OWASP_MINIMUMS } from './domain/passwords';
import { DEFAULT_CARDS_KEPT } from './domain/search-cards';
import { parsePayloadKeys } from './temporal/codec';

const duration = z.string().regex(/^\d+\s*(ms|s|m|h|d)$/, 'a duration such as 15m, 24h or 7d');
const port = z.coerce.number().int().min(0).max(65535);
/** A duration a workflow takes as it is (Temporal's format): '6 hours', '5 days', '30m'. */
const workflowDuration = z.string().regex(/^\d+\s*(ms|s|m|h|d|w|seconds?|minutes?|hours?|days?|weeks?)$/i, 'a duration such as 6 hours, 5 days or 30m');

/** A rate limit: at most N attempts per window ('20/10m'), or 'off'. */
const rateLimit = z.string().regex(/^(off|\d{1,7}\/\d{1,6}(s|m|h|d))$/, 'N/window such as 20/10m, or off');

/** pino's levels; src/logger.ts falls back to its default on anything else, and this check names it. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().default('127.0.0.1'),
  PORT: port.default(3000),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  DATABASE_URL: z.string().url().optional(),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  TEMPORAL_ADDRESS: z.string().regex(/^[^:\s]+:\d+$/, 'host:port').optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('commerce'),
  TEMPORAL_TLS_CERT_PATH: z.string().optional(),
  TEMPORAL_TLS_KEY_PATH: z.string().optional(),
  TEMPORAL_API_KEY: z.string().optional(),
  // Payload encryption (src/temporal/codec.ts, docs/privacy.md): every key that may decrypt (id:base64, comma-separated),
  // and the id of the one that encrypts; the Temporal UI origin(s) allowed to call the codec endpoint (/codec/decode).
  PAYLOAD_KEYS: z.string().optional(),
  PAYLOAD_KEY_ID: z.string().optional(),
  CODEC_CORS_ORIGINS: z.string().regex(/^https?:\/\/[^/,\s]+(,https?:\/\/[^/,\s]+)*$/, 'comma-separated origins').optional(),
  // Retention (src/store/retention.ts): how long stored provider webhook payloads and delivery reports are kept, and how often the prune runs.
  WEBHOOK_PAYLOAD_RETENTION: duration.default('30d'),
  DELIVERY_REPORT_RETENTION: duration.default('30d'),
  RETENTION_SWEEP_EVERY: duration.default('1h'),
  METRICS_TOKEN_SHA256: z
    .string()
    .regex(/^([0-9a-f]{64})(,[0-9a-f]{64})*$/, 'comma-separated lowercase hex SHA-256 digests')
    .optional(),
  // How many proxies (load balancers) in front of the API append to X-Forwarded-For: the client's address is the
  // entry that many from the right. 0: X-Forwarded-For is ignored and the peer's address is the client's.
  TRUST_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
  // Rate limits (src/api/rate-limits.ts), counted in PostgreSQL across every API replica: N attempts per window, or off.
  RATE_LIMIT_CARTS_PER_IP: rateLimit.default('60/10m'),
  RATE_LIMIT_CARTS_PER_CUSTOMER: rateLimit.default('30/10m'),
  RATE_LIMIT_CHECKOUTS_PER_IP: rateLimit.default('30/10m'),
  RATE_LIMIT_CHECKOUTS_PER_CUSTOMER: rateLimit.default('15/10m'),
  RATE_LIMIT_DECLINES_PER_CART: rateLimit.default('3/1h'),
  RATE_LIMIT_DECLINES_PER_CUSTOMER: rateLimit.default('5/1h'),
  RATE_LIMIT_DECLINES_PER_IP: rateLimit.default('10/1h'),
  RATE_LIMIT_SIGN_INS_PER_ACCOUNT: rateLimit.default('10/15m'),
  RATE_LIMIT_SIGN_INS_PER_IP: rateLimit.default('100/15m'),
  RATE_LIMIT_PASSWORD_RESETS_PER_ACCOUNT: rateLimit.default('3/1h'),
  RATE_LIMIT_PASSWORD_RESETS_PER_IP: rateLimit.default('20/1h'),
  // Order access tokens (src/auth/order-tokens.ts) are HMACs under this key; production needs its own. A rotation moves the old key
  // to ORDER_TOKEN_PREVIOUS_KEYS (comma-separated), which still verify the tokens given out under them.
  ORDER_TOKEN_KEY: z.string().min(32).optional(),
  ORDER_TOKEN_PREVIOUS_KEYS: z.string().regex(/^[^,]{32,}(,[^,]{32,})*$/, 'comma-separated keys of at least 32 characters').optional(),
  PAYMENT_ACTION_TIMEOUT: duration.default('15m'),
  PUBLIC_BASE_URL: z.string().url().optional(),
  // Customer accounts (docs/accounts.md): the cost of a password hash (argon2id), how long a session lives
  // idle and in all, how long an e-mailed link works, and where those links lead.
  ARGON2_MEMORY_KIB: z.coerce.number().int().min(7168).max(4_194_304).default(65536),
  ARGON2_ITERATIONS: z.coerce.number().int().min(1).max(100).default(3),
  ARGON2_PARALLELISM: z.coerce.number().int().min(1).max(16).default(1),
  SESSION_IDLE_TIMEOUT: duration.default('7d'),
  SESSION_MAX_AGE: duration.default('30d'),
  PASSWORD_RESET_LINK_TTL: duration.default('1h'),
  EMAIL_VERIFICATION_LINK_TTL: duration.default('24h'),
  STOREFRONT_URL: z.string().url().optional(),
  // The built storefront (npm run build:web) the API serves at /shop (src/api/storefront.ts).
  STOREFRONT_DIR: z.string().min(1).optional(),
  // Cart expiry sweep (src/temporal/schedules.ts): how often it runs, and how long a cart may stay idle.
  CART_SWEEP_EVERY: duration.default('5m'),
  CART_REMINDER_AFTER: duration.default('24h'),
  CART_TTL: duration.default('7d'),
  CART_RETENTION: duration.default('30d'),
  // Payment and messaging providers (src/integrations/index.ts): each real one is switched on by its
  // credentials; without them the simulated provider runs. The *_API_BASE variables point an SDK at a
  // local peer (stripe-mock, a recording server) instead of the provider; leave them unset in production.
  // Production (NODE_ENV=production) refuses to start on the simulated payment provider unless this says true.
  ALLOW_SIMULATED_PAYMENTS: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  // How long each call to the simulated payment provider takes (the fault suite slows it to kill a worker mid-call).
  SIMULATED_PAYMENT_LATENCY: duration.default('0ms'),
  STRIPE_SECRET_KEY: z.string().regex(/^(sk|rk)_(test|live)_\w+$/, 'a Stripe secret key (sk_test_… or sk_live_…)').optional(),
  STRIPE_WEBHOOK_SECRET: z.string().regex(/^whsec_\w+$/, "the webhook endpoint's signing secret (whsec_…)").optional(),
  STRIPE_API_BASE: z.string().url().optional(),
  STRIPE_RETURN_URL: z.string().url().optional(),
  STRIPE_PUBLISHABLE_KEY: z.string().regex(/^pk_(test|live)_\w+$/, 'a Stripe publishable key (pk_test_… or pk_live_…)').optional(),
  TWILIO_ACCOUNT_SID: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'an account SID (AC followed by 32 hex digits)').optional(),
  TWILIO_AUTH_TOKEN: z.string().min(1).optional(),
  TWILIO_FROM_NUMBER: z.string().regex(/^\+[1-9]\d{1,14}$/, 'an E.164 phone number such as +15005550006').optional(),
  TWILIO_API_BASE: z.string().url().optional(),
  SENDGRID_API_KEY: z.string().min(1).optional(),
  SENDGRID_FROM_EMAIL: z.string().email('an e-mail address such as shop@example.com').optional(),
  SENDGRID_API_BASE: z.string().url().optional(),
  NOTIFICATIONS_PER_SECOND: z.coerce.number().positive().max(10_000).default(10),
  // Shipment tracking (workflows/shipment-tracking.ts): the carrier's signed webhooks (POST /webhooks/carrier),
  // how long without a webhook before the carrier is polled, and how long without movement before a parcel is stalled.
  CARRIER_WEBHOOK_SECRET: z.string().min(16).optional(),
  TRACKING_POLL_EVERY: workflowDuration.default('6 hours'),
  TRACKING_STALL_AFTER: workflowDuration.default('5 days'),
  // How long a delivered or returned order's workflow stays open for support's refunds and messages.
  AFTER_SALES_WINDOW: workflowDuration.default('30 days'),
  // Fulfillment: pack at once (the simulated warehouse) or wait for POST /warehouse/orders/:id/packed.
  FULFILLMENT_AUTO_PACK: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
  FULFILLMENT_WAREHOUSE: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'a warehouse code such as WH-1').default('WH-1'),
  // Product images (src/integrations/image-storage.ts): uploaded files go to a local directory (served by
  // the API under /media/) or an S3-compatible bucket; uploads over IMAGE_MAX_BYTES are refused; a stored
  // file no product refers to is deleted once it is older than IMAGE_ORPHAN_GRACE (the catalog-image-sweep schedule).
  IMAGE_STORAGE: z.enum(['local', 's3']).default('local'),
  IMAGE_LOCAL_DIR: z.string().min(1).optional(),
  IMAGE_PUBLIC_BASE_URL: z.string().url().optional(),
  IMAGE_MAX_BYTES: z.coerce.number().int().min(1024).max(100 * 1024 * 1024).default(10 * 1024 * 1024),
  // Search pages' cards kept by each API process as the JSON they are sent as, while their products do not change
  // (src/domain/search-cards.ts): about 2 kB each per currency shown; 0 keeps none.
  SEARCH_CARDS_KEPT: z.coerce.number().int().min(0).max(1_000_000).default(DEFAULT_CARDS_KEPT),
  IMAGE_ORPHAN_GRACE: duration.default('24h'),
  IMAGE_SWEEP_EVERY: duration.default('1h'),
  // Bulk catalog imports (POST /admin/catalog/imports): the largest file accepted, in bytes.
  IMPORT_MAX_BYTES: z.coerce.number().int().min(1024).max(4 * 1024 * 1024 * 1024).default(512 * 1024 * 1024),
  S3_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name').optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_ENDPOINT: z.string().url().optional(),
  S3_FORCE_PATH_STYLE: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  S3_PREFIX: z.string().regex(/^([A-Za-z0-9._-]+\/)*$/, 'empty, or path segments each ending in a slash, such as catalog/').default(''),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  // Lifecycle: how a stop signal is handled (src/api/server.ts, workers/worker.ts).
  API_DRAIN_DELAY: duration.default('5s'),
  WORKER_SHUTDOWN_GRACE: duration.default('10s'),
  // The worker's memory and concurrency (workers/worker.ts; defaults sized for a 1 GB container, docs/configuration.md).
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).max(100_000).default(300),
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce.number().int().min(2).max(1000).default(40),
  WORKER_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().min(1).max(1000).default(50),
  WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: z.coerce.number().int().min(1).max(1000).default(50),
  // Observability: metrics (the worker's Temporal SDK exporter) and OpenTelemetry tracing.
  WORKER_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  WORKER_METRICS_PORT: port.optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
}).superRefine((c, ctx) => {
  if (c.WORKER_MAX_CACHED_WORKFLOWS > 0 && c.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS > c.WORKER_MAX_CACHED_WORKFLOWS) {
    // The SDK would quietly lower it; say so instead.
    ctx.addIssue({ code: 'custom', path: ['WORKER_MAX_CONCURRENT_WORKFLOW_TASKS'], message: 'a number no larger than WORKER_MAX_CACHED_WORKFLOWS (a workflow task runs in the cache)' });
  }
  if (!meetsOwaspMinimum({ memoryKiB: c.ARGON2_MEMORY_KIB, iterations: c.ARGON2_ITERATIONS })) {
    ctx.addIssue({ code: 'custom', path: ['ARGON2_MEMORY_KIB'], message: 'with ARGON2_ITERATIONS, at least one of OWASP\'s argon2id minimums '
      + `(${OWASP_MINIMUMS.map((m) => `${m.memoryKiB} KiB x ${m.iterations}`).join(', ')})` });
  }
  if (durationMs(c.SESSION_IDLE_TIMEOUT) > durationMs(c.SESSION_MAX_AGE)) {
    ctx.addIssue({ code: 'custom', path: ['SESSION_IDLE_TIMEOUT'], message: 'a duration no longer than SESSION_MAX_AGE' });
  }
  if ((c.PAYLOAD_KEYS === undefined) !== (c.PAYLOAD_KEY_ID === undefined)) {
    const missing = c.PAYLOAD_KEYS === undefined ? 'PAYLOAD_KEYS' : 'PAYLOAD_KEY_ID';
    ctx.addIssue({ code: 'custom', path: [missing], message: 'to be set as well: PAYLOAD_KEYS holds the keys, PAYLOAD_KEY_ID names the one that encrypts' });
  } else if (c.PAYLOAD_KEYS !== undefined) {
    try {
      parsePayloadKeys(c.PAYLOAD_KEYS, c.PAYLOAD_KEY_ID!);
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['PAYLOAD_KEYS'], message: (err as Error).message });
    }
  } else if (c.NODE_ENV === 'production') {
    // Without keys every payload would reach the Temporal server in clear: names, addresses, e-mail addresses.
    ctx.addIssue({ code: 'custom', path: ['PAYLOAD_KEYS'], message: 'payload encryption keys in production (NODE_ENV=production): without them '
      + 'workflow payloads reach the Temporal server in clear. Set PAYLOAD_KEYS=<id>:<openssl rand -base64 32> and PAYLOAD_KEY_ID=<id> (docs/privacy.md)' });
  }
  // A provider half-configured would fail on the first order, not at start-up: refuse it here. Stripe
  // without its webhook secret takes payments whose 3-D Secure outcome can never arrive (each one
  // waits out PAYMENT_ACTION_TIMEOUT and is voided), so its key and its webhook secret go together.
  if (c.IMAGE_STORAGE === 's3' && c.S3_BUCKET === undefined) {
    ctx.addIssue({ code: 'custom', path: ['S3_BUCKET'], message: 'to be set as well, because IMAGE_STORAGE is s3' });
  }
  const groups = [['S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'], ['STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET'], ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM_NUMBER'],
    ['SENDGRID_API_KEY', 'SENDGRID_FROM_EMAIL']] as const;
  for (const group of groups) {
    const set = group.filter((name) => c[name] !== undefined);
    if (set.length === 0 || set.length === group.length) continue;
    for (const name of group.filter((n) => c[n] === undefined)) {
      ctx.addIssue({ code: 'custom', path: [name], message: `to be set as well, because ${set.join(' and ')} ${set.length > 1 ? 'are' : 'is'} (set all of ${group.join(', ')}, or none)` });
    }
  }
  // Without Stripe the simulated provider takes the payments, and its public /simulated/payments/… route completes
  // any 3-D Secure: a production shop must say so on purpose.
  if (c.NODE_ENV === 'production' && !c.STRIPE_SECRET_KEY && !c.ALLOW_SIMULATED_PAYMENTS) {
    ctx.addIssue({ code: 'custom', path: ['STRIPE_SECRET_KEY'], message: 'a Stripe secret key in production (NODE_ENV=production): without one the '
      + 'simulated payment provider would take the orders, and anyone could complete its 3-D Secure step. Set STRIPE_SECRET_KEY and '
      + 'STRIPE_WEBHOOK_SECRET, or ALLOW_SIMULATED_PAYMENTS=true for a demo or a trial that takes no real money' });
  }
  // The development key is public (it is in this repository): a production shop's order tokens need a key of its own.
  if (c.NODE_ENV === 'production' && !c.ORDER_TOKEN_KEY) {
    ctx.addIssue({ code: 'custom', path: ['ORDER_TOKEN_KEY'], message: 'a secret of at least 32 characters in production (NODE_ENV=production): order access '
      + 'tokens are derived with it, and without it they would be derived with the development key anyone can read. Generate one with '
      + '`openssl rand -base64 48`, and give every API replica the same' });
  }
});

/** Variables no longer read: set, they stop the process with what replaced them, rather than being ignored. */
const RETIRED: Record<string, string> = {
  STAFF_TOKEN_SHA256: 'staff now use personal API keys with roles (docs/support.md#staff-accounts-and-keys): '
    + 'make the first admin with `npm run staff -- bootstrap <name>`, then remove STAFF_TOKEN_SHA256',
};

export type Config = z.infer<typeof schema>;

/** What each variable expects, in the words the error message uses (zod's own wording is the fallback). */
const EXPECTED: Partial<Record<keyof Config, string>> = {
  NODE_ENV: 'one of development, production, test',
  PORT: 'a port number from 0 to 65535',
  LOG_LEVEL: 'one of fatal, error, warn, info, debug, trace, silent',
  DATABASE_URL: 'a PostgreSQL URL such as postgres://user:password@host:5432/db',
  DATABASE_POOL_MAX: 'a whole number from 1 to 200',
  TEMPORAL_ADDRESS: 'host:port of a Temporal frontend, such as temporal:7233',
  TRUST_PROXY_HOPS: 'the number of proxies in front of the API, from 0 to 10',
  ALLOW_SIMULATED_PAYMENTS: 'true or false',
  SIMULATED_PAYMENT_LATENCY: 'a duration such as 0ms, 500ms or 2s',
  METRICS_TOKEN_SHA256: 'comma-separated lowercase hex SHA-256 digests (64 characters each)',
  ORDER_TOKEN_KEY: 'a secret of at least 32 characters (e.g. openssl rand -base64 48)',
  ORDER_TOKEN_PREVIOUS_KEYS: 'comma-separated earlier ORDER_TOKEN_KEY values, each at least 32 characters',
  PAYMENT_ACTION_TIMEOUT: 'a duration such as 15m, 24h or 7d',
  PUBLIC_BASE_URL: 'an absolute URL such as https://shop.example.com',
  API_DRAIN_DELAY: 'a duration such as 0s, 5s or 500ms',
  WORKER_SHUTDOWN_GRACE: 'a duration such as 10s or 1m',
  WORKER_MAX_CACHED_WORKFLOWS: 'a whole number of workflows from 0 (no cache) to 100000, such as 300',
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: 'a whole number from 2 to 1000, such as 40',
  WORKER_MAX_CONCURRENT_ACTIVITIES: 'a whole number from 1 to 1000, such as 50',
  WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: 'a whole number from 1 to 1000, such as 50',
  WORKER_METRICS_PORT: 'a port number from 0 to 65535',
  OTEL_EXPORTER_OTLP_ENDPOINT: 'the base URL of an OTLP/HTTP collector, such as http://otel-collector:4318',
  CARRIER_WEBHOOK_SECRET: 'the secret shared with the carrier for signing webhooks, at least 16 characters',
  TRACKING_POLL_EVERY: 'a duration such as 6 hours or 30m',
  TRACKING_STALL_AFTER: 'a duration such as 5 days or 72h',
  AFTER_SALES_WINDOW: 'a duration such as 30 days or 2 weeks',
  STRIPE_SECRET_KEY: 'a Stripe secret key (sk_test_…, sk_live_… or a restricted rk_…)',
  STRIPE_WEBHOOK_SECRET: "the webhook endpoint's signing secret (whsec_…)",
  STRIPE_API_BASE: 'the base URL of a server speaking Stripe\'s API, such as http://127.0.0.1:12111 (stripe-mock)',
  STRIPE_RETURN_URL: 'an absolute URL such as https://shop.example.com/shop/orders/{orderId}',
  STRIPE_PUBLISHABLE_KEY: 'a Stripe publishable key (pk_test_… or pk_live_…)',
  TWILIO_API_BASE: 'the base URL of a server speaking Twilio\'s API',
  SENDGRID_API_BASE: 'the base URL of a server speaking SendGrid\'s API',
  NOTIFICATIONS_PER_SECOND: 'a positive number of messages per second, such as 10',
  FULFILLMENT_AUTO_PACK: 'true (pack at once: the simulated warehouse) or false (wait for the warehouse)',
  ARGON2_MEMORY_KIB: 'a whole number of KiB from 7168 to 4194304, such as 65536',
  ARGON2_ITERATIONS: 'a whole number from 1 to 100, such as 3',
  ARGON2_PARALLELISM: 'a whole number from 1 to 16, such as 1',
  SESSION_IDLE_TIMEOUT: 'a duration such as 30m, 24h or 7d',
  SESSION_MAX_AGE: 'a duration such as 24h or 30d',
  PASSWORD_RESET_LINK_TTL: 'a duration such as 15m or 1h',
  EMAIL_VERIFICATION_LINK_TTL: 'a duration such as 24h or 7d',
  STOREFRONT_URL: 'an absolute URL such as https://shop.example.com',
  IMAGE_STORAGE: 'local (a directory, served by the API) or s3 (an S3-compatible bucket)',
  IMAGE_PUBLIC_BASE_URL: 'the absolute URL images are read from, such as https://cdn.example.com/catalog',
  IMAGE_MAX_BYTES: 'a size in bytes from 1024 to 104857600',
  SEARCH_CARDS_KEPT: 'a whole number of product cards from 0 (none kept) to 1000000, such as 20000',
  IMAGE_ORPHAN_GRACE: 'a duration such as 24h or 7d',
  IMAGE_SWEEP_EVERY: 'a duration such as 1h or 30m',
  IMPORT_MAX_BYTES: 'a size in bytes from 1024 to 4294967296',
  S3_ENDPOINT: 'the URL of an S3-compatible service, such as http://minio:9000 (leave unset for AWS)',
  PAYLOAD_KEYS: 'id:base64key entries separated by commas, each key 32 bytes (openssl rand -base64 32)',
  PAYLOAD_KEY_ID: 'the id of one of the PAYLOAD_KEYS, the one that encrypts',
  CODEC_CORS_ORIGINS: 'the Temporal UI\'s origin(s), comma-separated, such as https://temporal.example.com',
  WEBHOOK_PAYLOAD_RETENTION: 'a duration such as 30d or 720h',
  DELIVERY_REPORT_RETENTION: 'a duration such as 30d or 720h',
  RETENTION_SWEEP_EVERY: 'a duration such as 1h or 1d',
  S3_FORCE_PATH_STYLE: 'true (bucket in the path: MinIO and most self-hosted services) or false (bucket in the host name)',
};

/** Values of these are never echoed back in an error message: they may hold credentials. */
const SECRET = /URL|KEY|SECRET|TOKEN|PASSWORD|SHA256|ENDPOINT/;

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty value (`PORT=` in an env file, a blank compose variable) means "not set": the default applies.
  const given = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const result = schema.safeParse(given);
  const retired = Object.keys(RETIRED).filter((name) => given[name] !== undefined).map((name) => `  ${name}: no longer read; ${RETIRED[name]}`);
  if (result.success && retired.length === 0) return result.data;
  const lines = (result.success ? [] : result.error.issues).map((issue) => {
    const name = String(issue.path[0]) as keyof Config;
    const value = given[name];
    const got = value === undefined ? '' : SECRET.test(name) ? ' (value not shown)' : `, got "${value}"`;
    // A missing partner of a provider's credentials says which one it goes with; other issues say what the variable expects.
    const expected = issue.code === 'custom' ? issue.message : EXPECTED[name] ?? (name.startsWith('RATE_LIMIT_') ? 'N/window such as 20/10m, or off' : issue.message);
    return `  ${name}: expected ${expected}${got}`;
  }).concat(retired);
  throw new ConfigError(`Invalid configuration; fix these environment variables:\n${lines.join('\n')}`);
}

/**
 * For the production entry points: reads the configuration once, and on a bad or missing value
 * prints one message naming the variables and exits 1 (no stack trace: nothing is broken but the setting).
 */
export function loadConfigOrExit(role: string, required: readonly ('DATABASE_URL' | 'TEMPORAL_ADDRESS')[]): Config {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    process.exit(1);
  }
  const missing = required.filter((name) => !config[name]);
  if (missing.length > 0) {
    const examples = { DATABASE_URL: 'PostgreSQL (DATABASE_URL=postgres://user:password@host:5432/db)', TEMPORAL_ADDRESS: 'a Temporal frontend (TEMPORAL_ADDRESS=host:7233)' };
    console.error(`${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set: the ${role} needs ` +
      `${missing.map((name) => examples[name]).join(' and ')}. To run everything locally on embedded servers, use \`npm run dev\`.`);
    process.exit(1);
  }
  return config;
}

/** Parses '15m', '24h', '7d' into milliseconds. */
export function durationMs(value: string): number {
  const match = /^(\d+)\s*(ms|s|m|h|d)$/.exec(value);
  if (!match) throw new ConfigError(`Not a duration: ${value}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

/** A rate limit's setting ('20/10m') as points and seconds; undefined for 'off'. */
export function parseRateLimit(value: string): { points: number; windowSeconds: number } | undefined {
  if (value === 'off') return undefined;
  const [points, window] = value.split('/');
  return { points: Number(points), windowSeconds: durationMs(window) / 1000 };
}
