/** The shopper's cart: made on the first "add to cart", reached by its id (kept in this browser), priced by the server. */
import { api, ApiError, call, type Cart } from './api/client';
import { cartCount, cartId, currency } from './state';

/**
 * Keeps the cart's id while it can still be bought: active, or checking out (an order for it is
 * being placed; a declined or cancelled one opens it again). Checked out, expired or merged into an
 * account's cart, it is forgotten.
 */
function remember(cart: Cart): Cart {
  const open = cart.status === 'active' || cart.status === 'checking_out';
  cartId.set(open ? cart.id : undefined);
  cartCount.set(open ? cart.itemCount : 0);
  if (open && cart.itemCount > 0) currency.set(cart.currency);
  return cart;
}

/** The open cart, or undefined when there is none (never made, checked out, expired or merged into an account's). */
export async function loadCart(): Promise<Cart | undefined> {
  const id = cartId.value;
  if (!id) return undefined;
  try {
    const cart = remember(await call(api.GET('/carts/{id}', { params: { path: { id } } })));
    return cartId.value ? cart : undefined;
  } catch (err) {
    // Another account's cart, or one deleted after its retention: start afresh.
    if (err instanceof ApiError && err.status === 404) {
      cartId.set(undefined);
      cartCount.set(0);
      return undefined;
    }
    throw err;
  }
}

async function openCart(): Promise<Cart> {
  const existing = await loadCart();
  if (existing) return existing;
  return remember(await call(api.POST('/carts', { body: { currency: currency.value } })));
}

export async function addToCart(sku: string, quantity: number): Promise<Cart> {
  const cart = await openCart();
  return remember(await call(api.POST('/carts/{id}/items', { params: { path: { id: cart.id } }, body: { sku, quantity } })));
}

export async function setQuantity(id: string, sku: string, quantity: number): Promise<Cart> {
  return remember(await call(api.PATCH('/carts/{id}/items/{sku}', { params: { path: { id, sku } }, body: { quantity } })));
}

export async function removeLine(id: string, sku: string): Promise<Cart> {
  return remember(await call(api.DELETE('/carts/{id}/items/{sku}', { params: { path: { id, sku } } })));
}

export { remember as rememberCart };
