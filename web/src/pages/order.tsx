/**
 * An order, for whoever placed it: a guest through its access link (/shop/orders/<id>#token=…, the
 * token kept in this browser), a customer through their session. Its timeline follows the order's
 * workflow live (GET /orders/:id/events); it can be cancelled until it is dispatched.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, bearer, call, type Order, type TimelineEvent } from '../api/client';
import { ErrorNote, Loading, Notice, Price } from '../components/bits';
import { statusWords, Timeline } from '../components/timeline';
import { Breakdown } from '../components/breakdown';
import { useTitle } from '../components/use-data';
import { followStream } from '../sse';
import { orderTokens, rememberOrderToken, session, useObservable } from '../state';

const CANCELLABLE = ['pending', 'awaiting_payment_action', 'payment_authorized', 'confirmed', 'awaiting_fulfillment'];

/** The access token of an order: from the link's fragment (then kept, and the fragment dropped from the address bar), or kept from before. */
function useOrderToken(id: string): string | undefined {
  const tokens = useObservable(orderTokens);
  const fromLink = new URLSearchParams(location.hash.slice(1)).get('token');
  useEffect(() => {
    if (fromLink) {
      rememberOrderToken(id, fromLink);
      history.replaceState(history.state, '', location.pathname + location.search);
    }
  }, [id, fromLink]);
  return fromLink ?? tokens[id];
}

export function OrderPage({ id }: { id: string }) {
  useTitle('Your order');
  const token = useOrderToken(id);
  const user = useObservable(session);
  const headers = bearer(token ?? user?.token);
  const [order, setOrder] = useState<Order | undefined>();
  const [error, setError] = useState<unknown>();
  const [events, setEvents] = useState<TimelineEvent[]>([]);
  const [stream, setStream] = useState('connecting');

  const load = () => call(api.GET('/orders/{id}', { params: { path: { id } }, headers })).then(setOrder, setError);
  useEffect(() => { void load(); }, [id, token, user?.token]);

  // The live timeline, each event appended once. The order itself is not read again as it moves: the events carry its
  // status, so an open page costs the server nothing between changes and one database read per change.
  useEffect(() => {
    setEvents([]);
    return followStream(`/orders/${id}/events`, headers, {
      onEvent: (data) => {
        const event = JSON.parse(data) as TimelineEvent;
        setEvents((list) => (list.some((e) => e.id === event.id) ? list : [...list, event]));
      },
      onState: setStream,
      onRefused: () => setStream('closed'),
    });
  }, [id, token, user?.token]);

  if (error && !order) {
    return <section><h1>Your order</h1><ErrorNote error={error} />
      {!token && !user ? <p>Open the link from your confirmation, or <a href={`/shop/account/sign-in?next=/shop/orders/${id}`}>sign in</a>.</p> : null}</section>;
  }
  if (!order) return <section><h1>Your order</h1><Loading what="your order" /></section>;
  const status = events.at(-1)?.orderStatus ?? order.status;
  return (
    <article class="order">
      <h1>Order {order.id.slice(0, 8)} <span class={`status status-${status}`}>{statusWords(status)}</span></h1>
      {token && !user ? <GuestLink id={order.id} token={token} /> : null}
      <div class="order-columns">
        <div>
          {order.live?.failure ? <p class="error" role="alert">{order.live.failure.message}</p> : null}
          {/* Above the timeline, which grows as events arrive: the button never moves under the pointer. */}
          {CANCELLABLE.includes(status) ? <CancelOrder id={order.id} headers={headers} onDone={load} /> : null}
          <Timeline events={events} state={stream} />
        </div>
        <div>
          <h2>What you ordered</h2>
          <ul class="lines">
            {order.lines.map((l) => <li key={l.sku} class="line"><span>{l.quantity} × {l.title}</span><Price money={l.lineTotal} /></li>)}
          </ul>
          <Breakdown pricing={order.pricing} itemCount={order.lines.reduce((n, l) => n + l.quantity, 0)} />
          <h2>Delivering to</h2>
          <address>{order.shippingAddress.name}<br />{order.shippingAddress.line1}<br />{order.shippingAddress.city} {order.shippingAddress.postalCode}<br />{order.shippingAddress.country}</address>
        </div>
      </div>
    </article>
  );
}

function GuestLink({ id, token }: { id: string; token: string }) {
  const link = `${location.origin}/shop/orders/${id}#token=${token}`;
  return <Notice>Keep this link to come back to your order from any device: <a href={link} class="break">{link}</a></Notice>;
}

function CancelOrder({ id, headers, onDone }: { id: string; headers: Record<string, string>; onDone: () => void }) {
  const [state, setState] = useState<{ busy?: boolean; error?: unknown; asking?: boolean }>({});
  const cancel = async () => {
    setState({ busy: true });
    try {
      await call(api.POST('/orders/{id}/cancel', { params: { path: { id } }, headers, body: { reason: 'Cancelled by the customer on the order page' } }));
      setState({});
      onDone();
    } catch (error) {
      setState({ error });
    }
  };
  return (
    <div class="cancel">
      {state.asking || state.busy ? (
        <p>Cancel this order? Your card is not charged, or is refunded. <button type="button" class="button danger" disabled={state.busy} onClick={cancel}>
          {state.busy ? 'Cancelling…' : 'Yes, cancel the order'}</button> <button type="button" class="button" onClick={() => setState({})}>Keep it</button></p>
      ) : <button type="button" class="button" onClick={() => setState({ asking: true })}>Cancel order</button>}
      <ErrorNote error={state.error} />
    </div>
  );
}
