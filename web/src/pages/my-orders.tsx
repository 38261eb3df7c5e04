import { useState } from 'preact/hooks';
import { api, call } from '../api/client';
import { ErrorNote, Loading, Price } from '../components/bits';
import { useData, useTitle } from '../components/use-data';
import { session, useObservable } from '../state';
import { statusWords } from '../components/timeline';

export function MyOrders() {
  useTitle('Your orders');
  const user = useObservable(session);
  const [cursor, setCursor] = useState<string | undefined>();
  const page = useData(() => (user ? call(api.GET('/me/orders', { params: { query: { limit: 10, cursor } } })) : Promise.resolve(undefined)), [user?.token, cursor]);
  if (!user) return <section><h1>Your orders</h1><p><a href="/shop/account/sign-in?next=/shop/account/orders">Sign in</a> to see your orders.</p></section>;
  return (
    <section>
      <h1>Your orders</h1>
      {page.loading && !page.data ? <Loading what="your orders" /> : null}
      <ErrorNote error={page.error} />
      {page.data && page.data.items.length === 0 ? <p>No orders yet. <a href="/shop/search">Start shopping</a>.</p> : null}
      <ul class="orders">
        {page.data?.items.map((o) => (
          <li key={o.id}>
            <a href={`/shop/orders/${o.id}`}>Order of {new Date(o.createdAt).toLocaleDateString()}</a>
            <span>{o.itemCount} {o.itemCount === 1 ? 'item' : 'items'}</span>
            <Price money={o.total} />
            <span class={`status status-${o.status}`}>{statusWords(o.status)}</span>
          </li>
        ))}
      </ul>
      {page.data?.nextCursor ? <button type="button" class="button" onClick={() => setCursor(page.data?.nextCursor ?? undefined)}>Older orders</button> : null}
    </section>
  );
}
