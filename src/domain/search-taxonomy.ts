/**
 * The names behind facet keys: categories (a tree), collections, attributes and their values, as
 * search needs them to read filters (handles and codes to keys) and to label facet counts.
 */
import { DomainError, ErrorCode } from './errors';
import { FACET_KIND, facetKey, type FacetCounts, type SearchFilters } from './search';

export interface CategoryRow { id: string; handle: string; name: string; parentId: string | null; position: number; facetNo: number }
export interface CollectionRow { id: string; handle: string; title: string; facetNo: number }
export interface AttributeRow { id: string; code: string; name: string; filterable: boolean; position: number }
export interface AttributeValueRow { attributeId: string; value: string; position: number; facetNo: number }
export interface TaxonomyRows { categories: CategoryRow[]; collections: CollectionRow[]; attributes: AttributeRow[]; values: AttributeValueRow[] }

/** What a storefront asks to keep, by handle and code, as the query string gave them. */
export interface FilterRequest {
  categories: string[];
  collections: string[];
  /** "code:value" pairs. */
  attributes: string[];
  priceMin?: number;
  priceMax?: number;
  inStock: boolean;
}

export interface FacetsView {
  categories: { id: string; handle: string; name: string; parentId: string | null; count: number; selected: boolean }[];
  collections: { id: string; handle: string; title: string; count: number; selected: boolean }[];
  attributes: { code: string; name: string; values: { value: string; count: number; selected: boolean }[] }[];
  price: { min: number; max: number; count: number } | null;
  inStock: { count: number };
}

export class SearchTaxonomy {
  /** One more than the largest facet_no of any kind: the size of per-key arrays. */
  readonly facetNoLimit: number;
  private readonly categoryByHandle = new Map<string, CategoryRow>();
  private readonly collectionByHandle = new Map<string, CollectionRow>();
  private readonly attributeByCode = new Map<string, AttributeRow>();
  private readonly valueByName = new Map<string, AttributeValueRow>();
  private readonly valuesByCode = new Map<string, AttributeValueRow[]>();

  constructor(private readonly rows: TaxonomyRows) {
    const attributeById = new Map(rows.attributes.map((a) => [a.id, a]));
    for (const a of rows.attributes) { this.attributeByCode.set(a.code, a); this.valuesByCode.set(a.code, []); }
    for (const c of rows.categories) { this.categoryByHandle.set(c.handle, c); }
    for (const c of rows.collections) { this.collectionByHandle.set(c.handle, c); }
    for (const v of rows.values) {
      const code = attributeById.get(v.attributeId)?.code;
      if (code === undefined) continue;
      this.valueByName.set(`${code}\u0000${v.value.toLowerCase()}`, v);
      this.valuesByCode.get(code)?.push(v);
    }
    this.facetNoLimit = 1 + [...rows.categories, ...rows.collections, ...rows.values].reduce((m, r) => Math.max(m, r.facetNo), 0);
  }

  valuesOf(code: string): number[] {
    return (this.valuesByCode.get(code) ?? []).map((v) => v.facetNo);
  }

  /**
   * Handles and codes to facet keys. An unknown category, collection or attribute is a client
   * error (400, naming it); an attribute value nobody has matches nothing, like a value no
   * product has any more.
   */
  filtersOf(req: FilterRequest): SearchFilters {
    const unknown = (what: string, name: string) => new DomainError(ErrorCode.ValidationFailed,
      `Invalid query: there is no ${what} "${name}".`, { in: 'query', [what]: name });
    const categories = req.categories.map((h) => {
      const c = this.categoryByHandle.get(h);
      if (!c) throw unknown('category', h);
      return facetKey(FACET_KIND.category, c.facetNo);
    });
    const collections = req.collections.map((h) => {
      const c = this.collectionByHandle.get(h);
      if (!c) throw unknown('collection', h);
      return facetKey(FACET_KIND.collection, c.facetNo);
    });
    const attributes = new Map<string, number[]>();
    for (const pair of req.attributes) {
      const at = pair.indexOf(':');
      const code = pair.slice(0, at);
      if (!this.attributeByCode.has(code)) throw unknown('attribute', code);
      const value = this.valueByName.get(`${code}\u0000${pair.slice(at + 1).toLowerCase()}`);
      const keys = attributes.get(code) ?? [];
      // -1 matches no document: the attribute is still filtered, by a value no product has.
      keys.push(value ? facetKey(FACET_KIND.attributeValue, value.facetNo) : -1);
      attributes.set(code, keys);
    }
    return { categories, collections, attributes, priceMin: req.priceMin, priceMax: req.priceMax, inStock: req.inStock };
  }

  /** Counts with names, in the order a storefront shows them: categories and values by position, collections by title. */
  facetsView(counts: FacetCounts, selected: SearchFilters): FacetsView {
    const chosen = new Set([...selected.categories, ...selected.collections, ...[...selected.attributes.values()].flat()]);
    const count = (kind: number, no: number) => counts.byKey.get(facetKey(kind, no)) ?? 0;
    const idOf = new Map(this.rows.categories.map((c) => [c.id, c]));
    const categories = this.rows.categories
      .filter((c) => count(FACET_KIND.category, c.facetNo) > 0)
      .sort((a, b) => a.position - b.position || a.name.localeCompare(b.name))
      .map((c) => ({ id: c.id, handle: c.handle, name: c.name, parentId: c.parentId && idOf.has(c.parentId) ? c.parentId : null,
        count: count(FACET_KIND.category, c.facetNo), selected: chosen.has(facetKey(FACET_KIND.category, c.facetNo)) }));
    const collections = this.rows.collections
      .filter((c) => count(FACET_KIND.collection, c.facetNo) > 0)
      .sort((a, b) => a.title.localeCompare(b.title))
      .map((c) => ({ id: c.id, handle: c.handle, title: c.title, count: count(FACET_KIND.collection, c.facetNo),
        selected: chosen.has(facetKey(FACET_KIND.collection, c.facetNo)) }));
    const attributes = [...this.attributeByCode.values()]
      .filter((a) => a.filterable)
      .sort((a, b) => a.position - b.position || a.code.localeCompare(b.code))
      .map((a) => ({ code: a.code, name: a.name, values: (this.valuesByCode.get(a.code) ?? [])
        .filter((v) => count(FACET_KIND.attributeValue, v.facetNo) > 0)
        .sort((x, y) => x.position - y.position || x.value.localeCompare(y.value))
        .map((v) => ({ value: v.value, count: count(FACET_KIND.attributeValue, v.facetNo),
          selected: chosen.has(facetKey(FACET_KIND.attributeValue, v.facetNo)) })) }))
      .filter((a) => a.values.length > 0);
    return { categories, collections, attributes, price: counts.price, inStock: { count: counts.inStock } };
  }

  static empty(): SearchTaxonomy {
    return new SearchTaxonomy({ categories: [], collections: [], attributes: [], values: [] });
  }
}
