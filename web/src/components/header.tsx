import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { cartCount, currency, session, useObservable } from '../state';

export function Header() {
  const count = useObservable(cartCount);
  const user = useObservable(session);
  const shown = useObservable(currency);
  const { route, query, path } = useLocation();
  const [q, setQ] = useState(path === '/shop/search' ? query.q ?? '' : '');
  return (
    <header class="header">
      <div class="header-row">
        <a class="brand" href="/shop/">Temporal <span>Commerce</span></a>
        <nav aria-label="Account and cart" class="header-links">
          {user ? <a href="/shop/account">{user.name || 'Account'}</a> : <a href="/shop/account/sign-in">Sign in</a>}
          <a href="/shop/cart" class="cart-link">Cart <span class="badge" aria-label={`${count} items`}>{count}</span></a>
        </nav>
      </div>
      <div class="header-row">
        <form role="search" class="search-form" onSubmit={(e) => { e.preventDefault(); route(`/shop/search?q=${encodeURIComponent(q.trim())}`); }}>
          <label for="site-search" class="visually-hidden">Search the shop</label>
          <input id="site-search" type="search" name="q" placeholder="Search: merino, linen, scarf…" value={q}
            onInput={(e) => setQ(e.currentTarget.value)} autocomplete="off" />
          <button type="submit">Search</button>
        </form>
        <label class="currency">
          <span class="visually-hidden">Currency</span>
          <select value={shown} disabled={count > 0} title={count > 0 ? 'Your cart sets the currency' : undefined}
            onChange={(e) => currency.set(e.currentTarget.value)}>
            <option value="USD">USD $</option>
            <option value="EUR">EUR €</option>
          </select>
        </label>
      </div>
    </header>
  );
}
