/** Checkout's pricing steps on the cart: where it ships (decides the options and taxes), how, and promotion codes. */
import { useState } from 'preact/hooks';
import { api, call, type Cart } from '../api/client';
import { rememberCart } from '../cart';
import { ErrorNote, Loading, Price } from './bits';
import { useData } from './use-data';

export function ShippingOptions({ cart, onCart }: { cart: Cart; onCart: (c: Cart) => void }) {
  const options = useData(() => (cart.shippingAddress ? call(api.GET('/carts/{id}/shipping-options', { params: { path: { id: cart.id } } }))
    : Promise.resolve(undefined)), [cart.id, JSON.stringify(cart.shippingAddress), cart.itemCount]);
  const [error, setError] = useState<unknown>();
  if (!cart.shippingAddress) return <p class="muted">Enter the address to see how it can be delivered.</p>;
  if (options.loading && !options.data) return <Loading what="delivery options" />;
  const choose = async (methodId: string) => {
    setError(undefined);
    try {
      onCart(rememberCart(await call(api.PUT('/carts/{id}/shipping-method', { params: { path: { id: cart.id } }, body: { methodId } }))));
    } catch (err) {
      setError(err);
    }
  };
  return (
    <fieldset>
      <legend>Delivery</legend>
      <ErrorNote error={options.error ?? error} />
      {options.data?.options.length === 0 ? <p class="muted">No delivery option is offered for this address.</p> : null}
      {options.data?.options.map((o) => (
        <label key={o.id} class="choice">
          <input type="radio" name="shipping" checked={cart.shippingMethod?.id === o.id} onChange={() => choose(o.id)} />
          <span><strong>{o.name}</strong> <Price money={o.price} />
            {o.minDays !== null ? <span class="muted"> · {o.minDays === o.maxDays ? `${o.minDays}` : `${o.minDays}–${o.maxDays}`} days</span> : null}</span>
        </label>
      ))}
    </fieldset>
  );
}

export function PromotionCodes({ cart, onCart }: { cart: Cart; onCart: (c: Cart) => void }) {
  const [code, setCode] = useState('');
  const [state, setState] = useState<{ busy?: boolean; error?: unknown }>({});
  const apply = async (e: Event) => {
    e.preventDefault();
    setState({ busy: true });
    try {
      onCart(rememberCart(await call(api.POST('/carts/{id}/promotions', { params: { path: { id: cart.id } }, body: { code: code.trim() } }))));
      setCode('');
      setState({});
    } catch (error) {
      setState({ error });
    }
  };
  const remove = async (c: string) => {
    try {
      onCart(rememberCart(await call(api.DELETE('/carts/{id}/promotions/{code}', { params: { path: { id: cart.id, code: c } } }))));
    } catch (error) {
      setState({ error });
    }
  };
  return (
    <div class="promotions">
      <ul>
        {cart.promotions.map((p) => (
          <li key={p.code}>{p.code}: {p.name}{p.applied ? '' : <span class="error"> (not applied: {p.reason?.replace(/_/g, ' ')})</span>}
            <button type="button" class="link" onClick={() => remove(p.code)}>Remove<span class="visually-hidden"> the code {p.code}</span></button></li>
        ))}
      </ul>
      <div class="promo-row">
        <label>Promotion code <input name="promotion-code" value={code} onInput={(e) => setCode(e.currentTarget.value)} autocomplete="off" /></label>
        <button type="button" class="button" disabled={state.busy || !code.trim()} onClick={apply}>Apply</button>
      </div>
      <ErrorNote error={state.error} />
    </div>
  );
}
