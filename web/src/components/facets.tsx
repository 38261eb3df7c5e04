/**
 * The search page's filters: categories as a tree, collections, attribute values, a price range and
 * "in stock", each value with the number of products it would show under the other filters (the
 * API's SearchFacets). On a narrow screen they fold into a disclosure above the results.
 */
import { useEffect, useState } from 'preact/hooks';
import type { Schemas } from '../api/client';
import type { ListFilter, SearchState } from '../search-url';
import { filterCount } from '../search-url';

type Facets = Schemas['SearchFacets'];
type Category = Facets['categories'][number];

export interface FacetActions {
  toggle(key: ListFilter, value: string): void;
  setInStock(on: boolean): void;
  setPrice(min: number | undefined, max: number | undefined): void;
}

export function FacetPanel({ facets, state, currency, actions }: { facets?: Facets; state: SearchState; currency: string; actions: FacetActions }) {
  const [open, setOpen] = useState(false);
  const active = filterCount(state);
  return (
    <aside class="facets" aria-labelledby="filters-heading">
      <h2 id="filters-heading" class="facets-heading">
        <button type="button" class="facets-toggle" aria-expanded={open} aria-controls="facet-lists" onClick={() => setOpen(!open)}>
          Filters{active ? ` (${active})` : ''}
        </button>
        <span class="facets-title">Filters</span>
      </h2>
      <div id="facet-lists" class="facets-body" hidden={!open}>
        {facets ? <FacetLists facets={facets} state={state} currency={currency} actions={actions} /> : null}
      </div>
    </aside>
  );
}

function FacetLists({ facets, state, currency, actions }: { facets: Facets; state: SearchState; currency: string; actions: FacetActions }) {
  return (
    <>
      <fieldset class="facet">
        <legend>Availability</legend>
        <Choice label="In stock only" count={facets.inStock.count} checked={state.inStock} onChange={() => actions.setInStock(!state.inStock)} />
      </fieldset>
      {facets.categories.length ? (
        <fieldset class="facet">
          <legend>Category</legend>
          <CategoryTree categories={facets.categories} toggle={(h) => actions.toggle('category', h)} />
        </fieldset>
      ) : null}
      {facets.collections.length ? (
        <fieldset class="facet">
          <legend>Collection</legend>
          <ul>{facets.collections.map((c) => (
            <li key={c.id}><Choice label={c.title} count={c.count} checked={c.selected} onChange={() => actions.toggle('collection', c.handle)} /></li>))}
          </ul>
        </fieldset>
      ) : null}
      {facets.attributes.map((a) => (
        <fieldset class="facet" key={a.code}>
          <legend>{a.name}</legend>
          <ul>{a.values.map((v) => (
            <li key={v.value}><Choice label={v.value} count={v.count} checked={v.selected} onChange={() => actions.toggle('attribute', `${a.code}:${v.value}`)} /></li>))}
          </ul>
        </fieldset>
      ))}
      <PriceRange range={facets.price} state={state} currency={currency} setPrice={actions.setPrice} />
    </>
  );
}

function Choice({ label, count, checked, onChange }: { label: string; count: number; checked: boolean; onChange(): void }) {
  return (
    <label class="choice">
      <input type="checkbox" checked={checked} onChange={onChange} />
      <span>{label} <span class="count">({count})</span></span>
    </label>
  );
}

/** Categories under their parents; a parent's count includes its subcategories' products. */
function CategoryTree({ categories, toggle }: { categories: Category[]; toggle(handle: string): void }) {
  const known = new Set(categories.map((c) => c.id));
  const childrenOf = (parent: string | null) => categories.filter((c) => (c.parentId !== null && known.has(c.parentId) ? c.parentId : null) === parent);
  const branch = (parent: string | null) => (
    <ul>{childrenOf(parent).map((c) => (
      <li key={c.id}>
        <Choice label={c.name} count={c.count} checked={c.selected} onChange={() => toggle(c.handle)} />
        {childrenOf(c.id).length ? branch(c.id) : null}
      </li>))}
    </ul>
  );
  return branch(null);
}

/** Minor units per unit of the currency (100 for dollars and euros), as the browser knows it. */
export const minorPerMajor = (currency: string) => 10 ** (new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2);

function PriceRange({ range, state, currency, setPrice }: { range: Facets['price']; state: SearchState; currency: string; setPrice: FacetActions['setPrice'] }) {
  const unit = minorPerMajor(currency);
  const shown = (minor: number | undefined) => (minor === undefined ? '' : String(minor / unit));
  const [min, setMin] = useState(shown(state.priceMin));
  const [max, setMax] = useState(shown(state.priceMax));
  useEffect(() => { setMin(shown(state.priceMin)); setMax(shown(state.priceMax)); }, [state.priceMin, state.priceMax, unit]);
  const minor = (text: string) => (text.trim() === '' ? undefined : Math.round(Number(text) * unit));
  const floor = range ? Math.floor(range.min / unit) : undefined;
  const ceiling = range ? Math.ceil(range.max / unit) : undefined;
  const set = state.priceMin !== undefined || state.priceMax !== undefined;
  return (
    <fieldset class="facet">
      <legend>Price ({currency})</legend>
      {range ? <p class="muted small">From {formatMinor(range.min, currency)} to {formatMinor(range.max, currency)}</p> : null}
      <form class="price-range" onSubmit={(e) => { e.preventDefault(); setPrice(minor(min), minor(max)); }}>
        <label>Min <input type="number" inputMode="decimal" min={0} step="any" value={min} placeholder={floor === undefined ? '' : String(floor)}
          onInput={(e) => setMin(e.currentTarget.value)} /></label>
        <label>Max <input type="number" inputMode="decimal" min={0} step="any" value={max} placeholder={ceiling === undefined ? '' : String(ceiling)}
          onInput={(e) => setMax(e.currentTarget.value)} /></label>
        <button type="submit" class="button">Apply</button>
      </form>
      {set ? <button type="button" class="link" onClick={() => setPrice(undefined, undefined)}>Any price</button> : null}
    </fieldset>
  );
}

/** An amount in minor units, as a price: 1500 USD → $15.00. */
export const formatMinor = (minor: number, currency: string) => new Intl.NumberFormat('en', { style: 'currency', currency }).format(minor / minorPerMajor(currency));
