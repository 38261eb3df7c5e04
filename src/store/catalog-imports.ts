/**
 * Bulk catalog imports: the import's row (who, what, status, counts), its file as chunks of whole
 * products, and the errors found in its rows. The products themselves are written by
 * catalog-import-batches.ts. An upload is stored in one transaction with its import: a body cut off
 * half-way, or refused, leaves nothing behind.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { DomainError, ErrorCode } from '../domain/errors';
import type { ImportFormat, ImportMode, ImportStatus, RowError } from '../domain/catalog-import';
import { sqlRows, sqlTransaction, type Sql } from '../db/sql';
import type { CatalogActor } from './catalog-writes';

/** Errors kept per import: a file that is wrong on every row says so in its first errors and in error_count. */
export const MAX_STORED_ERRORS = 10_000;

export interface ImportRow {
  id: string; idempotency_key: string; content_sha256: string; format: ImportFormat; mode: ImportMode; currency: string; header: string[] | null; ignored_columns: string[];
  status: ImportStatus; bytes: string; rows_total: number; products_total: number; chunks_total: number; rows_checked: number; rows_done: number; rows_failed: number;
  products_created: number; products_updated: number; variants_written: number; error_count: number; failure: string | null;
  actor: string; staff_id: string | null; key_id: string | null; created_at: Date; started_at: Date | null; finished_at: Date | null;
}

const COLUMNS = `id, idempotency_key, content_sha256, format, mode, currency, header, ignored_columns, status, bytes, rows_total, products_total, chunks_total,
  rows_checked, rows_done, rows_failed, products_created, products_updated, variants_written, error_count, failure, actor, staff_id, key_id, created_at, started_at, finished_at`;

/** The format is known once the file starts (it is judged by its content): 'csv' until then. */
export interface NewImport { id: string; idempotencyKey: string; mode: ImportMode; currency: string; who: CatalogActor }

export interface UploadChunk { seq: number; firstRow: number; rows: number; products: number; records: string }

export interface UploadSummary { sha256: string; bytes: number; format: ImportFormat; header: string[] | null; rowsTotal: number; productsTotal: number;
  chunksTotal: number; ignoredColumns: string[] }

/**
 * Stores an import and its file: `read` streams the file in, calling `addChunk` for each chunk of
 * whole products, and answers what it read. All in one transaction. Answers undefined, with
 * nothing read, when an import with this id exists already (a retry, or a concurrent duplicate).
 */
export async function storeImportUpload(em: EntityManager, n: NewImport,
  read: (addChunk: (c: UploadChunk) => Promise<void>) => Promise<UploadSummary>): Promise<ImportRow | undefined> {
  try {
    return await sqlTransaction(em, async (sql) => {
      const [claimed] = await sql.rows<{ id: string }>(
        `insert into catalog_imports (id, idempotency_key, content_sha256, format, mode, currency, bytes, rows_total, products_total, chunks_total,
           actor, staff_id, key_id, request_id)
         values ($1, $2, repeat('0', 64), 'csv', $3, $4, 0, 0, 0, 0, $5, $6, $7, $8) on conflict (id) do nothing returning id`,
        [n.id, n.idempotencyKey, n.mode, n.currency, n.who.actor, n.who.staffId ?? null, n.who.keyId ?? null, n.who.requestId ?? null]);
      if (!claimed) return undefined;
      const summary = await read((c) => sql.rows(
        'insert into catalog_import_chunks (import_id, seq, first_row, rows, products, records) values ($1, $2, $3, $4, $5, $6)',
        [n.id, c.seq, c.firstRow, c.rows, c.products, c.records]).then(() => undefined));
      const [row] = await sql.rows<ImportRow>(
        `update catalog_imports set content_sha256 = $2, bytes = $3, rows_total = $4, products_total = $5, chunks_total = $6, ignored_columns = $7,
           format = $8, header = $9 where id = $1 returning ${COLUMNS}`,
        [n.id, summary.sha256, summary.bytes, summary.rowsTotal, summary.productsTotal, summary.chunksTotal, summary.ignoredColumns, summary.format, summary.header]);
      return row;
    });
  } catch (err) {
    // The same idempotency key under another id cannot happen (the id is made from the key); a unique violation is a concurrent twin.
    if ((err as { code?: string }).code === '23505') return undefined;
    throw err;
  }
}

export async function importById(em: EntityManager, id: string): Promise<ImportRow | undefined> {
  const [row] = await sqlRows<ImportRow>(em, `select ${COLUMNS} from catalog_imports where id = $1`, [id]);
  return row;
}

export async function requireImport(em: EntityManager, id: string): Promise<ImportRow> {
  const row = await importById(em, id);
  if (!row) throw new DomainError(ErrorCode.ImportNotFound, `Import ${id} does not exist.`, { id });
  return row;
}

/** The most recent imports first. */
export async function recentImports(em: EntityManager, limit: number): Promise<ImportRow[]> {
  return sqlRows<ImportRow>(em, `select ${COLUMNS} from catalog_imports order by created_at desc, id limit $1`, [limit]);
}

/** Drops an import whose workflow could not be started, so a retry with the same key uploads it again. */
export async function deleteImport(em: EntityManager, id: string): Promise<void> {
  await sqlRows(em, `delete from catalog_imports where id = $1 and status = 'uploaded'`, [id]);
}

export interface ErrorPageRow { id: string; row: number; column_name: string | null; code: string; message: string }

