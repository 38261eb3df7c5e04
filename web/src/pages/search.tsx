import { useEffect, useRef, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, ApiError, call, type Schemas } from '../api/client';
import { ErrorNote, Loading } from '../components/bits';
import { FacetPanel, formatMinor, type FacetActions } from '../components/facets';
import { ProductCard } from '../components/product-card';
import { useData, useTitle } from '../components/use-data';
import { apiQuery, filterCount, firstPage, inCurrency, previousOf, readSearch, rememberPrevious, searchHref, SORTS, toggled,
  withoutFilters, type SearchState, type Sort } from '../search-url';
import { currency, useObservable } from '../state';

const PAGE = 12;
type Facets = Schemas['SearchFacets'];

/**
 * Search with facets, a sort and keyset pages. Everything that decides the results is in the URL
 * (src/search-url.ts), so a results page can be shared and the back button steps back through
 * pages and filters; each change is a new history entry.
 */
export function Search() {
  const { url, route } = useLocation();
  const shown = useObservable(currency);
  const { state, dropped } = inCurrency(readSearch(url.split('?')[1] ?? ''), shown);
  const href = searchHref(state);
  // A cursor or price range made in another currency (a shared link, or the currency changed here) starts over in this one.
  const [restartedAt, setRestartedAt] = useState<string>();
  useEffect(() => {
    if (!dropped) return;
    setRestartedAt(href);
    route(href, true);
  }, [dropped, href]);
  const query = apiQuery(state, shown, PAGE);
  const result = useData((signal) => call(api.GET('/products', { params: { query }, signal })), [JSON.stringify(query)]);
  const go = (next: SearchState) => route(searchHref(next));

  const heading = useRef<HTMLHeadingElement>(null);
  // A new page of results starts at its heading, as a new page would.
  const turned = useRef(state.cursor);
  useEffect(() => {
    if (turned.current === state.cursor) return;
    turned.current = state.cursor;
    heading.current?.focus({ preventScroll: true });
    heading.current?.scrollIntoView({ block: 'start' });
  }, [state.cursor]);

  const actions: FacetActions = {
    toggle: (key, value) => go(toggled(state, key, value)),
    setInStock: (on) => go(firstPage(state, { inStock: on })),
    setPrice: (priceMin, priceMax) => go(firstPage(state, { priceMin, priceMax })),
  };
  const data = result.data;
  useTitle(headingOf(state, data?.facets));
  const busy = result.loading && data !== undefined;
  return (
    <section aria-labelledby="results-heading" class="search">
      <h1 id="results-heading" ref={heading} tabIndex={-1}>{headingOf(state, data?.facets)}</h1>
      {restartedAt === href ? <p class="notice" role="status">Prices are in {shown} now, so the results start again from the first page.</p> : null}
      {data?.correctedQuery && !result.loading ? <Correction typed={state.q} corrected={data.correctedQuery} search={() => go(firstPage(state, { q: data.correctedQuery ?? '' }))} /> : null}
      <div class="search-columns">
        <FacetPanel facets={data?.facets} state={state} currency={shown} actions={actions} />
        <div class="results" aria-busy={result.loading}>
          <div class="results-bar">
            <p class="muted" role="status">{busy ? 'Updating the results…' : data ? countText(data.total, state.page) : ''}</p>
            <label class="sort">Sort by{' '}
              <select value={state.sort} onChange={(e) => go(firstPage(state, { sort: e.currentTarget.value as Sort }))}>
                {SORTS.map(([value, label]) => <option key={value} value={value}>{label}</option>)}
              </select>
            </label>
          </div>
          <ActiveFilters state={state} facets={data?.facets} go={go} />
          {result.loading && !data ? <Loading what="results" /> : null}
          <SearchError error={result.error} firstPage={() => go(firstPage(state, {}))} />
          {data && data.total === 0 && !result.loading ? <Empty state={state} go={go} /> : null}
          <ul class="grid">{data?.items.map((p, i) => <ProductCard key={p.id} product={p} eager={i < 4} />)}</ul>
          {data ? <Pager state={state} total={data.total} next={data.nextCursor} go={go} /> : null}
        </div>
      </div>
    </section>
  );
}

/** The words searched for; without words, the one category or collection browsed (from the home page's links). */
function headingOf(state: SearchState, facets: Facets | undefined): string {
  if (state.q) return `Results for “${state.q}”`;
  const [only, ...more] = [...state.category.map((h) => facets?.categories.find((c) => c.handle === h)?.name),
    ...state.collection.map((h) => facets?.collections.find((c) => c.handle === h)?.title)];
  return only && more.length === 0 ? only : 'All products';
}

const countText = (total: number, page: number) => {
  if (total === 0) return 'No products';
  const from = (page - 1) * PAGE + 1;
  return from > total || total <= PAGE ? `${total} product${total === 1 ? '' : 's'}` : `${from}–${Math.min(total, page * PAGE)} of ${total} products`;
};

