import { SearchBox } from './search-box';
import { cartCount, currency, session, useObservable } from '../state';

export function Header() {
  const count = useObservable(cartCount);
  const user = useObservable(session);
  const shown = useObservable(currency);
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
        <SearchBox />
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