/** A page of an import's errors in row order, after the error `after` (an id from the previous page). */
export async function importErrors(em: EntityManager, id: string, after: string | undefined, limit: number): Promise<ErrorPageRow[]> {
  return sqlRows<ErrorPageRow>(em,
    `select e.id::text as id, e.row, e.column_name, e.code, e.message from catalog_import_errors e
      where e.import_id = $1 and ($2::bigint is null or (e.row, e.id) > (select row, id from catalog_import_errors where import_id = $1 and id = $2::bigint))
      order by e.row, e.id limit $3`, [id, after ?? null, limit]);
}

export interface StoredChunk { seq: number; first_row: number; rows: number; products: number; records: string; skip_rows: number[]; done_at: Date | null }

/** The chunk after `afterSeq` (the first with -1), with its records; undefined past the last. */
export async function nextImportChunk(em: EntityManager, id: string, afterSeq: number): Promise<StoredChunk | undefined> {
  const [row] = await sqlRows<StoredChunk>(em,
    `select seq, first_row, rows, products, records, skip_rows, done_at from catalog_import_chunks
      where import_id = $1 and seq > $2 order by seq limit 1`, [id, afterSeq]);
  return row;
}

/** The chunks not written yet, in file order. */
export async function pendingImportChunks(em: EntityManager, id: string): Promise<number[]> {
  const rows = await sqlRows<{ seq: number }>(em, 'select seq from catalog_import_chunks where import_id = $1 and done_at is null order by seq', [id]);
  return rows.map((r) => r.seq);
}

export async function importChunk(em: EntityManager, id: string, seq: number): Promise<StoredChunk | undefined> {
  const [row] = await sqlRows<StoredChunk>(em,
    'select seq, first_row, rows, products, records, skip_rows, done_at from catalog_import_chunks where import_id = $1 and seq = $2', [id, seq]);
  return row;
}

/** Moves an import to `status` (only from one of `from`); false when it was not in one of them. */
export async function setImportStatus(em: EntityManager, id: string, status: ImportStatus, from: ImportStatus[]): Promise<boolean> {
  const rows = await sqlRows(em,
    `update catalog_imports set status = $2, updated_at = now(), started_at = coalesce(started_at, now()) where id = $1 and status = any($3::text[]) returning id`,
    [id, status, from]);
  return rows.length > 0;
}

/** A validation pass starts afresh: a retried pass must not count its errors twice. */
export async function clearImportErrors(em: EntityManager, id: string): Promise<void> {
  await sqlTransaction(em, async (sql) => {
    await sql.rows('delete from catalog_import_errors where import_id = $1', [id]);
    await sql.rows('update catalog_imports set error_count = 0, rows_failed = 0, rows_checked = 0 where id = $1', [id]);
  });
}

/** Records errors (the first MAX_STORED_ERRORS of an import are kept; all are counted) and, with `failedRows`, the rows they leave out. */
export async function recordImportErrors(sql: Sql, id: string, errors: RowError[], failedRows = 0): Promise<void> {
  if (errors.length === 0 && failedRows === 0) return;
  const [row] = await sql.rows<{ error_count: number }>(
    `update catalog_imports set error_count = error_count + $2, rows_failed = rows_failed + $3, updated_at = now() where id = $1
     returning error_count - $2 as error_count`, [id, errors.length, failedRows]);
  const kept = errors.slice(0, Math.max(0, MAX_STORED_ERRORS - row.error_count));
  if (kept.length === 0) return;
  await sql.rows(`insert into catalog_import_errors (import_id, row, column_name, code, message)
    select $1, * from unnest($2::int[], $3::text[], $4::text[], $5::text[])`,
  [id, kept.map((e) => e.row), kept.map((e) => e.column), kept.map((e) => e.code), kept.map((e) => e.message.slice(0, 2000))]);
}

/**
 * What validation found in chunk `seq`: its errors, the products left out (by first row) and the
 * rows they span, and how far validation has got. Written again the same way if validation reruns.
 */
export async function recordChunkChecked(em: EntityManager, id: string, seq: number, c: { errors: RowError[]; skipRows: number[]; failedRows: number;
  rowsChecked: number }): Promise<void> {
  await sqlTransaction(em, async (sql) => {
    await sql.rows('update catalog_import_chunks set skip_rows = $3 where import_id = $1 and seq = $2', [id, seq, c.skipRows]);
    await sql.rows('update catalog_imports set rows_checked = $2, updated_at = now() where id = $1', [id, c.rowsChecked]);
    await recordImportErrors(sql, id, c.errors, c.failedRows);
  });
}

/** Who owns each of these SKUs already (by product handle), and how much of each live orders hold. */
export async function existingSkus(em: EntityManager, skus: string[]): Promise<Map<string, { handle: string; reserved: number }>> {
  const rows = await sqlRows<{ sku: string; handle: string; reserved: number }>(em,
    `select v.sku, p.handle, coalesce(i.reserved, 0) as reserved from variants v join products p on p.id = v.product_id
       left join inventory i on i.sku = v.sku where v.sku = any($1::text[])`, [skus]);
  return new Map(rows.map((r) => [r.sku, { handle: r.handle, reserved: r.reserved }]));
}

/** Ends an import: its status, when, why (a failure), and its file's chunks deleted (the import and its errors stay). */
export async function finishImport(em: EntityManager, id: string, status: 'completed' | 'rejected' | 'failed', failure?: string): Promise<ImportRow> {
  return sqlTransaction(em, async (sql) => {
    await sql.rows('delete from catalog_import_chunks where import_id = $1', [id]);
    const [row] = await sql.rows<ImportRow>(
      `update catalog_imports set status = case when status in ('completed', 'rejected', 'failed') then status else $2 end,
         failure = coalesce(failure, $3), finished_at = coalesce(finished_at, now()), updated_at = now()
        where id = $1 returning ${COLUMNS}`, [id, status, failure ?? null]);
    return row;
  });
}
