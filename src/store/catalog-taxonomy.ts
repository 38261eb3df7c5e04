/**
 * How products are filed: categories (a tree: the database refuses a cycle), collections, and
 * attributes with their values (brand, material, …: what storefronts filter by). Each is versioned
 * like a product (If-Match) and each write is audited. Deleting one takes it off its products;
 * a category with subcategories cannot be deleted.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { changesBetween } from '../domain/catalog';
import { DomainError, ErrorCode } from '../domain/errors';
import { sqlRows, type Sql } from '../db/sql';
import { audit, bumpVersion, catalogTransaction, notFoundIn, type CatalogActor } from './catalog-writes';

export interface CategoryRow { id: string; parentId: string | null; handle: string; name: string; description: string; position: number;
  version: number; products: number }
export interface CollectionRow { id: string; handle: string; title: string; description: string; version: number; products: number }
export interface AttributeRow { id: string; code: string; name: string; filterable: boolean; position: number; version: number;
  values: { id: string; value: string; position: number; products: number }[] }

const CATEGORY = `select c.id, c.parent_id as "parentId", c.handle, c.name, c.description, c.position, c.version,
  (select count(*)::int from product_categories pc where pc.category_id = c.id) as products from categories c`;
const COLLECTION = `select c.id, c.handle, c.title, c.description, c.version,
  (select count(*)::int from product_collections pc where pc.collection_id = c.id) as products from collections c`;
const ATTRIBUTE = `select a.id, a.code, a.name, a.filterable, a.position, a.version,
  coalesce((select json_agg(json_build_object('id', v.id, 'value', v.value, 'position', v.position,
                   'products', (select count(*) from product_attribute_values pa where pa.value_id = v.id)) order by v.position, v.value)
              from attribute_values v where v.attribute_id = a.id), '[]') as values from attributes a`;

type Reader = Pick<Sql, 'rows'>;
const reader = (em: EntityManager): Reader => ({ rows: (query, values) => sqlRows(em, query, values) });

export const categories = (em: EntityManager) => reader(em).rows<CategoryRow>(`${CATEGORY} order by c.parent_id nulls first, c.position, c.name`);
export const collections = (em: EntityManager) => reader(em).rows<CollectionRow>(`${COLLECTION} order by c.title`);
export const attributes = (em: EntityManager) => reader(em).rows<AttributeRow>(`${ATTRIBUTE} order by a.position, a.code`);

export async function category(db: EntityManager | Reader, id: string): Promise<CategoryRow | undefined> {
  return (await readerOf(db).rows<CategoryRow>(`${CATEGORY} where c.id = $1`, [id]))[0];
}
export async function collection(db: EntityManager | Reader, id: string): Promise<CollectionRow | undefined> {
  return (await readerOf(db).rows<CollectionRow>(`${COLLECTION} where c.id = $1`, [id]))[0];
}
export async function attribute(db: EntityManager | Reader, id: string): Promise<AttributeRow | undefined> {
  return (await readerOf(db).rows<AttributeRow>(`${ATTRIBUTE} where a.id = $1`, [id]))[0];
}

const readerOf = (db: EntityManager | Reader): Reader => ('rows' in db ? db : reader(db));

export interface CategoryInput { handle: string; name: string; description?: string; parentId?: string | null; position?: number }

export async function createCategory(em: EntityManager, who: CatalogActor, c: CategoryInput): Promise<CategoryRow> {
  return catalogTransaction(em, async (sql) => {
    if (c.parentId) await mustExist(sql, 'categories', c.parentId);
    const [{ id }] = await sql.rows<{ id: string }>(
      'insert into categories (handle, name, description, parent_id, position) values ($1, $2, $3, $4, $5) returning id',
      [c.handle, c.name, c.description ?? '', c.parentId ?? null, c.position ?? 0]);
    const created = await category(sql, id) as CategoryRow;
    await audit(sql, who, { action: 'category.created', entity: 'category', entityId: id, version: 1, changes: created as unknown as Record<string, unknown> });
    return created;
  });
}

/** Renames, re-describes, reorders or moves a category; a move under itself or one of its descendants is refused (category_cycle). */
export async function updateCategory(em: EntityManager, who: CatalogActor, id: string, expected: number, patch: Partial<CategoryInput>): Promise<CategoryRow> {
  return versionedWrite(em, who, 'categories', id, expected, 'category.updated', category, async (sql) => {
    if (patch.parentId) await mustExist(sql, 'categories', patch.parentId);
    await sql.rows(`update categories set handle = coalesce($2, handle), name = coalesce($3, name), description = coalesce($4, description),
      position = coalesce($5, position), parent_id = case when $6 then $7::uuid else parent_id end where id = $1`,
    [id, patch.handle ?? null, patch.name ?? null, patch.description ?? null, patch.position ?? null, patch.parentId !== undefined, patch.parentId ?? null]);
  });
}

export async function deleteCategory(em: EntityManager, who: CatalogActor, id: string, expected: number): Promise<void> {
  await deleteVersioned(em, who, 'categories', id, expected, 'category.deleted', category);
}

export interface CollectionInput { handle: string; title: string; description?: string }

export async function createCollection(em: EntityManager, who: CatalogActor, c: CollectionInput): Promise<CollectionRow> {
  return catalogTransaction(em, async (sql) => {
    const [{ id }] = await sql.rows<{ id: string }>('insert into collections (handle, title, description) values ($1, $2, $3) returning id',
      [c.handle, c.title, c.description ?? '']);
    const created = await collection(sql, id) as CollectionRow;
    await audit(sql, who, { action: 'collection.created', entity: 'collection', entityId: id, version: 1, changes: created as unknown as Record<string, unknown> });
    return created;
  });
}

