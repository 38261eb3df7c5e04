/**
 * Checkout: who (an e-mail address, or the signed-in account), where to (a saved address or a new
 * one: it becomes the cart's, which decides the delivery options and the taxes), how it is
 * delivered (the options the cart's address allows, with their prices), promotion codes, the full
 * breakdown as the server prices it, and how to pay (the simulated provider's test cards, or
 * Stripe Elements). Then one POST /carts/:id/checkout under an Idempotency-Key kept for the
 * attempt: a retry after a lost answer continues the same order, never a second one. A declined
 * card says why and keeps the cart.
 */
import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, ApiError, call, type Address, type Cart } from '../api/client';
import { loadCart, rememberCart } from '../cart';
import { AddressFields, emptyAddress } from '../components/address';
import { Breakdown } from '../components/breakdown';
import { ErrorNote, Loading, Price } from '../components/bits';
import { PaymentPicker } from '../components/payment';
import { PromotionCodes, ShippingOptions } from '../components/shipping';
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
  const loaded = useData(() => loadCart(), []);
  if (loaded.loading && !loaded.data) return <section><h1>Checkout</h1><Loading what="your cart" /></section>;
  if (!loaded.data || loaded.data.lines.length === 0) return <section><h1>Checkout</h1><ErrorNote error={loaded.error} /><p>Your cart is empty. <a href="/shop/search">Keep shopping</a>.</p></section>;
  return <CheckoutForm initial={loaded.data} />;
}

function CheckoutForm({ initial }: { initial: Cart }) {
  const user = useObservable(session);
  const { route } = useLocation();
  const [cart, setCart] = useState(initial);
  const [email, setEmail] = useState('');
  const [paymentMethod, setPaymentMethod] = useState<(() => Promise<string>) | undefined>();
  const [state, setState] = useState<{ busy?: boolean; error?: unknown }>({});

  const place = async (e: Event) => {
    e.preventDefault();
    if (!paymentMethod) return setState({ error: new Error('Choose how to pay.') });
    setState({ busy: true });
    try {
      const method = await paymentMethod();
      const placed = await call(api.POST('/carts/{id}/checkout', { params: { path: { id: cart.id }, header: { 'Idempotency-Key': attemptKey(cart.id) } },
        body: { ...(user ? {} : { email }), paymentMethod: method } }));
      if (placed.accessToken) rememberOrderToken(placed.orderId, placed.accessToken);
      const { status, nextAction, declineCode } = placed.payment;
      if (status === 'declined' || status === 'failed') {
        newAttempt(cart.id);
        const why = declineCode ? DECLINES[declineCode] ?? declineCode.replace(/_/g, ' ') : 'the payment did not go through';
        throw new ApiError(`Your card was declined: ${why}. Nothing was charged and your cart is kept: choose another card.`, 'payment_declined', 402);
      }
      // The order failed before its payment (a code used up meanwhile, stock gone): the cart is open again.
      if (placed.failure) {
        newAttempt(cart.id);
        throw new ApiError(`${placed.failure.message} Your cart is kept.`, placed.failure.code, 409);
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
      // The cart stays as shown: after a decline the order's rollback opens it again a moment later (not read now, when it may still be closed).
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
          <DeliveryAddress cart={cart} onCart={setCart} signedIn={!!user} />
          <ShippingOptions cart={cart} onCart={setCart} />
          <PaymentPicker onChange={(pick) => setPaymentMethod(() => pick)} />
        </div>
        <aside aria-labelledby="summary-heading" class="summary">
          <h2 id="summary-heading">Your order</h2>
          <ul class="lines">
            {cart.lines.map((l) => <li key={l.sku} class="line"><span>{l.quantity} × {l.productTitle} ({l.title})</span><Price money={l.lineTotal} /></li>)}
          </ul>
          <PromotionCodes cart={cart} onCart={setCart} />
          <Breakdown pricing={cart.pricing} itemCount={cart.itemCount} />
          <ErrorNote error={state.error} />
          <button type="submit" class="button primary wide" disabled={state.busy || !cart.shippingAddress}>
            {state.busy ? 'Placing your order…' : `Place order · ${cart.pricing.total.formatted}`}</button>
          {!cart.shippingAddress ? <p class="muted">Enter the delivery address first.</p> : null}
        </aside>
      </div>
    </form>
  );
}

/** Where the cart ships: a saved address (signed in) or a new one; either becomes the cart's address. */
function DeliveryAddress({ cart, onCart, signedIn }: { cart: Cart; onCart: (c: Cart) => void; signedIn: boolean }) {
  const saved = useData(() => (signedIn ? call(api.GET('/me/addresses')) : Promise.resolve({ items: [] })), [signedIn]);
  const [editing, setEditing] = useState(!cart.shippingAddress);
  const [draft, setDraft] = useState<Address>(cart.shippingAddress ?? emptyAddress());
  const [state, setState] = useState<{ busy?: boolean; error?: unknown }>({});
  const use = async (body: Address | { addressId: string }) => {
    setState({ busy: true });
    try {
      onCart(rememberCart(await call(api.PUT('/carts/{id}/shipping-address', { params: { path: { id: cart.id } }, body }))));
      setEditing(false);
      setState({});
    } catch (error) {
      setState({ error });
    }
  };
  const a = cart.shippingAddress;
  return (
    <fieldset>
      <legend>Delivery address</legend>
      {a && !editing ? (
        <p><address class="inline">{a.name}, {a.line1}{a.line2 ? `, ${a.line2}` : ''}, {a.city} {a.postalCode}, {a.country}</address>{' '}
          <button type="button" class="link" onClick={() => setEditing(true)}>Change<span class="visually-hidden"> the delivery address</span></button></p>
      ) : (
        <>
          {(saved.data?.items ?? []).map((s) => (
            <p key={s.id}><button type="button" class="button" disabled={state.busy} onClick={() => use({ addressId: s.id })}>
              Deliver to {s.name}, {s.line1}, {s.city}</button></p>
          ))}
          <AddressFields value={draft} onChange={setDraft} idPrefix="shipping" />
          <button type="button" class="button" disabled={state.busy} onClick={() => use(draft)}>Use this address</button>
        </>
      )}
      <ErrorNote error={state.error ?? saved.error} />
    </fieldset>
  );
}
