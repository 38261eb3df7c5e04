/**
 * Serves the storefront (the Vite build of web/, `npm run build:web`) at /shop, from the API's own
 * origin: its pages call the public REST API beside it. Hashed assets (/shop/assets/…) never change
 * under their name, so browsers and CDNs keep them for a year; index.html is revalidated on every
 * load (ETag), so a new build reaches everyone at once. Any other path under /shop is a page of the
 * app (a product, an order…): it gets index.html, and the app's router shows the page, so URLs are
 * shareable and the back button works. `/` redirects to /shop/.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Middleware } from 'koa';
import type { Logger } from '../logger';

export const STOREFRONT_PATH = '/shop';

/**
 * Where `npm run build:web` writes the build: web/dist beside the package.json this code belongs
 * to (the checkout's, or the image's /app, where the compiled code runs from /app/dist).
 */
export function defaultStorefrontDir(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'web', 'dist');
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.webp': 'image/webp',
  '.woff2': 'font/woff2', '.txt': 'text/plain; charset=utf-8', '.map': 'application/json',
};
const IMMUTABLE = 'public, max-age=31536000, immutable';
/**
 * The storefront's own scripts and the API beside them; Stripe.js (js.stripe.com) and its frames when
 * Stripe is the payment provider; images from anywhere over HTTPS (catalog images may live on a CDN).
 */
const CSP = ["default-src 'self'", "script-src 'self' https://js.stripe.com", "frame-src https://js.stripe.com https://hooks.stripe.com",
  "connect-src 'self' https://api.stripe.com", "img-src 'self' data: https:", "style-src 'self' 'unsafe-inline'", "base-uri 'self'",
  "form-action 'self'", "frame-ancestors 'none'"].join('; ');

interface Asset { body: Buffer; gzip?: Buffer; type: string; etag: string; cache: string }

/** Reads the build into memory once (a few hundred kB): each request is a map lookup. */
export function loadStorefront(dir: string): Map<string, Asset> | undefined {
  if (!existsSync(join(dir, 'index.html'))) return undefined;
  const assets = new Map<string, Asset>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      if (name.startsWith('.')) continue; // the build's manifest and sources digest are not for browsers
      const file = join(d, name);
      if (statSync(file).isDirectory()) { walk(file); continue; }
      const path = `/${relative(dir, file).split(sep).join('/')}`;
      const body = readFileSync(file);
      const type = TYPES[extname(file)] ?? 'application/octet-stream';
      const compressible = /^(text\/|application\/json|image\/svg)/.test(type) && body.length > 1024;
      assets.set(path, { body, type, gzip: compressible ? gzipSync(body, { level: 9 }) : undefined,
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
        cache: path.startsWith('/assets/') ? IMMUTABLE : 'no-cache' });
    }
  };
  walk(dir);
  return assets;
}

export function storefront(dir: string, log: Logger): Middleware {
  const assets = loadStorefront(dir);
  if (!assets) log.warn({ dir }, 'the storefront is not built: /shop answers 503 until `npm run build:web` (STOREFRONT_DIR)');
  return async (ctx, next) => {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return next();
    if (ctx.path === '/') return ctx.redirect(`${STOREFRONT_PATH}/`);
    if (ctx.path === STOREFRONT_PATH) return ctx.redirect(`${STOREFRONT_PATH}/`);
    if (!ctx.path.startsWith(`${STOREFRONT_PATH}/`)) return next();
    if (!assets) {
      ctx.status = 503;
      ctx.type = 'text/plain';
      ctx.body = 'The storefront is not built. Run `npm run build:web` (npm run dev does it when web/ changed).';
      return;
    }
    const path = ctx.path.slice(STOREFRONT_PATH.length);
    const asset = assets.get(path) ?? (path.startsWith('/assets/') || extname(path) ? undefined : assets.get('/index.html'));
    if (!asset) return next();
    ctx.set('Cache-Control', asset.cache);
    ctx.set('ETag', asset.etag);
    ctx.set('X-Content-Type-Options', 'nosniff');
    if (asset.type.startsWith('text/html')) ctx.set('Content-Security-Policy', CSP);
    if (asset.gzip) ctx.vary('Accept-Encoding');
    ctx.type = asset.type;
    if (ctx.get('If-None-Match') === asset.etag) {
      ctx.status = 304;
      return;
    }
    if (asset.gzip && ctx.acceptsEncodings('gzip', 'identity') === 'gzip') {
      ctx.set('Content-Encoding', 'gzip');
      ctx.body = asset.gzip;
    } else {
      ctx.body = asset.body;
    }
  };
}
