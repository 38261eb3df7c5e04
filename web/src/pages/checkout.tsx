/**
 * Checkout: who (an e-mail address, or the signed-in account), where to (a saved address or a new
 * one), and how to pay (the simulated provider's test cards, or Stripe Elements), then one
 * POST /carts/:id/checkout under an Idempotency-Key kept for the attempt: a retry after a lost
 * answer continues the same order, never a second one. A declined card says why and keeps the cart.
 */
import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, ApiError, call, type Address, type Cart } from '../api/client';
import { loadCart } from '../cart';
import { AddressFields, emptyAddress } from '../components/address';
import { Breakdown } from '../components/breakdown';
import { ErrorNote, Loading, Price } from '../components/bits';
import { PaymentPicker } from '../components/payment';
import { useData, useTitle } from '../components/use-data';
import { cartCount, cartId, rememberOrderToken, session, useObservable } from '../state';

const DECLINES: Record<string, string> = {
  card_declined: 'the bank declined the card', generic_decline: 'the bank declined the card', insufficient_funds: 'the card has insufficient funds',
  authentication_failed: 'the bank could not confirm it was you', expired_card: 'the card has expired',
};

/** One key per attempt at paying for this cart: kept across a retry, replaced after a decline (the next try is a new order). */
function attemptKey(cart: string): string {
  const name = `shop.checkout.${cart}`;
  let key = sessionStorage.getItem(name);
  if (!key) sessionStorage.setItem(name, (key = crypto.randomUUID()));
  return key;
}
const newAttempt = (cart: string) => sessionStorage.removeItem(`shop.checkout.${cart}`);

export function Checkout() {
  useTitle('Checkout');
  const cart = useData(() => loadCart(), []);
  if (cart.loading && !cart.data) return <section><h1>Checkout</h1><Loading what="your cart" /></section>;
  if (!cart.data || cart.data.lines.length === 0) return <section><h1>Checkout</h1><ErrorNote error={cart.error} /><p>Your cart is empty. <a href="/shop/search">Keep shopping</a>.</p></section>;
  return <CheckoutForm cart={cart.data} />;
}

function CheckoutForm({ cart }: { cart: Cart }) {
  const user = useObservable(session);
  const { route } = useLocation();
  const saved = useData(() => (user ? call(api.GET('/me/addresses')) : Promise.resolve({ items: [] })), [user?.token]);
  const [email, setEmail] = useState('');
  const [addressId, setAddressId] = useState<string | 'new' | undefined>();
  const [address, setAddress] = useState<Address>(emptyAddress());
  const [paymentMethod, setPaymentMethod] = useState<(() => Promise<string>) | undefined>();
  const [state, setState] = useState<{ busy?: boolean; error?: unknown }>({});
  const savedList = saved.data?.items ?? [];
  const chosen = addressId ?? savedList.find((a) => a.isDefault)?.id ?? (savedList.length ? savedList[0].id : 'new');

  const place = async (e: Event) => {
    e.preventDefault();
    if (!paymentMethod) return setState({ error: new Error('Choose how to pay.') });
    setState({ busy: true });
    try {
      const method = await paymentMethod();
      const body = {
        ...(user ? {} : { email }), paymentMethod: method,
        ...(chosen === 'new' ? { shippingAddress: address } : { shippingAddressId: chosen }),
      };
      const placed = await call(api.POST('/carts/{id}/checkout', { params: { path: { id: cart.id }, header: { 'Idempotency-Key': attemptKey(cart.id) } }, body }));
      rememberOrderToken(placed.orderId, placed.accessToken);
      const { status, nextAction, declineCode } = placed.payment;
      if (status === 'declined' || status === 'failed') {
        newAttempt(cart.id);
        const why = declineCode ? DECLINES[declineCode] ?? declineCode.replace(/_/g, ' ') : 'the payment did not go through';
        throw new ApiError(`Your card was declined: ${why}. Nothing was charged and your cart is kept: choose another card.`, 'payment_declined', 402);
      }
      newAttempt(cart.id);
      cartId.set(undefined);
      cartCount.set(0);
      if (status === 'requires_action' && nextAction) {
        // The simulated provider's challenge is a page of this shop; a real bank's page is elsewhere and returns to the order page.
        const simulated = /\/simulated\/payments\/(pi_[A-Za-z0-9_]+)\/authenticate$/.exec(new URL(nextAction.url, location.origin).pathname);
        if (simulated) return route(`/shop/checkout/authenticate/${simulated[1]}?order=${placed.orderId}`);
        location.assign(nextAction.url);
        return;
      }
      route(`/shop/orders/${placed.orderId}`);
    } catch (error) {
      setState({ error });
    }
  };

  return (
    <form class="checkout" onSubmit={place} aria-busy={state.busy}>
      <h1>Checkout</h1>
      <div class="checkout-columns">
        <div>
          <fieldset>
            <legend>Contact</legend>
            {user ? <p>Signed in as {user.email}.</p> : (
              <>
                <label for="checkout-email">E-mail (for the confirmation and your order's link)
                  <input id="checkout-email" type="email" name="email" required autocomplete="email" value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
                </label>
                <p class="muted">Have an account? <a href="/shop/account/sign-in?next=/shop/checkout">Sign in</a> to use your saved addresses.</p>
              </>
            )}
          </fieldset>
          <fieldset>
            <legend>Delivery address</legend>
            {savedList.map((a) => (
              <label key={a.id} class="choice">
                <input type="radio" name="address" checked={chosen === a.id} onChange={() => setAddressId(a.id)} />
                {a.name}, {a.line1}, {a.city} {a.postalCode}, {a.country}
              </label>
            ))}
            {savedList.length ? <label class="choice"><input type="radio" name="address" checked={chosen === 'new'} onChange={() => setAddressId('new')} /> A new address</label> : null}
            {chosen === 'new' ? <AddressFields value={address} onChange={setAddress} idPrefix="shipping" /> : null}
          </fieldset>
          <PaymentPicker onChange={(pick) => setPaymentMethod(() => pick)} />
        </div>
        <aside aria-labelledby="summary-heading" class="summary">
          <h2 id="summary-heading">Your order</h2>
          <ul class="lines">
            {cart.lines.map((l) => <li key={l.sku} class="line"><span>{l.quantity} × {l.productTitle} ({l.title})</span><Price money={l.lineTotal} /></li>)}
          </ul>
          <Breakdown cart={cart} />
          <ErrorNote error={state.error} />
          <button type="submit" class="button primary wide" disabled={state.busy}>{state.busy ? 'Placing your order…' : 'Place order'}</button>
        </aside>
      </div>
    </form>
  );
}
