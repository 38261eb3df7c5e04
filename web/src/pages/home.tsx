import { api, call } from '../api/client';
import { ErrorNote, Loading } from '../components/bits';
import { ProductCard } from '../components/product-card';
import { useData, useTitle } from '../components/use-data';
import { currency, useObservable } from '../state';

export function Home() {
  useTitle('Home');
  const shown = useObservable(currency);
  const products = useData(() => call(api.GET('/products', { params: { query: { limit: 8, currency: shown } } })), [shown]);
  return (
    <>
      <section class="hero">
        <h1>Warm layers, made to last</h1>
        <p>Merino, alpaca, linen and more. Every order here is a durable workflow: pay, and watch it move from the warehouse to your door, live.</p>
        <a class="button" href="/shop/search">Browse everything</a>
      </section>
      <Taxonomy />
      <section aria-labelledby="new-heading">
        <h2 id="new-heading">New arrivals</h2>
        {products.loading && !products.data ? <Loading what="products" /> : null}
        <ErrorNote error={products.error} />
        <ul class="grid">{products.data?.items.map((p, i) => <ProductCard key={p.id} product={p} eager={i < 4} />)}</ul>
      </section>
    </>
  );
}

/** Categories and collections to shop by, each a search filtered by it. */
function Taxonomy() {
  const groups = [
    { title: 'Shop by category', links: [['Tops', 'top'], ['Bottoms', 'trousers'], ['Outerwear', 'coat'], ['Accessories', 'scarf']] },
    { title: 'Collections', links: [['Winter Warmers', 'wool'], ['Summer Essentials', 'linen'], ['New Arrivals', '']] },
  ];
  return (
    <section class="taxonomy" aria-label="Categories and collections">
      {groups.map((g) => (
        <div key={g.title}>
          <h2>{g.title}</h2>
          <ul class="chips">{g.links.map(([label, q]) => <li key={label}><a class="chip" href={`/shop/search?q=${encodeURIComponent(q)}`}>{label}</a></li>)}</ul>
        </div>
      ))}
    </section>
  );
}
