/** Serves the Koa app over HTTP and stops it without cutting a request in half. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type Koa from 'koa';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type { Config } from '../config';
import type { PaymentProvider } from '../integrations/payments';
import { SimulatedPaymentProvider } from '../integrations/simulated/payments';
import type { Logger } from '../logger';
import { ErrorCode } from '../domain/errors';
import { accountSettings } from '../accounts/settings';
import { buildApp } from './app';
import { createImageStorage, defaultImageDir, type ImageStorageSettings } from '../integrations/image-storage';
import { parseDigests } from './access';
import { limitSettingsFromConfig } from './rate-limits';
import { parseOrigins } from './routes/codec';
import { orderTokensFromConfig } from '../auth/order-tokens';
import { OrderEventHub } from './order-event-hub';
import { defaultStorefrontDir } from './storefront';
import { warmSearchCopy } from '../store/search';

export interface ApiServer {
  url: string;
  close(): Promise<void>;
}

export interface ApiDeps {
  config: Pick<Config, 'HOST' | 'PORT' | 'METRICS_TOKEN_SHA256' | 'TEMPORAL_TASK_QUEUE' | 'PAYMENT_ACTION_TIMEOUT' | 'TRUST_PROXY_HOPS'
    | Extract<keyof Config, `RATE_LIMIT_${string}`>
    | 'FULFILLMENT_AUTO_PACK' | 'TRACKING_POLL_EVERY' | 'TRACKING_STALL_AFTER' | 'AFTER_SALES_WINDOW'
    | 'CARRIER_WEBHOOK_SECRET' | 'STRIPE_WEBHOOK_SECRET' | 'TWILIO_AUTH_TOKEN' | 'PUBLIC_BASE_URL' | 'IMAGE_MAX_BYTES' | 'IMPORT_MAX_BYTES' | 'SEARCH_CARDS_KEPT' | ImageStorageSettings
    | 'ARGON2_MEMORY_KIB' | 'ARGON2_ITERATIONS' | 'ARGON2_PARALLELISM' | 'SESSION_IDLE_TIMEOUT' | 'SESSION_MAX_AGE'
    | 'PASSWORD_RESET_LINK_TTL' | 'EMAIL_VERIFICATION_LINK_TTL' | 'STOREFRONT_URL' | 'ORDER_TOKEN_KEY' | 'ORDER_TOKEN_PREVIOUS_KEYS' | 'CODEC_CORS_ORIGINS'
    | 'STOREFRONT_DIR' | 'STRIPE_PUBLISHABLE_KEY'>;
  orm: MikroORM;
  temporal: { client?: Client; ping(): Promise<void>; payloadCodec?: PayloadCodec };
  logger: Logger;
  /** The payment provider the workers use; when it is the simulated one, its 3-D Secure page is served too. */
  payments?: PaymentProvider;
  /**
   * On close, how long /readyz answers 503 while the listener still serves, so a load balancer
   * polling it stops sending traffic here before the port closes (API_DRAIN_DELAY; 0 in dev).
   */
  drainDelayMs?: number;
}

/** Thrown when the port is taken, so callers can say which variable moves it instead of printing a stack. */
export class PortInUseError extends Error {
  constructor(readonly port: number, readonly host: string) {
    super(`Port ${port} on ${host} is already in use: stop whatever is listening there, or set PORT to another port.`);
  }
}

// A keep-alive client that never goes idle must not hold a deploy or Ctrl-C hostage: after this
// long the remaining connections are cut. The slowest request is a checkout waiting on Temporal
// (TEMPORAL_ANSWER_DEADLINE_MS, 15 s in src/api/routes/checkout.ts); 20 s lets it answer.
const IN_FLIGHT_GRACE_MS = 20_000;