function Correction({ typed, corrected, search }: { typed: string; corrected: string; search(): void }) {
  return (
    <p class="notice" role="status">
      Nothing matched “{typed}”. Showing results for <strong>{corrected}</strong>.{' '}
      <button type="button" class="link" onClick={search}>Search for “{corrected}” instead</button>
    </p>
  );
}

/** An error in the API's words; a cursor the API refuses (an old or altered link) offers the first page. */
function SearchError({ error, firstPage: restart }: { error: unknown; firstPage(): void }) {
  if (!error) return null;
  return (
    <div>
      <ErrorNote error={error} />
      {error instanceof ApiError && error.code === 'invalid_cursor' ? <button type="button" class="button" onClick={restart}>Go to the first page</button> : null}
    </div>
  );
}

function Empty({ state, go }: { state: SearchState; go(s: SearchState): void }) {
  const filtered = filterCount(state) > 0;
  return (
    <div class="empty">
      <p><strong>{state.q ? `Nothing matches “${state.q}”${filtered ? ' with these filters' : ''}.` : 'Nothing matches these filters.'}</strong></p>
      <p class="muted">{filtered ? 'Remove a filter, or ' : ''}try another word or a shorter one.</p>
      <div class="actions">
        {filtered ? <button type="button" class="button" onClick={() => go(withoutFilters(state))}>Clear the filters</button> : null}
        <a class="button" href="/shop/search">See every product</a>
      </div>
    </div>
  );
}

/** The filters in force, each removable: also the way back from a value no longer counted (none left under the others). */
function ActiveFilters({ state, facets, go }: { state: SearchState; facets?: Facets; go(s: SearchState): void }) {
  const chips: { label: string; remove: SearchState }[] = [
    ...state.category.map((h) => ({ label: facets?.categories.find((c) => c.handle === h)?.name ?? h, remove: { ...state, category: state.category.filter((x) => x !== h) } })),
    ...state.collection.map((h) => ({ label: facets?.collections.find((c) => c.handle === h)?.title ?? h, remove: { ...state, collection: state.collection.filter((x) => x !== h) } })),
    ...state.attribute.map((a) => ({ label: a.slice(a.indexOf(':') + 1), remove: { ...state, attribute: state.attribute.filter((x) => x !== a) } })),
    ...(state.inStock ? [{ label: 'In stock', remove: { ...state, inStock: false } }] : []),
    ...(state.priceMin !== undefined || state.priceMax !== undefined
      ? [{ label: priceLabel(state), remove: { ...state, priceMin: undefined, priceMax: undefined } }] : []),
  ];
  if (!chips.length) return null;
  return (
    <ul class="chips active-filters" aria-label="Filters in use">
      {chips.map((c) => (
        <li key={c.label}>
          <button type="button" class="chip" onClick={() => go(firstPage(c.remove, {}))}>
            {c.label} <span aria-hidden="true">×</span><span class="visually-hidden"> (remove this filter)</span>
          </button>
        </li>
      ))}
      {chips.length > 1 ? <li><button type="button" class="link" onClick={() => go(withoutFilters(state))}>Clear all</button></li> : null}
    </ul>
  );
}

function priceLabel(s: SearchState): string {
  const money = (minor: number) => formatMinor(minor, s.currency ?? 'USD');
  if (s.priceMin !== undefined && s.priceMax !== undefined) return `${money(s.priceMin)} to ${money(s.priceMax)}`;
  return s.priceMin !== undefined ? `From ${money(s.priceMin)}` : `Up to ${money(s.priceMax ?? 0)}`;
}

/**
 * Next follows the API's cursor. Previous goes to the cursor this tab came from (remembered by
 * Next), or, on a page opened from a link, to the first page.
 */
function Pager({ state, total, next, go }: { state: SearchState; total: number; next: string | null; go(s: SearchState): void }) {
  if (!state.cursor && !next) return null;
  const before = state.cursor ? previousOf(state.cursor) : undefined;
  const pages = Math.max(1, Math.ceil(total / PAGE));
  const toNext = () => {
    if (!next) return;
    rememberPrevious(next, state.cursor);
    go({ ...state, cursor: next, page: state.page + 1 });
  };
  const toPrevious = () => go(before ? { ...state, cursor: before, page: state.page - 1 } : firstPage(state, {}));
  return (
    <nav class="pager" aria-label="Pages of results">
      {state.cursor ? <button type="button" onClick={toPrevious}>{before === undefined && state.page > 2 ? 'First page' : 'Previous'}</button> : null}
      <span>Page {Math.min(state.page, pages)} of {pages}</span>
      {next ? <button type="button" onClick={toNext}>Next</button> : null}
    </nav>
  );
}
