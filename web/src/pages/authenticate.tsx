/**
 * The simulated provider's 3-D Secure challenge, standing in for the bank's page: the shopper
 * confirms (or refuses) the payment, the API tells the payment workflow, and the order page shows
 * what follows. Left alone, the payment times out (PAYMENT_ACTION_TIMEOUT) and the order says so.
 */
import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, bearer, call } from '../api/client';
import { ErrorNote, Price } from '../components/bits';
import { useData, useTitle } from '../components/use-data';
import { orderTokens, session, useObservable } from '../state';

export function Authenticate({ intentId }: { intentId: string }) {
  useTitle('Confirm your payment');
  const { query, route } = useLocation();
  const orderId = query.order ?? '';
  const token = useObservable(orderTokens)[orderId] ?? session.value?.token;
  const order = useData(() => (orderId ? call(api.GET('/orders/{id}', { params: { path: { id: orderId } }, headers: bearer(token) })) : Promise.resolve(undefined)), [orderId]);
  const [state, setState] = useState<{ busy?: boolean; error?: unknown }>({});
  const answer = async (outcome: 'succeeded' | 'failed') => {
    setState({ busy: true });
    try {
      await call(api.POST('/simulated/payments/{intentId}/authenticate', { params: { path: { intentId } }, body: { outcome } }));
      route(`/shop/orders/${orderId}`);
    } catch (error) {
      setState({ error });
    }
  };
  return (
    <section class="narrow bank">
      <h1>Confirm your payment</h1>
      <p class="muted">Simulated bank · 3-D Secure</p>
      <p>Your bank asks you to confirm a payment of {order.data ? <strong><Price money={order.data.total} /></strong> : 'your order'} to Temporal Commerce.</p>
      <p class="muted">In a real shop this is your bank's page, with a code sent to your phone or a tap in your bank's app. Here you choose what the bank is told.</p>
      <div class="actions">
        <button type="button" class="button primary" disabled={state.busy} onClick={() => answer('succeeded')}>Confirm payment</button>
        <button type="button" class="button" disabled={state.busy} onClick={() => answer('failed')}>Refuse</button>
      </div>
      <ErrorNote error={state.error} />
      {orderId ? <p><a href={`/shop/orders/${orderId}`}>See the order</a></p> : null}
    </section>
  );
}
