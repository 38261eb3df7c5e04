import { useLocation } from 'preact-iso';
import { api, call } from '../api/client';
import { ErrorNote, Loading } from '../components/bits';
import { ProductCard } from '../components/product-card';
import { useData, useTitle } from '../components/use-data';
import { currency, useObservable } from '../state';

const PAGE = 12;

/** Search results; the query and the page live in the URL, so a result page can be shared and the back button returns to it. */
export function Search() {
  const { query, route } = useLocation();
  const q = query.q ?? '';
  const offset = Math.max(0, Number(query.offset ?? 0) || 0);
  const shown = useObservable(currency);
  useTitle(q ? `“${q}”` : 'All products');
  const result = useData(() => call(api.GET('/products', { params: { query: { q: q || undefined, limit: PAGE, offset, currency: shown } } })), [q, offset, shown]);
  const go = (next: number) => route(`/shop/search?${new URLSearchParams({ ...(q ? { q } : {}), ...(next ? { offset: String(next) } : {}) })}`);
  const data = result.data;
  return (
    <section aria-labelledby="results-heading">
      <h1 id="results-heading">{q ? `Results for “${q}”` : 'All products'}</h1>
      {data ? <p class="muted" role="status">{data.total === 0 ? 'Nothing matches. Try another word.' : `${data.total} products`}</p> : null}
      {result.loading && !data ? <Loading what="results" /> : null}
      <ErrorNote error={result.error} />
      <ul class="grid">{data?.items.map((p) => <ProductCard key={p.id} product={p} />)}</ul>
      {data && data.total > PAGE ? (
        <nav class="pager" aria-label="Pages">
          <button type="button" disabled={offset === 0} onClick={() => go(Math.max(0, offset - PAGE))}>Previous</button>
          <span>Page {Math.floor(offset / PAGE) + 1} of {Math.ceil(data.total / PAGE)}</span>
          <button type="button" disabled={data.nextOffset === null} onClick={() => go(data.nextOffset ?? offset)}>Next</button>
        </nav>
      ) : null}
    </section>
  );
}
