/**
 * Bulk catalog imports: upload a product CSV (Shopify's layout) or JSON lines, which runs as the
 * workflow catalog-import-<id>; follow it (status, rows done of the total, errors by row).
 */
import busboy from 'busboy';
import { PassThrough } from 'node:stream';
import { z } from 'zod';
import type { Context } from 'koa';
import { IMPORT_FORMATS, IMPORT_MODES, IMPORT_STATUSES } from '../../domain/catalog-import';
import { DomainError, ErrorCode } from '../../domain/errors';
import { acceptImport } from '../../catalog/imports';
import { importErrors, recentImports, requireImport, type ImportRow } from '../../store/catalog-imports';
import { workflowIds } from '../../contracts/temporal';
import { idempotencyKeyOf } from '../concurrency';
import { emOf } from '../context';
import type { AppDeps } from '../deps';
import { route } from '../http';
import { currency, IDEMPOTENCY_KEY } from '../schemas';
import { CATALOG_STAFF, catalogActor } from './admin-catalog-schemas';

/** A 100,000-product catalog with six variants each is about 150 MB as CSV. */
export const DEFAULT_IMPORT_MAX_BYTES = 512 * 1024 * 1024;

const count = z.number().int();
const importView = z.object({
  id: z.uuid(), workflowId: z.string().meta({ description: 'Find it in the Temporal UI: its current details show the progress.' }),
  status: z.enum(IMPORT_STATUSES).meta({ description: 'uploaded → validating → importing → completed; rejected (mode all, errors found: nothing written); failed.' }),
  format: z.enum(IMPORT_FORMATS), mode: z.enum(IMPORT_MODES), currency: z.string(), bytes: count,
  rows: z.object({
    total: count, checked: count.meta({ description: 'Rows validation has read.' }),
    done: count.meta({ description: 'Rows written.' }), failed: count.meta({ description: 'Rows left out: their product had an error.' }),
  }),
  products: z.object({ total: count, created: count, updated: count }), variantsWritten: count,
  progress: z.number().meta({ description: 'Rows done or left out, over the total, from 0 to 1.' }),
  errorCount: count, ignoredColumns: z.array(z.string()).meta({ description: 'Columns of the file this catalog has no place for.' }),
  failure: z.string().nullable(), createdBy: z.string(), createdAt: z.string(), startedAt: z.string().nullable(), finishedAt: z.string().nullable(),
}).meta({ id: 'CatalogImport' });

const errorView = z.object({ id: z.string(), row: count, column: z.string().nullable(), code: z.string(), message: z.string() }).meta({ id: 'CatalogImportError' });

export function adminCatalogImportRoutes(deps: Pick<AppDeps, 'temporal' | 'taskQueue' | 'importMaxBytes'>) {
  return [...uploadRoutes(deps), ...readRoutes()];
}

function uploadRoutes(deps: Pick<AppDeps, 'temporal' | 'taskQueue' | 'importMaxBytes'>) {
  const maxBytes = deps.importMaxBytes ?? DEFAULT_IMPORT_MAX_BYTES;
  return [
    route({
      ...CATALOG_STAFF, method: 'post', path: '/admin/catalog/imports',
      summary: 'Import products from a CSV (Shopify\'s product CSV layout) or JSON lines; runs as the workflow catalog-import-<id>',
      query: z.strictObject({
        mode: z.enum(IMPORT_MODES).default('all').meta({ description: 'all: any bad row rejects the file, nothing written; partial: the good products are written, the bad rows reported.' }),
        currency: currency.default('USD').meta({ description: 'The currency of the CSV\'s Variant Price column (Variant Price EUR etc. name their own).' }),
      }),
      headers: { 'Idempotency-Key': { required: true, pattern: IDEMPOTENCY_KEY, description: '8–255 characters of A-Z a-z 0-9 _ . : -. A retry with the same key and file answers the same import and starts nothing.' } },
      upload: { description: `The file, at most ${maxBytes} bytes (IMPORT_MAX_BYTES), judged by its content: a first character { is JSON lines, anything else CSV.`,
        contentTypes: {
          'text/csv': 'Product CSV: a header row (Handle, Title, Body (HTML), Vendor, Type, Tags, Published, Option1 Name/Value … Variant SKU, Variant Grams, '
            + 'Variant Price, Variant Inventory Qty, Image Src, Image Alt Text, …), one row per variant, a product\'s rows together.',
          'application/x-ndjson': 'JSON lines: one product per line, in the shape of ProductInput (prices in minor units).',
          'multipart/form-data': 'Either of the above in the field "file".',
        } },
      responses: {
        202: { description: 'Taken: the import runs; follow it at Location', schema: importView },
        413: { description: 'The file is larger than IMPORT_MAX_BYTES (payload_too_large); nothing was taken' },
        422: { description: 'The file cannot be imported as a whole (import_file_invalid: empty, no products, a broken CSV or JSON line, a product spanning too many rows), '
          + 'or the Idempotency-Key was used for another file (idempotency_key_reused); nothing was taken' },
        503: { description: 'Temporal did not take the import in time (service_unavailable); a retry with the same Idempotency-Key is safe' },
      },
      handler: async (ctx, { query }) => {
        const { created, row } = await acceptImport(emOf(ctx), { client: deps.temporal.client, taskQueue: deps.taskQueue }, {
          idempotencyKey: idempotencyKeyOf(ctx, 'import'), mode: query.mode, currency: query.currency, who: catalogActor(ctx), body: fileOf(ctx), maxBytes,
        });
        ctx.state.logger.info({ importId: row.id, created, rows: row.rows_total }, created ? 'catalog import started' : 'catalog import replayed with the same Idempotency-Key');
        ctx.status = 202;
        ctx.set('Location', `/admin/catalog/imports/${row.id}`);
        ctx.body = viewOf(row);
      },
    }),
  ];
}

