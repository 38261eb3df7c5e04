import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, call } from '../api/client';
import { ErrorNote, Loading } from '../components/bits';
import { AddressFields, emptyAddress } from '../components/address';
import { useData, useTitle } from '../components/use-data';
import { cartCount, cartId, session, useObservable } from '../state';

export function AccountPage() {
  useTitle('Your account');
  const user = useObservable(session);
  const { route } = useLocation();
  const me = useData(() => (user ? call(api.GET('/me')) : Promise.resolve(undefined)), [user?.token]);
  if (!user) return <section><h1>Your account</h1><p><a href="/shop/account/sign-in">Sign in</a> or <a href="/shop/account/sign-up">create an account</a>.</p></section>;
  const signOut = async () => {
    await call(api.POST('/auth/sign-out', { body: {} })).catch(() => undefined);
    session.set(undefined);
    cartId.set(undefined);
    cartCount.set(0);
    route('/shop/');
  };
  return (
    <section>
      <h1>Your account</h1>
      {me.loading && !me.data ? <Loading what="your account" /> : null}
      <ErrorNote error={me.error} />
      {me.data ? <p>{me.data.name} · {me.data.email} {me.data.emailVerified ? '(confirmed)' : '(not confirmed yet: see the e-mail we sent)'}</p> : null}
      <p><a class="button" href="/shop/account/orders">Your orders</a> <button type="button" class="button" onClick={signOut}>Sign out</button></p>
      <Addresses />
    </section>
  );
}

function Addresses() {
  const list = useData(() => call(api.GET('/me/addresses')), []);
  const [draft, setDraft] = useState(emptyAddress());
  const [state, setState] = useState<{ busy?: boolean; error?: unknown }>({});
  const save = async (e: Event) => {
    e.preventDefault();
    setState({ busy: true });
    try {
      await call(api.POST('/me/addresses', { body: draft }));
      setDraft(emptyAddress());
      setState({});
      list.reload();
    } catch (error) {
      setState({ error });
    }
  };
  const remove = async (id: string) => {
    await call(api.DELETE('/me/addresses/{id}', { params: { path: { id } } })).then(list.reload, (error: unknown) => setState({ error }));
  };
  return (
    <section aria-labelledby="addresses-heading">
      <h2 id="addresses-heading">Saved addresses</h2>
      <ErrorNote error={list.error} />
      <ul class="addresses">
        {list.data?.items.map((a) => (
          <li key={a.id}>
            <address>{a.name}, {a.line1}{a.line2 ? `, ${a.line2}` : ''}, {a.city} {a.postalCode}, {a.country}</address>
            {a.isDefault ? <span class="badge">Default</span> : null}
            <button type="button" class="link" onClick={() => remove(a.id)}>Delete<span class="visually-hidden"> the address {a.line1}</span></button>
          </li>
        ))}
      </ul>
      <form class="form" onSubmit={save}>
        <fieldset><legend>Add an address</legend><AddressFields value={draft} onChange={setDraft} idPrefix="new-address" /></fieldset>
        <ErrorNote error={state.error} />
        <button type="submit" class="button" disabled={state.busy}>Save the address</button>
      </form>
    </section>
  );
}
