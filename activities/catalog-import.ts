/**
 * The bulk catalog import's steps: check every row, write the products a chunk at a time, end the
 * import. The file is read from catalog_import_chunks a chunk at a time (never through the
 * workflow's history). Each step heartbeats its progress (rows done of the total), and a retry
 * after a crash goes on from the database's own record of which chunks are written: a chunk is
 * marked done in the same transaction that writes its products.
 */
import { Context } from '@temporalio/activity';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ImportChecker, rowError, type RowError } from '../src/domain/catalog-import';
import { productsOfChunk } from '../src/domain/catalog-import-upload';
import { ErrorCode } from '../src/domain/errors';
import {
  clearImportErrors, existingSkus, finishImport, importChunk, nextImportChunk, pendingImportChunks, recordChunkChecked, requireImport, setImportStatus,
  type ImportRow,
} from '../src/store/catalog-imports';
import { writeImportChunk } from '../src/store/catalog-import-batches';
import type { CatalogActor } from '../src/store/catalog-writes';
import type { CatalogImportResult, ImportProgress } from '../src/contracts/catalog-import';
import type { ActivityDeps } from './deps';

/**
 * Chunks written at once: while PostgreSQL writes one batch, the worker reads and checks the next,
 * so both cores work (measured by bench/import). More lanes only make them queue for the same cores.
 */
const WRITE_LANES = 2;

export function catalogImportActivities({ orm, logger }: ActivityDeps) {
  return {
    /**
     * Reads every row and records every error, writing nothing to the catalog. Starts afresh on a
     * retry (the whole-file checks need every row seen): the errors of an earlier attempt are cleared first.
     */
    async validateImport(importId: string): Promise<ImportProgress> {
      const em = orm.em.fork();
      const imp = await requireImport(em, importId);
      await setImportStatus(em, importId, 'validating', ['uploaded', 'validating']);
      await clearImportErrors(em, importId);
      await checkEveryRow(em, imp);
      const after = await requireImport(em, importId);
      return progressOf(after, after.rows_checked);
    },

    /**
     * Writes chunks not yet written, in file order, for about `forMs` (so the workflow can show its
     * progress between calls), each chunk's products in one transaction with the chunk's claim, on
     * WRITE_LANES connections at once.
     */
    async importChunks(input: { importId: string; forMs: number }): Promise<ImportProgress> {
      const em = orm.em.fork();
      const imp = await requireImport(em, input.importId);
      await setImportStatus(em, input.importId, 'importing', ['validating', 'importing']);
      const who: CatalogActor = { actor: imp.actor, staffId: imp.staff_id ?? undefined, keyId: imp.key_id ?? undefined };
      const until = Date.now() + input.forMs;
      const pending = await pendingImportChunks(em, input.importId);
      let taken = 0;
      let rows = imp.rows_done + imp.rows_failed;
      const lane = async () => {
        while (taken < pending.length && Date.now() < until) {
          const chunk = await importChunk(em, input.importId, pending[taken++]);
          if (!chunk || chunk.done_at) continue;
          const skip = new Set(chunk.skip_rows);
          const products = productsOfChunk(imp.format, chunk.records, imp.header, imp.currency)
            .map((r) => r.product).filter((p): p is NonNullable<typeof p> => p !== undefined && !skip.has(p.row));
          const outcome = await writeImportChunk(em, { importId: input.importId, seq: chunk.seq, who, products });
          rows += outcome.rowsDone + outcome.rowsFailed;
          Context.current().heartbeat({ phase: 'importing', rowsDone: rows, rowsTotal: imp.rows_total, chunksLeft: pending.length - taken });
        }
      };
      const lanes = await Promise.allSettled(Array.from({ length: WRITE_LANES }, lane));
      const failed = lanes.find((l): l is PromiseRejectedResult => l.status === 'rejected');
      if (failed) throw failed.reason;
      const after = await requireImport(em, input.importId);
      return { ...progressOf(after, after.rows_done), finished: taken >= pending.length };
    },

    /** Ends the import (its file's chunks deleted, its status and counts kept); safe to repeat. */
    async finishImport(input: { importId: string; status: 'completed' | 'rejected' | 'failed'; failure?: string }): Promise<CatalogImportResult> {
      const row = await finishImport(orm.em.fork(), input.importId, input.status, input.failure);
      logger.info({ importId: input.importId, status: row.status, rowsDone: row.rows_done, rowsFailed: row.rows_failed, errors: row.error_count },
        'catalog import ended');
      return {
        importId: row.id, status: row.status === 'completed' ? 'completed' : 'rejected', rowsTotal: row.rows_total, rowsDone: row.rows_done,
        rowsFailed: row.rows_failed, productsCreated: row.products_created, productsUpdated: row.products_updated, variantsWritten: row.variants_written,
        errorCount: row.error_count,
      };
    },
  };
}

/** Reads the file a chunk at a time, recording each chunk's errors and the products to leave out; heartbeats after each. */
async function checkEveryRow(em: EntityManager, imp: ImportRow): Promise<void> {
  const checker = new ImportChecker();
  let rowsChecked = 0;
  for (let chunk = await nextImportChunk(em, imp.id, -1); chunk; chunk = await nextImportChunk(em, imp.id, chunk.seq)) {
    const read = productsOfChunk(imp.format, chunk.records, imp.header, imp.currency);
    const owners = await existingSkus(em, read.flatMap((r) => r.product?.variants.map((v) => v.sku) ?? []));
    const errors: RowError[] = [];
    const skipRows: number[] = [];
    let failedRows = 0;
    for (const r of read) {
      const found = [...r.errors, ...(r.product ? [...checker.check(r.product), ...againstCatalog(r.product, owners)] : [])];
      if (found.length === 0) continue;
      errors.push(...found);
      failedRows += r.rows;
      if (r.product) skipRows.push(r.product.row);
    }
    rowsChecked += chunk.rows;
    await recordChunkChecked(em, imp.id, chunk.seq, { errors, skipRows, failedRows, rowsChecked });
    Context.current().heartbeat({ phase: 'validating', rowsDone: rowsChecked, rowsTotal: imp.rows_total });
  }
}

function progressOf(row: ImportRow, rowsDone: number): ImportProgress {
  return { rowsTotal: row.rows_total, rowsDone, rowsFailed: row.rows_failed, errorCount: row.error_count, finished: false };
}

/** What the catalog says about the file's SKUs: one of another product, or stock below what live orders hold. */
function againstCatalog(p: { handle: string; variants: { row: number; sku: string; onHand?: number }[] },
  owners: Map<string, { handle: string; reserved: number }>): RowError[] {
  return p.variants.flatMap((v) => {
    const owner = owners.get(v.sku);
    if (!owner) return [];
    if (owner.handle !== p.handle) {
      return [rowError(v.row, 'Variant SKU', `SKU ${v.sku} belongs to the product ${owner.handle}; a SKU names one variant.`, ErrorCode.SkuTaken)];
    }
    if (v.onHand !== undefined && v.onHand < owner.reserved) {
      return [rowError(v.row, 'Variant Inventory Qty', `Orders have reserved ${owner.reserved} of ${v.sku}; stock on hand cannot go below that.`,
        ErrorCode.InventoryConflict)];
    }
    return [];
  });
}
