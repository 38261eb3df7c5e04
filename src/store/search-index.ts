/**
 * Each API process keeps a copy of search_documents in memory (src/domain/search.ts) and of the
 * taxonomy's names, and brings it up to the catalog version a request has read before it answers:
 * versions follow commit order (catalog_state.version moves under its row lock in every catalog
 * commit), so "every document written at a version above mine, every removal above mine" is
 * exactly what changed. A process that was idle for longer than tombstones are kept (a day)
 * loads everything again. The first search of a process loads the whole catalog: about 8 MB of
 * JSON and 1-2 s for 100,000 products (bench/catalog).
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { SearchIndex } from '../domain/search';
import { SearchTaxonomy, type TaxonomyRows } from '../domain/search-taxonomy';
import { sqlRows, statement } from '../db/sql';

export interface SearchCopy { index: SearchIndex; taxonomy: SearchTaxonomy }

interface Replica extends SearchCopy { syncing?: Promise<void> }

const replicas = new WeakMap<object, Replica>();

const VERSION = statement('search_catalog_version', 'select version from catalog_state');

/** The catalog's version: it moves with every write to the catalog and whenever a variant sells out or comes back. */
export async function catalogVersion(em: EntityManager): Promise<number> {
  const [row] = await sqlRows<{ version: string }>(em, VERSION);
  return Number(row.version);
}

/** This process's copy of the search documents, at `version` or later. */
export async function searchCopy(em: EntityManager, version: number): Promise<SearchCopy> {
  let replica = replicas.get(em.config);
  if (!replica) {
    replica = { index: new SearchIndex(), taxonomy: SearchTaxonomy.empty() };
    replicas.set(em.config, replica);
  }
  // A version read by a statement that committed after our last look: catch up (usually one round trip).
  for (let attempt = 0; replica.index.version < version && attempt < 3; attempt++) {
    const current: Replica = replica;
    current.syncing ??= sync(em, current).finally(() => { current.syncing = undefined; });
    await current.syncing;
  }
  return replica;
}

const CHANGES = statement('search_changes', `
  select s.version, s.taxonomy_version, s.removed_before,
         (select coalesce(json_agg(json_build_array(d.doc_no, floor(extract(epoch from d.created_at) * 1000), d.in_stock, d.facets, d.prices)), '[]')
            from search_documents d where d.version > $1) as docs,
         (select coalesce(json_agg(r.doc_no), '[]') from search_removed r where r.version > $1) as removed
    from catalog_state s`);

type DocJson = [number, number, boolean, number[], Record<string, number>];
interface ChangesRow { version: string; taxonomy_version: string; removed_before: string; docs: DocJson[]; removed: number[] }

async function sync(em: EntityManager, replica: Replica): Promise<void> {
  let [state] = await sqlRows<ChangesRow>(em, CHANGES, [replica.index.version]);
  let index = replica.index;
  if (index.version < Number(state.removed_before)) {
    // Too far behind to know what was removed since: start again from nothing.
    [state] = await sqlRows<ChangesRow>(em, CHANGES, [0]);
    index = new SearchIndex();
  }
  for (const docNo of state.removed) index.remove(docNo);
  for (const [docNo, createdAt, inStock, facets, prices] of state.docs) index.put({ docNo, createdAt, inStock, facets, prices });
  index.version = Math.max(index.version, Number(state.version));
  const taxonomyVersion = Number(state.taxonomy_version);
  if (index !== replica.index || replica.index.taxonomyVersion !== taxonomyVersion) {
    replica.taxonomy = new SearchTaxonomy(await taxonomyRows(em));
  }
  index.taxonomyVersion = taxonomyVersion;
  replica.index = index;
}

const TAXONOMY = statement('search_taxonomy', `
  select json_build_object(
    'categories', (select coalesce(json_agg(json_build_object('id', id, 'handle', handle, 'name', name, 'parentId', parent_id,
                                                              'position', position, 'facetNo', facet_no)), '[]') from categories),
    'collections', (select coalesce(json_agg(json_build_object('id', id, 'handle', handle, 'title', title, 'facetNo', facet_no)), '[]') from collections),
    'attributes', (select coalesce(json_agg(json_build_object('id', id, 'code', code, 'name', name, 'filterable', filterable,
                                                              'position', position)), '[]') from attributes),
    'values', (select coalesce(json_agg(json_build_object('attributeId', attribute_id, 'value', value, 'position', position,
                                                          'facetNo', facet_no)), '[]') from attribute_values)) as t`);

async function taxonomyRows(em: EntityManager): Promise<TaxonomyRows> {
  const [row] = await sqlRows<{ t: TaxonomyRows }>(em, TAXONOMY);
  return row.t;
}
