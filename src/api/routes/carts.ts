import { z } from 'zod';
import { addItem, createCart, loadCartView, removeItem, setItemQuantity } from '../../store/carts';
import { route } from '../http';
import { cartId, cartView, currency, quantity, sku } from '../schemas';
import { emOf } from '../context';
import type { AppDeps } from '../deps';
import { clientIp, limited } from '../rate-limits';

const cartParams = z.strictObject({ id: cartId });
const lineParams = z.strictObject({ id: cartId, sku });
const cartResponse = { 200: { description: 'The cart, priced by the server', schema: cartView } };

/** Carts are public: the id is the key. Creating one counts against the cartCreation limit of the client's address. */
export const cartRoutes = (deps: Pick<AppDeps, 'limits'>) => [
  route({
    method: 'post', path: '/carts', tag: 'carts', access: 'public',
    // Per address; the per-customer limit (RATE_LIMIT_CARTS_PER_CUSTOMER) takes the signed-in customer once requests carry one.
    before: [limited(deps.limits, 'cartCreation', async (ctx) => ({ ip: clientIp(ctx) }))],
    summary: 'Start a cart; its id is the only key to it, so keep it private',
    body: z.strictObject({ currency: currency.default('USD') }).optional().default({ currency: 'USD' }),
    responses: { 201: { description: 'The new, empty cart', schema: cartView }, 429: { description: 'Too many new carts from this address; see Retry-After' } },
    handler: async (ctx, { body }) => {
      const cart = await createCart(emOf(ctx), body.currency);
      ctx.status = 201;
      ctx.set('Location', `/carts/${cart.id}`);
      ctx.body = cart;
    },
  }),
  route({
    method: 'get', path: '/carts/:id', tag: 'carts', access: 'public',
    summary: 'A cart with current prices and availability',
    params: cartParams,
    responses: cartResponse,
    handler: async (ctx, { params }) => {
      ctx.body = await loadCartView(emOf(ctx), params.id);
    },
  }),
  route({
    method: 'post', path: '/carts/:id/items', tag: 'carts', access: 'public',
    summary: 'Add a quantity of a SKU (added to what the cart already holds)',
    params: cartParams,
    body: z.strictObject({ sku, quantity }),
    responses: cartResponse,
    handler: async (ctx, { params, body }) => {
      ctx.body = await addItem(emOf(ctx), params.id, body.sku, body.quantity);
    },
  }),
  route({
    method: 'patch', path: '/carts/:id/items/:sku', tag: 'carts', access: 'public',
    summary: 'Set the quantity of a line (use DELETE to remove it)',
    params: lineParams,
    body: z.strictObject({ quantity }),
    responses: cartResponse,
    handler: async (ctx, { params, body }) => {
      ctx.body = await setItemQuantity(emOf(ctx), params.id, params.sku, body.quantity);
    },
  }),
  route({
    method: 'delete', path: '/carts/:id/items/:sku', tag: 'carts', access: 'public',
    summary: 'Remove a line from the cart',
    params: lineParams,
    responses: cartResponse,
    handler: async (ctx, { params }) => {
      ctx.body = await removeItem(emOf(ctx), params.id, params.sku);
    },
  }),
];
