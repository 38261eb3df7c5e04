/** What the cart (or order) costs, line by line of the price: subtotal, discounts, shipping, tax, total. */
import type { Cart } from '../api/client';
import { Price } from './bits';

export function Breakdown({ cart }: { cart: Pick<Cart, 'subtotal' | 'itemCount'> }) {
  return (
    <dl class="breakdown">
      <dt>Subtotal ({cart.itemCount} {cart.itemCount === 1 ? 'item' : 'items'})</dt><dd><Price money={cart.subtotal} /></dd>
      <dt class="total">Total</dt><dd class="total"><Price money={cart.subtotal} /></dd>
    </dl>
  );
}
