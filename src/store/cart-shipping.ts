/**
 * Where a cart ships and how: its address (which decides its shipping options and taxes) and its
 * chosen method. A change of address keeps the method only if it still serves the new address;
 * a method is chosen only if it can ship the cart as it is (its zone, its currency, its weight).
 * Every change locks the cart row first, like every cart write (src/store/carts.ts).
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { DomainError, ErrorCode } from '../domain/errors';
import { formatMoney } from '../domain/money';
import type { ShippingAddress } from '../domain/order';
import { shippingCharge, type ShippingBasis } from '../domain/shipping';
import { sqlRows, sqlTransaction, statement, type Sql } from '../db/sql';
import { savedShippingAddressIn } from './addresses';
import { cartViewIn, loadCartView, touchWritableCart, type CartView } from './carts';

/** The address, and the method only while it still serves it; the placeholders of the address (twice) and the cart id, in that order. */
export const setAddressSql = (address: string, cartId: string) => `
  update carts c set shipping_address = ${address}::jsonb,
         shipping_method_id = (select m.id from shipping_methods m join shipping_zones z on z.id = m.zone_id
                                where m.id = c.shipping_method_id and m.active and shipping_zone_serves(z.countries, z.regions, z.postal_prefixes, ${address}::jsonb))
   where c.id = ${cartId}`;
const SET_ADDRESS = statement('cart_set_shipping_address', setAddressSql('$2', '$1'));

/** Where the cart ships: an address typed in, or (signed in) the id of one of the customer's saved addresses, copied as it is now. */
export type CartAddressInput = { address: ShippingAddress } | { addressId: string };

export async function setCartShippingAddress(em: EntityManager, cartId: string, input: CartAddressInput, customerId: string | null): Promise<CartView> {
  return sqlTransaction(em, async (sql) => {
    await touchWritableCart(sql, cartId, customerId);
    let address: ShippingAddress;
    if ('addressId' in input) {
      if (!customerId) {
        throw new DomainError(ErrorCode.ValidationFailed, 'Invalid body: addressId: a saved address can be used only when signed in; send the address instead.',
          { in: 'body', issues: [{ path: 'addressId', message: 'a saved address can be used only when signed in', code: 'invalid_type' }] });
      }
      address = await savedShippingAddressIn(sql, customerId, input.addressId);
    } else {
      address = input.address;
    }
    await writeShippingAddress(sql, cartId, address);
    return cartViewIn(sql, cartId, customerId);
  });
}

export async function writeShippingAddress(sql: Sql, cartId: string, address: ShippingAddress): Promise<void> {
  await sql.rows(SET_ADDRESS, [cartId, JSON.stringify(address)]);
}

export interface ShippingOption {
  id: string; name: string; carrier: string; minDays: number | null; maxDays: number | null;
  price: { amount: number; currency: string; formatted: string };
  selected: boolean;
}

interface OptionRow { id: string; name: string; carrier: string; min_days: number | null; max_days: number | null; basis: ShippingBasis;
  bands: { from: number; amount: number }[]; free_above: string | null; subtotal: string; weight: string }

/** The methods whose zones serve the cart's address and that can ship it in its currency, cheapest first, with their prices. */
export async function shippingOptionsOfCart(em: EntityManager, cartId: string, customerId: string | null)
  : Promise<{ cart: CartView; options: ShippingOption[] }> {
  const cart = await loadCartView(em, cartId, customerId);
  if (!cart.shippingAddress) throw addressRequired(cartId);
  const rows = await sqlRows<OptionRow>(em, SHIPPING_OPTIONS, [cartId]);
  const options: ShippingOption[] = [];
  for (const r of rows) {
    const amount = shippingCharge({ basis: r.basis, bands: r.bands, freeAbove: r.free_above === null ? null : Number(r.free_above) },
      { subtotal: Number(r.subtotal), weightGrams: Number(r.weight) });
    if (amount === undefined) continue;
    options.push({ id: r.id, name: r.name, carrier: r.carrier, minDays: r.min_days, maxDays: r.max_days,
      price: { amount, currency: cart.currency, formatted: formatMoney({ amount, currency: cart.currency }) },
      selected: cart.shippingMethod?.id === r.id });
  }
  return { cart, options: options.sort((a, b) => a.price.amount - b.price.amount) };
}

/** Every active method serving the cart's address, its bands in the cart's currency, and the cart's subtotal and weight (of its lines for sale). */
const SHIPPING_OPTIONS = statement('cart_shipping_options', `
  with facts as (
    select coalesce(sum(vp.amount * l.quantity), 0) as subtotal, coalesce(sum(coalesce(v.weight_grams, 0) * l.quantity), 0) as weight
      from cart_lines l join carts c on c.id = l.cart_id join variants v on v.sku = l.sku
      join products p on p.id = v.product_id and p.status = 'published'
      join variant_prices vp on vp.variant_id = v.id and vp.currency = c.currency
     where l.cart_id = $1)
  select m.id, m.name, m.carrier, m.min_days, m.max_days, m.basis, f.subtotal as free_above, facts.subtotal, facts.weight,
         coalesce((select json_agg(json_build_object('from', r.from_value, 'amount', r.amount)) from shipping_rates r
                    where r.method_id = m.id and r.currency = c.currency), '[]'::json) as bands
    from carts c cross join facts
    join shipping_zones z on shipping_zone_serves(z.countries, z.regions, z.postal_prefixes, c.shipping_address)
    join shipping_methods m on m.zone_id = z.id and m.active
    left join shipping_free_thresholds f on f.method_id = m.id and f.currency = c.currency
   where c.id = $1
   order by m.position, m.name, m.id`);

/** Chooses a method; refused unless it serves the cart's address and can ship it as it is. */
export async function chooseShippingMethod(em: EntityManager, cartId: string, methodId: string, customerId: string | null): Promise<CartView> {
  return sqlTransaction(em, async (sql) => {
    await touchWritableCart(sql, cartId, customerId);
    const [method] = await sql.rows<{ id: string }>('select id from shipping_methods where id = $1', [methodId]);
    if (!method) throw new DomainError(ErrorCode.ShippingMethodNotFound, `Shipping method ${methodId} does not exist.`, { id: methodId });
    await sql.rows('update carts set shipping_method_id = $2 where id = $1', [cartId, methodId]);
    const cart = await cartViewIn(sql, cartId, customerId);
    if (!cart.shippingAddress) throw addressRequired(cartId);
    if (!cart.shippingMethod?.available) throw methodUnavailable(cartId, methodId);
    return cart;
  });
}

export const addressRequired = (cartId: string) => new DomainError(ErrorCode.ShippingAddressRequired,
  `Cart ${cartId} has no shipping address yet: set it first (PUT /carts/${cartId}/shipping-address), then see its shipping options.`, { cartId });

export const methodUnavailable = (cartId: string, methodId: string) => new DomainError(ErrorCode.ShippingMethodUnavailable,
  `Shipping method ${methodId} cannot ship cart ${cartId} to its address in its currency (or at its weight); `
  + `choose one of GET /carts/${cartId}/shipping-options.`, { cartId, methodId });
