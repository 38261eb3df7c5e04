import { api, call, type Schemas } from '../api/client';
import { ErrorNote, Loading } from '../components/bits';
import { ProductCard } from '../components/product-card';
import { useData, useTitle } from '../components/use-data';
import { currency, useObservable } from '../state';

export function Home() {
  useTitle('Home');
  const shown = useObservable(currency);
  // One request: the newest products, and the categories and collections that have any (the search's facet counts).
  const page = useData((signal) => call(api.GET('/products', { params: { query: { limit: 8, sort: 'newest', facets: 'true', currency: shown } }, signal })), [shown]);
  return (
    <>
      <section class="hero">
        <h1>Warm layers, made to last</h1>
        <p>Merino, alpaca, linen and more. Every order here is a durable workflow: pay, and watch it move from the warehouse to your door, live.</p>
        <a class="button" href="/shop/search">Browse everything</a>
      </section>
      {page.data?.facets ? <Taxonomy facets={page.data.facets} /> : null}
      <section aria-labelledby="new-heading">
        <h2 id="new-heading">New arrivals</h2>
        {page.loading && !page.data ? <Loading what="products" /> : null}
        <ErrorNote error={page.error} />
        <ul class="grid">{page.data?.items.map((p, i) => <ProductCard key={p.id} product={p} eager={i < 4} />)}</ul>
      </section>
    </>
  );
}

/** Categories and collections to shop by, each a search filtered by it. */
function Taxonomy({ facets }: { facets: Schemas['SearchFacets'] }) {
  const groups = [
    { title: 'Shop by category', links: facets.categories.map((c) => ({ key: c.id, label: c.name, href: `/shop/search?category=${encodeURIComponent(c.handle)}` })) },
    { title: 'Collections', links: facets.collections.map((c) => ({ key: c.id, label: c.title, href: `/shop/search?collection=${encodeURIComponent(c.handle)}` })) },
  ].filter((g) => g.links.length > 0);
  return (
    <section class="taxonomy" aria-label="Categories and collections">
      {groups.map((g) => (
        <div key={g.title}>
          <h2>{g.title}</h2>
          <ul class="chips">{g.links.map((l) => <li key={l.key}><a class="chip" href={l.href}>{l.label}</a></li>)}</ul>
        </div>
      ))}
    </section>
  );
}
