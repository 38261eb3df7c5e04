/**
 * What the storefront remembers in the browser: the session (its token, as sign-in returned it),
 * the cart's id, the display currency, and the access token of each order placed as a guest. Each
 * is a small observable kept in localStorage, so a reload or a second tab sees the same.
 */
import { useEffect, useState } from 'preact/hooks';

export interface Observable<T> {
  readonly value: T;
  set(value: T): void;
  subscribe(listener: (value: T) => void): () => void;
}

function stored<T>(key: string, initial: T): Observable<T> {
  const listeners = new Set<(value: T) => void>();
  const read = (): T => {
    try {
      const raw = localStorage.getItem(key);
      return raw === null ? initial : (JSON.parse(raw) as T);
    } catch {
      return initial;
    }
  };
  let value = read();
  const notify = () => { for (const l of listeners) l(value); };
  // Another tab signed in, out, or changed the cart.
  addEventListener('storage', (e) => { if (e.key === key) { value = read(); notify(); } });
  return {
    get value() { return value; },
    set(next: T) {
      value = next;
      if (next === undefined || next === null) localStorage.removeItem(key);
      else localStorage.setItem(key, JSON.stringify(next));
      notify();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

export interface Session { token: string; email: string; name: string }

export const session = stored<Session | undefined>('shop.session', undefined);
export const cartId = stored<string | undefined>('shop.cart', undefined);
export const currency = stored<string>('shop.currency', 'USD');
/** The access token of each order this browser placed as a guest (or opened through its link), by order id. */
export const orderTokens = stored<Record<string, string>>('shop.orderTokens', {});
/** How many items the cart holds, for the header's badge (set whenever a cart answer arrives). */
export const cartCount = stored<number>('shop.cartCount', 0);

export function useObservable<T>(o: Observable<T>): T {
  const [value, setValue] = useState(o.value);
  useEffect(() => {
    setValue(o.value);
    return o.subscribe(setValue);
  }, [o]);
  return value;
}

export function rememberOrderToken(orderId: string, token: string): void {
  orderTokens.set({ ...orderTokens.value, [orderId]: token });
}
