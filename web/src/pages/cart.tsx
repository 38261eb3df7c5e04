import { useState } from 'preact/hooks';
import type { Cart } from '../api/client';
import { loadCart, removeLine, setQuantity } from '../cart';
import { ErrorNote, Loading, Price } from '../components/bits';
import { useData, useTitle } from '../components/use-data';
import { Breakdown } from '../components/breakdown';

export function CartPage() {
  useTitle('Cart');
  const loaded = useData(() => loadCart(), []);
  const [cart, setCart] = useState<Cart | undefined>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState<string | undefined>();
  const current = cart ?? loaded.data;

  const change = async (sku: string, work: (id: string) => Promise<Cart>) => {
    if (!current) return;
    setBusy(sku);
    setError(undefined);
    try {
      setCart(await work(current.id));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(undefined);
    }
  };

  if (loaded.loading && !current) return <section><h1>Your cart</h1><Loading what="your cart" /></section>;
  if (!current || current.lines.length === 0) {
    return <section><h1>Your cart</h1><ErrorNote error={loaded.error} /><p>Your cart is empty. <a href="/shop/search">Find something warm</a>.</p></section>;
  }
  return (
    <section class="cart">
      <h1>Your cart</h1>
      <ErrorNote error={error} />
      <ul class="lines">
        {current.lines.map((line) => (
          <li key={line.sku} class="line" aria-busy={busy === line.sku}>
            <div>
              <a href={`/shop/products/${line.productHandle}`}>{line.productTitle}</a>
              <div class="muted">{line.title} · {line.sku}</div>
              {!line.forSale ? <div class="error">No longer for sale: remove it to check out.</div> : null}
              {line.forSale && line.available < line.quantity ? <div class="error">Only {line.available} left.</div> : null}
            </div>
            <div class="qty">
              <button type="button" aria-label={`One fewer ${line.productTitle} ${line.title}`} disabled={line.quantity <= 1 || busy !== undefined}
                onClick={() => change(line.sku, (id) => setQuantity(id, line.sku, line.quantity - 1))}>−</button>
              <span aria-label={`Quantity of ${line.productTitle} ${line.title}`}>{line.quantity}</span>
              <button type="button" aria-label={`One more ${line.productTitle} ${line.title}`} disabled={busy !== undefined}
                onClick={() => change(line.sku, (id) => setQuantity(id, line.sku, line.quantity + 1))}>+</button>
            </div>
            <div class="line-total"><Price money={line.lineTotal} /></div>
            <button type="button" class="link" disabled={busy !== undefined} onClick={() => change(line.sku, (id) => removeLine(id, line.sku))}>
              Remove<span class="visually-hidden"> {line.productTitle} {line.title}</span>
            </button>
          </li>
        ))}
      </ul>
      <Breakdown pricing={current.pricing} itemCount={current.itemCount} />
      <a class="button primary" href="/shop/checkout">Check out</a>
    </section>
  );
}
