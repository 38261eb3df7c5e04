/**
 * Accepting a bulk catalog import: the file streams into PostgreSQL in chunks of whole products
 * (one transaction with the import's row), then the import's workflow starts. The one way in for
 * POST /admin/catalog/imports and `npm run seed -- --products N`.
 *
 * Exactly once per Idempotency-Key: the import's id is made from the key, and so is its workflow's
 * id (catalog-import-<id>). A retry with the same key and the same file (and mode and currency)
 * answers the same import and starts nothing; with another file, it is refused.
 */
import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import { ImportSplitter } from '../domain/catalog-import-upload';
import type { ImportMode } from '../domain/catalog-import';
import { DomainError, ErrorCode } from '../domain/errors';
import { deleteImport, importById, storeImportUpload, type ImportRow, type UploadSummary } from '../store/catalog-imports';
import type { CatalogActor } from '../store/catalog-writes';
import type { CatalogImportInput, CatalogImportWorkflow } from '../contracts/catalog-import';
import { workflowIds } from '../contracts/temporal';

export interface ImportRequest {
  idempotencyKey: string;
  mode: ImportMode;
  /** The currency of the CSV's Variant Price column. */
  currency: string;
  who: CatalogActor;
  /** The file, as it arrives. */
  body: AsyncIterable<Buffer | string>;
  maxBytes: number;
}

export interface ImportStarter { client?: Client; taskQueue: string }

/** The import's id: a UUID made from its Idempotency-Key, so every retry names the same import. */
export function importIdOf(idempotencyKey: string): string {
  const h = createHash('sha256').update(`catalog-import\u0000${idempotencyKey}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Stores the file and starts its import; answers the import and whether this request created it. */
export async function acceptImport(em: EntityManager, temporal: ImportStarter, r: ImportRequest): Promise<{ created: boolean; row: ImportRow }> {
  if (!temporal.client) throw new DomainError(ErrorCode.ServiceUnavailable, 'This API has no connection to Temporal; the import was not taken. Try again later.');
  const id = importIdOf(r.idempotencyKey);
  const known = await importById(em, id);
  const stored = known ? undefined
    : await storeImportUpload(em, { id, idempotencyKey: r.idempotencyKey, mode: r.mode, currency: r.currency, who: r.who },
      (addChunk) => readFile(r, async (chunk) => addChunk(chunk)));
  if (!stored) {
    const existing = known ?? await importById(em, id);
    if (!existing) throw new DomainError(ErrorCode.ServiceUnavailable, 'The import with this Idempotency-Key was being dropped; send it again.');
    const sha256 = (await readFile(r, async () => undefined)).sha256;
    if (sha256 !== existing.content_sha256) {
      throw new DomainError(ErrorCode.IdempotencyKeyReused, 'This Idempotency-Key was used for another file (or mode, or currency): use a new key for a new import.',
        { importId: id });
    }
    if (existing.status === 'uploaded') await start(temporal, existing, em);
    return { created: false, row: existing };
  }
  await start(temporal, stored, em);
  return { created: true, row: stored };
}

async function start(temporal: ImportStarter, row: ImportRow, em: EntityManager): Promise<void> {
  const input: CatalogImportInput = { importId: row.id, mode: row.mode };
  try {
    await (temporal.client as Client).workflow.start<CatalogImportWorkflow>('catalogImport', {
      workflowId: workflowIds.catalogImport(row.id), taskQueue: temporal.taskQueue, args: [input],
      // Never a second run for one import, even after the first has closed.
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      staticSummary: `Catalog import of ${row.rows_total} rows (${row.products_total} products, ${row.format}, mode ${row.mode})`,
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return;
    // Not started: drop the upload, so nothing is left that no workflow will ever read; a retry with the same key sends it again.
    await deleteImport(em, row.id);
    throw new DomainError(ErrorCode.ServiceUnavailable, `The import could not be started (${(err as Error).message}); nothing was kept. Send it again.`);
  }
}

/** Reads the whole file: its hash (with the mode and currency), size and chunks, each passed to `addChunk` as it completes. */
async function readFile(r: ImportRequest, addChunk: (c: ReturnType<ImportSplitter['push']>[number]) => Promise<void>): Promise<UploadSummary> {
  const hash = createHash('sha256').update(`${r.mode}\u0000${r.currency}\u0000`);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const splitter = new ImportSplitter();
  let bytes = 0;
  const feed = async (text: string, end = false) => {
    for (const chunk of [...splitter.push(text), ...(end ? splitter.end() : [])]) await addChunk(chunk);
  };
  try {
    for await (const piece of r.body) {
      const buf = typeof piece === 'string' ? Buffer.from(piece) : piece;
      bytes += buf.length;
      if (bytes > r.maxBytes) {
        throw new DomainError(ErrorCode.PayloadTooLarge, `The file is larger than ${r.maxBytes} bytes (IMPORT_MAX_BYTES): split it into several imports.`,
          { maxBytes: r.maxBytes });
      }
      hash.update(buf);
      await feed(decoder.decode(buf, { stream: true }));
    }
    await feed(decoder.decode(), true);
  } catch (err) {
    // By its code: a TypeError of Node's own realm is not always `instanceof` this realm's TypeError (under jest, for one).
    if ((err as { code?: string }).code === 'ERR_ENCODING_INVALID_ENCODED_DATA') {
      throw new DomainError(ErrorCode.ImportFileInvalid, 'The file is not UTF-8 text: save it as CSV UTF-8 (or JSON lines) and send it again.', {});
    }
    throw err;
  }
  return { sha256: hash.digest('hex'), bytes, format: splitter.format ?? 'csv', header: splitter.layout?.header ?? null, rowsTotal: splitter.rowsTotal,
    productsTotal: splitter.productsTotal, chunksTotal: splitter.chunksTotal, ignoredColumns: splitter.layout?.ignored ?? [] };
}