export async function startApi({ config, orm, temporal, logger, payments, drainDelayMs = 0 }: ApiDeps): Promise<ApiServer> {
  let shuttingDown = false;
  const orderEvents = new OrderEventHub(orm, logger);
  const app = buildApp({
    orm, temporal, logger, payloadCodec: temporal.payloadCodec, codecCorsOrigins: parseOrigins(config.CODEC_CORS_ORIGINS),
    metricsTokenDigests: parseDigests(config.METRICS_TOKEN_SHA256),
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    paymentActionTimeout: config.PAYMENT_ACTION_TIMEOUT,
    fulfillment: { autoPack: config.FULFILLMENT_AUTO_PACK, trackingPollEvery: config.TRACKING_POLL_EVERY, trackingStallAfter: config.TRACKING_STALL_AFTER,
      afterSalesWindow: config.AFTER_SALES_WINDOW },
    simulatedPayments: payments instanceof SimulatedPaymentProvider ? payments : undefined,
    carrierWebhookSecret: config.CARRIER_WEBHOOK_SECRET, stripeWebhookSecret: config.STRIPE_WEBHOOK_SECRET,
    twilioAuthToken: config.TWILIO_AUTH_TOKEN, publicBaseUrl: config.PUBLIC_BASE_URL,
    images: createImageStorage(config, defaultImageDir()), imageMaxBytes: config.IMAGE_MAX_BYTES, importMaxBytes: config.IMPORT_MAX_BYTES,
    searchCardsKept: config.SEARCH_CARDS_KEPT,
    rateLimits: limitSettingsFromConfig(config), trustProxyHops: config.TRUST_PROXY_HOPS, orderTokens: orderTokensFromConfig(config),
    isShuttingDown: () => shuttingDown,
    accounts: accountSettings(config), orderEvents,
    storefrontDir: config.STOREFRONT_DIR ?? defaultStorefrontDir(), stripePublishableKey: config.STRIPE_PUBLISHABLE_KEY,
  });
  const server = createHttpServer(app);
  // While draining, every answer asks the client to reconnect, which a load balancer sends elsewhere.
  server.on('request', (_req, res) => { if (shuttingDown) res.setHeader('Connection', 'close'); });
  await listen(server, config.PORT, config.HOST);
  const { port } = server.address() as AddressInfo;
  const url = `http://${urlHost(config.HOST)}:${port}`;
  logger.info({ url }, 'API listening');
  warmSearch(orm, logger);

  let closing: Promise<void> | undefined;
  return {
    url,
    close: () => {
      closing ??= (async () => {
        // Readiness flips first, so a load balancer polling /readyz on a kept-alive connection drains us.
        shuttingDown = true;
        if (drainDelayMs > 0) {
          logger.info({ drainDelayMs }, 'API draining: /readyz answers 503 while requests are still served');
          await new Promise((resolve) => setTimeout(resolve, drainDelayMs));
        }
        // Live order pages hold their streams open: end them, and their browsers reconnect to another replica.
        await orderEvents.close();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        logger.info('API listener closed: no new connections; finishing the requests in flight');
        const timer = setTimeout(() => {
          logger.warn({ afterMs: IN_FLIGHT_GRACE_MS }, 'API: cutting connections still open after the grace period');
          server.closeAllConnections();
        }, IN_FLIGHT_GRACE_MS);
        await closed.finally(() => clearTimeout(timer));
        logger.info('API stopped');
      })();
      return closing;
    },
  };
}

/** Loads the catalog search copy now rather than on the first search; /readyz reports ready once it is in. */
function warmSearch(orm: MikroORM, logger: Logger): void {
  const started = Date.now();
  warmSearchCopy(orm.em.fork()).then(
    (products) => logger.info({ products, ms: Date.now() - started }, 'Catalog search copy loaded'),
    (err: unknown) => logger.warn({ err }, 'The catalog search copy could not be loaded at start; the next readiness probe or search tries again'),
  );
}

/**
 * The app's HTTP server. Node answers what never reaches Koa itself: a request it cannot parse (a NUL
 * or another control character in a header or the target, a malformed request line, an unknown
 * method) and CONNECT. Those answers get the one error shape too (400, 431 for headers too large,
 * 405 for CONNECT), instead of an empty plain 400 or a dropped connection.
 */
export function createHttpServer(app: Koa): Server {
  const server = createServer(app.callback());
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
    answerRaw(socket, tooLarge ? 431 : 400, tooLarge ? 'Request Header Fields Too Large' : 'Bad Request', tooLarge
      ? { code: ErrorCode.ValidationFailed, message: 'The request\'s headers are too large; nothing was done.', details: { in: 'headers' } }
      : { code: ErrorCode.ValidationFailed, message: `The request is not valid HTTP (${err.code ?? 'unparseable'}): a header or the request line holds a `
        + 'character HTTP does not allow (such as NUL), or the method is unknown. Nothing was done.', details: { in: 'request', reason: err.code ?? null } });
  });
  server.on('connect', (_req, socket: Socket) => {
    answerRaw(socket, 405, 'Method Not Allowed', { code: ErrorCode.MethodNotAllowed, message: 'CONNECT is not allowed: this is an API, not a proxy.',
      details: { allow: '' } }, { Allow: '' });
  });
  return server;
}

function answerRaw(socket: Socket, status: number, reason: string, error: { code: ErrorCode; message: string; details: Record<string, unknown> },
  headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ error });
  const head = [`HTTP/1.1 ${status} ${reason}`, 'Content-Type: application/json; charset=utf-8', `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE' ? new PortInUseError(port, host) : err);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** A wildcard bind is not an address a browser can open; print loopback instead. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