function readRoutes() {
  return [
    route({
      ...CATALOG_STAFF, method: 'get', path: '/admin/catalog/imports',
      summary: 'Recent imports, newest first',
      query: z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(20) }),
      responses: { 200: { description: 'Newest first', schema: z.object({ items: z.array(importView) }) } },
      handler: async (ctx, { query }) => {
        ctx.body = { items: (await recentImports(emOf(ctx), query.limit)).map(viewOf) };
      },
    }),
    route({
      ...CATALOG_STAFF, method: 'get', path: '/admin/catalog/imports/:id',
      summary: 'An import: its status, counts, progress, and a page of its errors by row',
      params: z.strictObject({ id: z.uuid() }),
      query: z.strictObject({
        errorsAfter: z.string().regex(/^\d{1,18}$/).optional().meta({ description: 'The nextErrorsAfter of the previous page.' }),
        errorsLimit: z.coerce.number().int().min(0).max(1000).default(100),
      }),
      responses: { 404: { description: 'No such import (import_not_found)' }, 200: { description: 'The import', schema: importView.extend({
        errors: z.array(errorView).meta({ description: 'In row order; the first 10,000 of an import are kept (errorCount counts all).' }),
        nextErrorsAfter: z.string().nullable(),
      }) } },
      handler: async (ctx, { params, query }) => {
        const em = emOf(ctx);
        const row = await requireImport(em, params.id);
        const errors = query.errorsLimit ? await importErrors(em, params.id, query.errorsAfter, query.errorsLimit) : [];
        ctx.body = {
          ...viewOf(row),
          errors: errors.map((e) => ({ id: e.id, row: e.row, column: e.column_name, code: e.code, message: e.message })),
          nextErrorsAfter: errors.length === query.errorsLimit && errors.length > 0 ? errors[errors.length - 1].id : null,
        };
      },
    }),
  ];
}

function viewOf(r: ImportRow) {
  return {
    id: r.id, workflowId: workflowIds.catalogImport(r.id), status: r.status, format: r.format, mode: r.mode, currency: r.currency, bytes: Number(r.bytes),
    rows: { total: r.rows_total, checked: r.rows_checked, done: r.rows_done, failed: r.rows_failed },
    products: { total: r.products_total, created: r.products_created, updated: r.products_updated }, variantsWritten: r.variants_written,
    progress: r.rows_total ? Math.min(1, (r.rows_done + r.rows_failed) / r.rows_total) : 1,
    errorCount: r.error_count, ignoredColumns: r.ignored_columns, failure: r.failure, createdBy: r.actor,
    createdAt: r.created_at.toISOString(), startedAt: r.started_at?.toISOString() ?? null, finishedAt: r.finished_at?.toISOString() ?? null,
  };
}

/** The file: the body itself, or the field "file" of a multipart/form-data body. */
function fileOf(ctx: Context): AsyncIterable<Buffer> {
  if (!ctx.request.is('multipart/form-data')) return ctx.req;
  const out = new PassThrough();
  // The reader meets the error when it reads (a destroyed stream's iterator throws it); until then, or if it
  // never reads (the request was refused first), an 'error' with no listener would end the process.
  out.on('error', () => undefined);
  let parser: busboy.Busboy;
  try {
    parser = busboy({ headers: ctx.req.headers, limits: { files: 1, fields: 10, fieldSize: 1024, parts: 12 } });
  } catch (err) {
    throw new DomainError(ErrorCode.ValidationFailed, `The multipart body cannot be read: ${(err as Error).message}.`, { in: 'body' });
  }
  let found = false;
  parser.on('file', (field, stream) => {
    if (field !== 'file' || found) {
      stream.resume();
      return;
    }
    found = true;
    stream.pipe(out);
  });
  parser.on('error', (err: Error) => out.destroy(new DomainError(ErrorCode.ValidationFailed, `The multipart body cannot be read: ${err.message}.`, { in: 'body' })));
  parser.on('close', () => {
    if (!found) out.destroy(new DomainError(ErrorCode.ImportFileInvalid, 'The body has no file in the field "file": send the CSV or JSON lines file there, or as the body itself.', { in: 'body' }));
  });
  ctx.req.pipe(parser);
  return out;
}
