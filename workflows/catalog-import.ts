/**
 * catalog-import-<id>: a bulk catalog import (POST /admin/catalog/imports). Checks every row of the
 * file first; in mode `all` any error rejects the whole file with nothing written, in mode
 * `partial` the products with errors are left out. Then writes the products a chunk at a time,
 * showing its progress (rows done of the total) as its current details, and ends the import, which
 * deletes the stored file. The file stays in PostgreSQL: only its id passes through this history.
 */
import { ApplicationFailure, CancellationScope, proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { DB_STEP, TRANSIENT_RETRY } from './policies';
import type { CatalogImportInput, CatalogImportResult, ImportProgress } from '../src/contracts/catalog-import';

/**
 * Both long steps heartbeat after every chunk (well under a second apart): 15 s without one means
 * the worker died, and another worker resumes the step from the database's record of what is done.
 */
const HEARTBEAT_TIMEOUT = '15 seconds';
/** Validation reads the whole file in one attempt (its whole-file checks need every row): a 600,000-row file takes seconds, so an hour is a stuck step. */
const validation = proxyActivities<Activities>({ startToCloseTimeout: '1 hour', heartbeatTimeout: HEARTBEAT_TIMEOUT, retry: TRANSIENT_RETRY });
/** Each call writes for about WRITE_SLICE_MS and returns, so the progress shown here moves; 5 minutes means a stuck call. */
const writing = proxyActivities<Activities>({ startToCloseTimeout: '5 minutes', heartbeatTimeout: HEARTBEAT_TIMEOUT, retry: TRANSIENT_RETRY });
const bookkeeping = proxyActivities<Activities>(DB_STEP);

const WRITE_SLICE_MS = 10_000;

export async function catalogImport(input: CatalogImportInput): Promise<CatalogImportResult> {
  const { importId } = input;
  try {
    setCurrentDetails('Checking every row of the file before anything is written');
    const checked = await validation.validateImport.executeWithOptions({ summary: 'Check every row' }, [importId]);
    if (checked.errorCount > 0 && input.mode === 'all') {
      setCurrentDetails(`Rejected: ${checked.errorCount} error(s) in ${checked.rowsFailed} of ${checked.rowsTotal} rows; nothing written`);
      return await bookkeeping.finishImport.executeWithOptions({ summary: 'Reject the file' }, [{ importId, status: 'rejected' }]);
    }
    setCurrentDetails(describe(checked, 0));
    let progress: ImportProgress;
    do {
      progress = await writing.importChunks.executeWithOptions({ summary: 'Write products' }, [{ importId, forMs: WRITE_SLICE_MS }]);
      setCurrentDetails(describe(progress, progress.rowsDone + progress.rowsFailed));
    } while (!progress.finished);
    const result = await bookkeeping.finishImport.executeWithOptions({ summary: 'End the import' }, [{ importId, status: 'completed' }]);
    setCurrentDetails(`Done: ${result.productsCreated} product(s) created, ${result.productsUpdated} updated, ${result.rowsFailed} row(s) left out`);
    return result;
  } catch (err) {
    // Recorded as failed even when cancelled, so GET /admin/catalog/imports/:id never shows a dead import as running.
    const failure = err instanceof ApplicationFailure || err instanceof Error ? err.message : String(err);
    await CancellationScope.nonCancellable(() => bookkeeping.finishImport.executeWithOptions({ summary: 'Record the failure' },
      [{ importId, status: 'failed', failure }]));
    throw err;
  }
}

function describe(p: ImportProgress, done: number): string {
  const percent = p.rowsTotal ? Math.floor((done / p.rowsTotal) * 100) : 100;
  return `Writing products: ${done} of ${p.rowsTotal} rows (${percent}%)${p.rowsFailed ? `, ${p.rowsFailed} left out for errors` : ''}`;
}
