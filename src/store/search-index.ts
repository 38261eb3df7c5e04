/**
 * Each API process keeps a copy of search_documents in memory (src/domain/search.ts) and of the
 * taxonomy's names, and brings it up to the catalog version a request has read before it answers:
 * versions follow commit order (catalog_state.version moves under its row lock in every catalog
 * commit), so "every document written at a version above mine, every removal above mine" is
 * exactly what changed. A process that was idle for longer than tombstones are kept (a day)
 * loads everything again. A process loads the whole catalog when the API starts (warmSearchCopy),
 * words included (each document's tsvector as text), in slices of 5,000 documents (bench/catalog
 * prints how long it takes).
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { SearchIndex } from '../domain/search';
import { DocumentChanges } from '../domain/search-cards';
import { SearchTaxonomy, type TaxonomyRows } from '../domain/search-taxonomy';
import { sqlRows, statement } from '../db/sql';

/** `changes`: when each document was last written, for the texts of cards kept by the storefront (src/domain/search-cards.ts). */
export interface SearchCopy { index: SearchIndex; taxonomy: SearchTaxonomy; changes: DocumentChanges }

interface Replica extends SearchCopy { syncing?: Promise<void>; loaded: boolean; warming?: Promise<number> }

const replicas = new WeakMap<object, Replica>();

const VERSION = statement('search_catalog_version', 'select version from catalog_state');

/** The catalog's version: it moves with every write to the catalog and whenever a variant sells out or comes back. */
export async function catalogVersion(em: EntityManager): Promise<number> {
  const [row] = await sqlRows<{ version: string }>(em, VERSION);
  return Number(row.version);
}

/**
 * Loads this process's copy at the catalog's current version, once: the API starts it as soon as it
 * listens, and its readiness waits for it, so a replica takes searches only when it can answer them
 * at once. A failed load is tried again on the next call. Answers how many products the copy holds.
 */
export function warmSearchCopy(em: EntityManager): Promise<number> {
  const replica = replicaOf(em);
  if (replica.loaded) return Promise.resolve(replica.index.size);
  replica.warming ??= catalogVersion(em)
    .then((version) => searchCopy(em, version))
    .then((copy) => { replica.loaded = true; return copy.index.size; })
    .finally(() => { replica.warming = undefined; });
  return replica.warming;
}

function replicaOf(em: EntityManager): Replica {
  let replica = replicas.get(em.config);
  if (!replica) {
    replica = { index: new SearchIndex(), taxonomy: SearchTaxonomy.empty(), changes: new DocumentChanges(), loaded: false };
    replicas.set(em.config, replica);
  }
  return replica;
}

/** This process's copy of the search documents, at `version` or later. */
export async function searchCopy(em: EntityManager, version: number): Promise<SearchCopy> {
  const replica = replicaOf(em);
  // A version read by a statement that committed after our last look: catch up (usually one round trip).
  for (let attempt = 0; replica.index.version < version && attempt < 3; attempt++) {
    const current: Replica = replica;
    current.syncing ??= sync(em, current).finally(() => { current.syncing = undefined; });
    await current.syncing;
  }
  return replica;
}

/**
 * A document as the copy needs it, in one shape whether it comes as a row of a slice or inside a
 * change set: facet keys (`{1,2}`), lowest prices (JSON), the date in ms, and the tsvector as
 * PostgreSQL prints it (parsed in the process: no JSON to build, escape and parse per lexeme).
 */
interface DocRow { doc_no: number; created: number; in_stock: boolean; facets: string; prices: string; tsv: string }
const DOC_COLUMNS = `d.doc_no, floor(extract(epoch from d.created_at) * 1000)::float8 as created, d.in_stock, d.facets::text as facets,
         d.prices::text as prices, d.tsv::text as tsv`;

const CHANGES = statement('search_changes', `
  select s.version, s.taxonomy_version, s.removed_before,
         (select coalesce(json_agg(d), '[]') from (select ${DOC_COLUMNS} from search_documents d where d.version > $1) d) as docs,
         (select coalesce(json_agg(r.doc_no), '[]') from search_removed r where r.version > $1) as removed
    from catalog_state s`);

/** A whole copy is read in slices: one statement for everything would be one result of ~60 MB. */
const SLICE = 5000;
const STATE = statement('search_state', 'select version, taxonomy_version, removed_before from catalog_state');
const SLICE_DOCS = statement('search_docs_slice', `
  select ${DOC_COLUMNS} from search_documents d where d.doc_no > $1 order by d.doc_no limit ${SLICE}`);

interface StateRow { version: string; taxonomy_version: string; removed_before: string }
interface ChangesRow extends StateRow { docs: DocRow[]; removed: number[] }

async function sync(em: EntityManager, replica: Replica): Promise<void> {
  let index = replica.index;
  let state: StateRow;
  const [changes] = index.version === 0 ? [undefined] : await sqlRows<ChangesRow>(em, CHANGES, [index.version]);
  if (changes && index.version >= Number(changes.removed_before)) {
    const at = Number(changes.version);
    for (const docNo of changes.removed) {
      index.remove(docNo);
      replica.changes.changed(docNo, at);
    }
    for (const r of changes.docs) {
      putRow(index, r);
      replica.changes.changed(r.doc_no, at);
    }
    state = changes;
  } else {
    // New, or too far behind to know what was removed since: start again from nothing. The version is
    // read first: a document written while the slices are read comes again with the next changes.
    index = new SearchIndex();
    [state] = await sqlRows<StateRow>(em, STATE);
    replica.changes.reloaded(Number(state.version));
    // PostgreSQL reads the next slice while this process indexes the one it has.
    let next: Promise<DocRow[]> | undefined = sqlRows<DocRow>(em, SLICE_DOCS, [0]);
    while (next) {
      const rows: DocRow[] = await next;
      next = rows.length === SLICE ? sqlRows<DocRow>(em, SLICE_DOCS, [rows[rows.length - 1].doc_no]) : undefined;
      // Awaited on the next turn; if indexing this slice throws first, its failure must not go unhandled.
      next?.catch(() => undefined);
      for (const r of rows) putRow(index, r);
    }
  }
  index.version = Math.max(index.version, Number(state.version));
  const taxonomyVersion = Number(state.taxonomy_version);
  if (index !== replica.index || replica.index.taxonomyVersion !== taxonomyVersion) {
    replica.taxonomy = new SearchTaxonomy(await taxonomyRows(em));
  }
  index.taxonomyVersion = taxonomyVersion;
  replica.index = index;
}

function putRow(index: SearchIndex, r: DocRow): void {
  index.put({ docNo: r.doc_no, createdAt: r.created, inStock: r.in_stock, facets: intArray(r.facets), prices: JSON.parse(r.prices) as Record<string, number>, tsv: r.tsv });
}

/** An int[] as PostgreSQL prints it: `{1,2,3}`. */
function intArray(text: string): Int32Array {
  if (text.length <= 2) return new Int32Array(0);
  const parts = text.slice(1, -1).split(',');
  const out = new Int32Array(parts.length);
  for (let i = 0; i < parts.length; i++) out[i] = Number(parts[i]);
  return out;
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