export async function updateCollection(em: EntityManager, who: CatalogActor, id: string, expected: number, patch: Partial<CollectionInput>)
  : Promise<CollectionRow> {
  return versionedWrite(em, who, 'collections', id, expected, 'collection.updated', collection, async (sql) => {
    await sql.rows('update collections set handle = coalesce($2, handle), title = coalesce($3, title), description = coalesce($4, description) where id = $1',
      [id, patch.handle ?? null, patch.title ?? null, patch.description ?? null]);
  });
}

export async function deleteCollection(em: EntityManager, who: CatalogActor, id: string, expected: number): Promise<void> {
  await deleteVersioned(em, who, 'collections', id, expected, 'collection.deleted', collection);
}

export interface AttributeInput { code: string; name: string; filterable?: boolean; position?: number; values?: string[] }

export async function createAttribute(em: EntityManager, who: CatalogActor, a: AttributeInput): Promise<AttributeRow> {
  return catalogTransaction(em, async (sql) => {
    const [{ id }] = await sql.rows<{ id: string }>('insert into attributes (code, name, filterable, position) values ($1, $2, $3, $4) returning id',
      [a.code, a.name, a.filterable ?? true, a.position ?? 0]);
    await sql.rows(`insert into attribute_values (attribute_id, value, position)
      select $1, v, (n - 1)::int from unnest($2::text[]) with ordinality as x(v, n)`, [id, a.values ?? []]);
    const created = await attribute(sql, id) as AttributeRow;
    await audit(sql, who, { action: 'attribute.created', entity: 'attribute', entityId: id, version: 1, changes: created as unknown as Record<string, unknown> });
    return created;
  });
}

export async function updateAttribute(em: EntityManager, who: CatalogActor, id: string, expected: number,
  patch: Partial<Omit<AttributeInput, 'code' | 'values'>>): Promise<AttributeRow> {
  return versionedWrite(em, who, 'attributes', id, expected, 'attribute.updated', attribute, async (sql) => {
    await sql.rows('update attributes set name = coalesce($2, name), filterable = coalesce($3, filterable), position = coalesce($4, position) where id = $1',
      [id, patch.name ?? null, patch.filterable ?? null, patch.position ?? null]);
  });
}

export async function deleteAttribute(em: EntityManager, who: CatalogActor, id: string, expected: number): Promise<void> {
  await deleteVersioned(em, who, 'attributes', id, expected, 'attribute.deleted', attribute);
}

/** Adds a value to an attribute, renames or reorders one, or removes one (it leaves the products that had it). */
export async function changeAttributeValues(em: EntityManager, who: CatalogActor, id: string, expected: number,
  change: { add: { value: string; position?: number } } | { update: { valueId: string; value?: string; position?: number } } | { remove: { valueId: string } })
  : Promise<AttributeRow> {
  return versionedWrite(em, who, 'attributes', id, expected, 'attribute.values_changed', attribute, async (sql) => {
    if ('add' in change) {
      await sql.rows(`insert into attribute_values (attribute_id, value, position)
        values ($1, $2, coalesce($3, (select coalesce(max(position) + 1, 0) from attribute_values where attribute_id = $1)))`,
      [id, change.add.value, change.add.position ?? null]);
      return;
    }
    const valueId = 'update' in change ? change.update.valueId : change.remove.valueId;
    const rows = 'update' in change
      ? await sql.rows('update attribute_values set value = coalesce($3, value), position = coalesce($4, position) where id = $2 and attribute_id = $1 returning id',
        [id, valueId, change.update.value ?? null, change.update.position ?? null])
      : await sql.rows('delete from attribute_values where id = $2 and attribute_id = $1 returning id', [id, valueId]);
    if (rows.length === 0) throw new DomainError(ErrorCode.AttributeNotFound, `Attribute ${id} has no value ${valueId}.`, { id, valueId });
  });
}

type Read<T> = (sql: Reader, id: string) => Promise<T | undefined>;

async function versionedWrite<T extends object>(em: EntityManager, who: CatalogActor, table: 'categories' | 'collections' | 'attributes', id: string,
  expected: number, action: string, read: Read<T>, change: (sql: Sql) => Promise<void>): Promise<T> {
  return catalogTransaction(em, async (sql) => {
    const version = await bumpVersion(sql, table, id, expected);
    const before = await read(sql, id) as T;
    await change(sql);
    const after = await read(sql, id) as T;
    await audit(sql, who, { action, entity: entityOf(table), entityId: id, version,
      changes: changesBetween(before as Record<string, unknown>, after as Record<string, unknown>) });
    return after;
  });
}

async function deleteVersioned<T extends object>(em: EntityManager, who: CatalogActor, table: 'categories' | 'collections' | 'attributes', id: string,
  expected: number, action: string, read: Read<T>): Promise<void> {
  await catalogTransaction(em, async (sql) => {
    await bumpVersion(sql, table, id, expected);
    const before = await read(sql, id);
    await sql.rows(`delete from ${table} where id = $1`, [id]);
    await audit(sql, who, { action, entity: entityOf(table), entityId: id, changes: { deleted: before } });
  });
}

const entityOf = (table: 'categories' | 'collections' | 'attributes') =>
  ({ categories: 'category', collections: 'collection', attributes: 'attribute' } as const)[table];

async function mustExist(sql: Sql, table: 'categories', id: string): Promise<void> {
  const rows = await sql.rows(`select 1 from ${table} where id = $1`, [id]);
  if (rows.length === 0) throw notFoundIn(table, id);
}
