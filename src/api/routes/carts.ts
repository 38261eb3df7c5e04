/**
 * Carts. A guest's cart is reached by its id alone (keep it private); a cart made while signed in,
 * or brought into an account at sign-in, only with that customer's session: to anyone else it does
 * not exist (404, nothing written).
 */
import { z } from 'zod';
import { addItem, createCart, loadCartView, removeItem, setItemQuantity } from '../../store/carts';
import { customerIdOf } from '../access';
import { route } from '../http';
import { cartId, cartView, currency, quantity, sku } from '../schemas';
import { emOf } from '../context';
import type { AppDeps } from '../deps';
import { clientIp, limited } from '../rate-limits';

const cartParams = z.strictObject({ id: cartId });
const lineParams = z.strictObject({ id: cartId, sku });
const cartResponse = { 200: { description: 'The cart, priced by the server', schema: cartView }, 404: { description: 'No such cart (cart_not_found)' } };
/** What a change to the cart's lines may be refused with. */
const lineRefusals = {
  409: { description: 'The cart can no longer change (cart_not_active, cart_expired), or not that much is in stock (insufficient_stock)' },
  422: { description: 'The SKU is unknown, no longer for sale or has no price in the cart\'s currency (unknown_sku, product_unavailable, '
    + 'no_price_in_currency), or the cart would hold too much (cart_too_large)' },
};

/** Carts are public: the id is the key. Creating one counts against the cartCreation limit of the client's address. */
export const cartRoutes = (deps: Pick<AppDeps, 'limits'>) => [
  route({
    method: 'post', path: '/carts', tag: 'carts', access: 'shopper',
    // Per address, and per customer when signed in (RATE_LIMIT_CARTS_PER_IP, RATE_LIMIT_CARTS_PER_CUSTOMER).
    before: [limited(deps.limits, 'cartCreation', async (ctx) => ({ ip: clientIp(ctx), customer: (await customerIdOf(ctx)) ?? undefined }))],
    summary: 'Start a cart: signed in, it is the customer\'s; as a guest, its id is the only key to it, so keep it private',
    body: z.strictObject({ currency: currency.default('USD') }).optional().default({ currency: 'USD' }),
    responses: { 201: { description: 'The new, empty cart', schema: cartView }, 429: { description: 'Too many new carts from this address or customer; see Retry-After' } },
    handler: async (ctx, { body }) => {
      const cart = await createCart(emOf(ctx), body.currency, await customerIdOf(ctx));
      ctx.status = 201;
      ctx.set('Location', `/carts/${cart.id}`);
      ctx.body = cart;
    },
  }),
  route({
    method: 'get', path: '/carts/:id', tag: 'carts', access: 'shopper',
    summary: 'A cart with current prices and availability',
    params: cartParams,
    responses: cartResponse,
    handler: async (ctx, { params }) => {
      ctx.body = await loadCartView(emOf(ctx), params.id, await customerIdOf(ctx));
    },
  }),
  route({
    method: 'post', path: '/carts/:id/items', tag: 'carts', access: 'shopper',
    summary: 'Add a quantity of a SKU (added to what the cart already holds)',
    params: cartParams,
    body: z.strictObject({ sku, quantity }),
    responses: { ...cartResponse, ...lineRefusals },
    handler: async (ctx, { params, body }) => {
      ctx.body = await addItem(emOf(ctx), params.id, body.sku, body.quantity, await customerIdOf(ctx));
    },
  }),
  route({
    method: 'patch', path: '/carts/:id/items/:sku', tag: 'carts', access: 'shopper',
    summary: 'Set the quantity of a line (use DELETE to remove it)',
    params: lineParams,
    body: z.strictObject({ quantity }),
    responses: { ...cartResponse, ...lineRefusals, 404: { description: 'No such cart, or no such line in it (cart_not_found, line_not_found)' } },
    handler: async (ctx, { params, body }) => {
      ctx.body = await setItemQuantity(emOf(ctx), params.id, params.sku, body.quantity, await customerIdOf(ctx));
    },
  }),
  route({
    method: 'delete', path: '/carts/:id/items/:sku', tag: 'carts', access: 'shopper',
    summary: 'Remove a line from the cart',
    params: lineParams,
    responses: { ...cartResponse, 404: { description: 'No such cart, or no such line in it (cart_not_found, line_not_found)' },
      409: { description: 'The cart can no longer change (cart_not_active, cart_expired)' } },
    handler: async (ctx, { params }) => {
      ctx.body = await removeItem(emOf(ctx), params.id, params.sku, await customerIdOf(ctx));
    },
  }),
];
