/**
 * What a shipping method charges a cart: pure, from the method's rates in the cart's currency.
 * A rate is a list of bands, each applying from its `from` value (grams of the cart's weight, or
 * minor units of its subtotal; a flat rate is one band from 0) up to the next band's; a method
 * with no band reaching the cart's value, or no rate in its currency, cannot ship it. At or above
 * the free-shipping threshold (on the subtotal before discounts) it ships for nothing.
 */
export type ShippingBasis = 'flat' | 'weight' | 'subtotal';
export const SHIPPING_BASES: readonly ShippingBasis[] = ['flat', 'weight', 'subtotal'];

export interface ShippingRate {
  basis: ShippingBasis;
  /** In the cart's currency, sorted or not; empty: the method has no rate in it. */
  bands: readonly { from: number; amount: number }[];
  freeAbove: number | null;
}

/** The charge in minor units, or undefined when the method cannot ship this cart in its currency. */
export function shippingCharge(rate: ShippingRate, cart: { subtotal: number; weightGrams: number }): number | undefined {
  const value = rate.basis === 'weight' ? cart.weightGrams : rate.basis === 'subtotal' ? cart.subtotal : 0;
  const band = [...rate.bands].sort((a, b) => b.from - a.from).find((b) => b.from <= value);
  if (!band) return undefined;
  if (rate.freeAbove !== null && cart.subtotal >= rate.freeAbove) return 0;
  return band.amount;
}
