/** What the API is built from (buildApp in src/api/app.ts); src/api/main.ts wires the real ones, tests their own. */
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type { Logger } from '../logger';
import type { SimulatedPaymentProvider } from '../integrations/simulated/payments';
import type { AccountSettings } from '../accounts/settings';
import type { ImageStorage } from '../integrations/image-storage';
import type { LimitSettings, RateLimits } from './rate-limits';
import type { OrderTokens } from '../auth/order-tokens';
import type { OrderEventHub } from './order-event-hub';

export interface AppDeps {
  orm: MikroORM;
  temporal: { client?: Client; ping(): Promise<void> };
  /** The payload codec the clients and workers use (src/temporal/codec.ts), served at /codec for the Temporal UI; none: encryption off. */
  payloadCodec?: PayloadCodec;
  /** Browser origins allowed to call /codec (CODEC_CORS_ORIGINS): the Temporal UI's. */
  codecCorsOrigins?: readonly string[];
  /** SHA-256 digests of the tokens a metrics scraper may send (METRICS_TOKEN_SHA256); none: /metrics is open. */
  metricsTokenDigests?: string[];
  logger: Logger;
  /** The task queue the checkout workflow is started on (TEMPORAL_TASK_QUEUE); workers poll the same one. */
  taskQueue: string;
  /** How long a customer has for 3-D Secure before the payment is voided, e.g. '15 minutes' (PAYMENT_ACTION_TIMEOUT). */
  paymentActionTimeout: string;
  /** How orders are fulfilled, tracked and kept open afterwards (FULFILLMENT_AUTO_PACK, TRACKING_POLL_EVERY, TRACKING_STALL_AFTER, AFTER_SALES_WINDOW). */
  fulfillment?: { autoPack: boolean; trackingPollEvery: string; trackingStallAfter: string; afterSalesWindow?: string };
  /** Set when the simulated payment provider is in use: mounts its 3-D Secure completion route. */
  simulatedPayments?: SimulatedPaymentProvider;
  /** Shared secret of the carrier's signed webhooks (CARRIER_WEBHOOK_SECRET); without it POST /webhooks/carrier answers 503. */
  carrierWebhookSecret?: string;
  /** Stripe's webhook signing secret (STRIPE_WEBHOOK_SECRET); without it POST /webhooks/stripe answers 503. */
  stripeWebhookSecret?: string;
  /** Twilio's auth token (TWILIO_AUTH_TOKEN), which signs its delivery reports; without it POST /webhooks/twilio answers 503. */
  twilioAuthToken?: string;
  /** This API's URL as the world sees it (PUBLIC_BASE_URL): Twilio signs the URL it called. */
  publicBaseUrl?: string;
  /** Where uploaded product images are stored (IMAGE_STORAGE); without it, uploads answer 503 and image paths point at /media/. */
  images?: ImageStorage;
  /** The largest image upload accepted, in bytes (IMAGE_MAX_BYTES). */
  imageMaxBytes?: number;
  /** Search pages' cards each process keeps as JSON (SEARCH_CARDS_KEPT; src/domain/search-cards.ts); unset: DEFAULT_CARDS_KEPT. */
  searchCardsKept?: number;
  /** The largest catalog import file accepted, in bytes (IMPORT_MAX_BYTES). */
  importMaxBytes?: number;
  /** The abuse limits (src/api/rate-limits.ts); buildApp makes them from `rateLimits` (none given: no limits). */
  limits: RateLimits;
  /** How many proxies in front of the API append to X-Forwarded-For (TRUST_PROXY_HOPS); 0: the peer's address is the client's. */
  trustProxyHops?: number;
  /** Derives and checks order access tokens (ORDER_TOKEN_KEY, src/auth/order-tokens.ts). */
  orderTokens: OrderTokens;
  /** Told when a route answers a status its OpenAPI document does not list (tests collect them and fail); default: an error log line. */
  onUndeclaredStatus?: (route: string, status: number) => void;
  /** True once a SIGTERM arrived: /readyz answers not-ready so the load balancer drains this replica. */
  isShuttingDown?: () => boolean;
  /** Customer accounts: password cost, session lifetimes, e-mailed links (ARGON2_*, SESSION_*, *_LINK_TTL, STOREFRONT_URL). */
  accounts: AccountSettings;
  /** Pushes orders' timelines to the pages following them (GET /orders/:id/events); its owner closes it (startApi does). */
  orderEvents: OrderEventHub;
  /** The built storefront served at /shop (STOREFRONT_DIR); none: not served (tests of the API alone). */
  storefrontDir?: string;
  /** Stripe's publishable key (STRIPE_PUBLISHABLE_KEY), handed to the storefront for Stripe Elements. */
  stripePublishableKey?: string;
}

/**
 * Defaults for what older callers may leave out (the order tokens: the development key); the limits come as settings
 * (RATE_LIMIT_*), made into counters by buildApp.
 */
export type AppOptions = Omit<AppDeps, 'taskQueue' | 'paymentActionTimeout' | 'limits' | 'orderTokens' | 'accounts' | 'orderEvents'>
  & Partial<Pick<AppDeps, 'taskQueue' | 'paymentActionTimeout' | 'orderTokens' | 'accounts' | 'orderEvents'>>
  & { rateLimits?: LimitSettings };
