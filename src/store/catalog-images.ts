/**
 * Uploaded image objects (image_objects: one row per stored file, content-addressed) and the
 * clean-up of orphans, the objects no product refers to any more.
 *
 * Storage and table stay in step through the object's row lock. An upload upserts the row first
 * (taking its lock and marking it just uploaded), then writes the file, then commits; the clean-up
 * locks an old, unreferenced row (skipping one somebody holds), deletes the file, then the row,
 * then commits. So an upload of the same bytes either waits for a clean-up to finish and then
 * writes the file anew, or makes the clean-up pass its row by. A product that starts referring to
 * the object meanwhile holds a key-share lock on the row (its foreign key), which the clean-up's
 * lock skips too; and the row cannot be deleted while a product refers to it (the foreign key again).
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { ImageType } from '../domain/images';
import { sqlRows, sqlTransaction } from '../db/sql';
import { audit, type CatalogActor } from './catalog-writes';

export interface ImageObject { key: string; contentType: ImageType; bytes: number; width?: number; height?: number }

export interface ImageObjectRow { key: string; content_type: ImageType; bytes: number; width: number | null; height: number | null; uploaded_at: Date }

/**
 * Records an uploaded object and runs `write` (the storage put) while holding its row, so a
 * clean-up cannot delete it meanwhile; audited when `who` uploaded it.
 */
export async function recordImageObject(em: EntityManager, o: ImageObject, write: () => Promise<void>, who?: CatalogActor): Promise<ImageObjectRow> {
  return sqlTransaction(em, async (sql) => {
    const [row] = await sql.rows<ImageObjectRow>(
      `insert into image_objects (key, content_type, bytes, width, height) values ($1, $2, $3, $4, $5)
       on conflict (key) do update set uploaded_at = now()
       returning key, content_type, bytes, width, height, uploaded_at`,
      [o.key, o.contentType, o.bytes, o.width ?? null, o.height ?? null]);
    await write();
    if (who) {
      await audit(sql, who, { action: 'image.uploaded', entity: 'image', entityId: o.key,
        changes: { contentType: o.contentType, bytes: o.bytes, width: o.width ?? null, height: o.height ?? null } });
    }
    return row;
  });
}

export async function imageObject(em: EntityManager, key: string): Promise<ImageObjectRow | undefined> {
  const [row] = await sqlRows<ImageObjectRow>(em,
    'select key, content_type, bytes, width, height, uploaded_at from image_objects where key = $1', [key]);
  return row;
}

/** Keys of objects uploaded before `uploadedBefore` that no product refers to, oldest first. */
export async function orphanImageKeys(em: EntityManager, uploadedBefore: Date, limit: number, after = ''): Promise<string[]> {
  const rows = await sqlRows<{ key: string }>(em,
    `select o.key from image_objects o
      where o.uploaded_at < $1 and o.key > $3
        and not exists (select 1 from product_images i where i.object_key = o.key)
      order by o.key limit $2`, [uploadedBefore, limit, after]);
  return rows.map((r) => r.key);
}

/**
 * Deletes one orphan: its file (`deleteFile`), then its row, under the row's lock. False when it is
 * no longer an orphan (a product refers to it, it was uploaded again since, or someone holds it).
 */
export async function deleteOrphanImage(em: EntityManager, key: string, uploadedBefore: Date, deleteFile: (key: string) => Promise<void>): Promise<boolean> {
  return sqlTransaction(em, async (sql) => {
    const [row] = await sql.rows<{ key: string }>(
      `select key from image_objects o
        where key = $1 and uploaded_at < $2 and not exists (select 1 from product_images i where i.object_key = o.key)
        for update skip locked`, [key, uploadedBefore]);
    if (!row) return false;
    // A product that took the object after this statement's snapshot makes the delete fail on the foreign key: keep it then.
    const deleted = await sql.rows<{ key: string }>(
      `delete from image_objects o where key = $1 and not exists (select 1 from product_images i where i.object_key = o.key) returning key`, [key]);
    if (deleted.length === 0) return false;
    await deleteFile(key);
    return true;
  }).catch((err: { code?: string }) => {
    if (err.code === '23503') return false;
    throw err;
  });
}
