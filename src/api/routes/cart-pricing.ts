/**
 * What the cart will cost before checkout: where it ships (its address decides its shipping
 * options and taxes), how (a shipping method), and the promotion codes it carries. Each answers
 * the cart priced in full (its `pricing`), like every cart write.
 */
import { z } from 'zod';
import { chooseShippingMethod, setCartShippingAddress, shippingOptionsOfCart } from '../../store/cart-shipping';
import { applyPromotionCode, removePromotionCode } from '../../store/promotions';
import { customerIdOf } from '../access';
import { emOf } from '../context';
import { route } from '../http';
import { cartId, cartView, moneyView, shippingAddress } from '../schemas';

const cartParams = z.strictObject({ id: cartId });
const code = z.string().trim().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{1,39}$/, 'a promotion code such as WELCOME10').meta({ example: 'WELCOME10' });
const priced = { description: 'The cart, priced in full', schema: cartView };
const cartMissing = { 404: { description: 'No such cart, or another customer\'s (cart_not_found)' } };
const savedAddress = z.strictObject({ addressId: z.uuid('an address id from GET /me/addresses')
  .meta({ description: 'One of the signed-in customer\'s saved addresses (GET /me/addresses), copied onto the cart as it is now.' }) })
  .meta({ id: 'SavedAddressRef' });
const cartClosed = { 409: { description: 'The cart is checked out or expired (cart_not_active, cart_expired)' } };

const shippingOption = z.object({
  id: z.uuid(), name: z.string(), carrier: z.string(),
  minDays: z.number().int().nullable(), maxDays: z.number().int().nullable().meta({ description: 'Delivery estimate in days.' }),
  price: moneyView.meta({ description: 'What the method charges this cart (before any free-shipping promotion).' }),
  selected: z.boolean(),
}).meta({ id: 'ShippingOption' });

export const cartPricingRoutes = () => [
  route({
    method: 'put', path: '/carts/:id/shipping-address', tag: 'carts', access: 'shopper',
    summary: 'Set where the cart ships to (an address, or signed in a saved one by id): it decides the shipping options and the taxes; '
      + 'a chosen method that does not serve it is dropped, one that does is priced anew',
    params: cartParams, body: z.union([shippingAddress, savedAddress]),
    responses: { 200: priced, 400: { description: 'Invalid address, or addressId sent without a session (validation_failed)' },
      404: { description: 'No such cart, or another customer\'s (cart_not_found); no such saved address of the customer (address_not_found)' }, ...cartClosed },
    handler: async (ctx, { params, body }) => {
      ctx.body = await setCartShippingAddress(emOf(ctx), params.id, 'addressId' in body ? { addressId: body.addressId } : { address: body },
        await customerIdOf(ctx));
    },
  }),
  route({
    method: 'get', path: '/carts/:id/shipping-options', tag: 'carts', access: 'shopper',
    summary: 'The shipping methods that can ship the cart to its address, cheapest first, with their prices',
    params: cartParams,
    responses: { 200: { description: 'The options', schema: z.object({ options: z.array(shippingOption) }) }, ...cartMissing,
      422: { description: 'The cart has no shipping address yet (shipping_address_required)' } },
    handler: async (ctx, { params }) => {
      ctx.body = { options: (await shippingOptionsOfCart(emOf(ctx), params.id, await customerIdOf(ctx))).options };
    },
  }),
  route({
    method: 'put', path: '/carts/:id/shipping-method', tag: 'carts', access: 'shopper',
    summary: 'Choose one of the cart\'s shipping options',
    params: cartParams, body: z.strictObject({ methodId: z.uuid() }),
    responses: { 200: priced, 404: { description: 'No such cart or method (cart_not_found, shipping_method_not_found)' },
      409: { description: 'The method cannot ship this cart (shipping_method_unavailable), or the cart is closed' },
      422: { description: 'The cart has no shipping address yet (shipping_address_required)' } },
    handler: async (ctx, { params, body }) => {
      ctx.body = await chooseShippingMethod(emOf(ctx), params.id, body.methodId, await customerIdOf(ctx));
    },
  }),
  route({
    method: 'post', path: '/carts/:id/promotions', tag: 'carts', access: 'shopper',
    summary: 'Apply a promotion code; refused, with the reason as the error code, unless the cart gets its discount',
    params: cartParams, body: z.strictObject({ code }),
    responses: { 200: priced, ...cartMissing,
      409: { description: 'Its uses are all taken (promotion_limit_reached), it cannot be combined with a code already applied (promotion_not_combinable), or the cart is closed' },
      422: { description: 'Unknown (promotion_code_unknown), not started (promotion_not_started), expired (promotion_expired), minimum subtotal not met '
        + '(promotion_minimum_not_met), or nothing in the cart it applies to (promotion_not_applicable)' } },
    handler: async (ctx, { params, body }) => {
      ctx.body = await applyPromotionCode(emOf(ctx), params.id, body.code, await customerIdOf(ctx));
    },
  }),
  route({
    method: 'delete', path: '/carts/:id/promotions/:code', tag: 'carts', access: 'shopper',
    summary: 'Remove a promotion code from the cart',
    params: z.strictObject({ id: cartId, code }),
    responses: { 200: priced, 404: { description: 'No such cart, or the cart holds no such code (promotion_not_in_cart)' }, ...cartClosed },
    handler: async (ctx, { params }) => {
      ctx.body = await removePromotionCode(emOf(ctx), params.id, params.code, await customerIdOf(ctx));
    },
  }),
];
