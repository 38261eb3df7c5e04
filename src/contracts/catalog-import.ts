/** The bulk catalog import (workflows/catalog-import.ts), started by POST /admin/catalog/imports as `catalog-import-<importId>`. */
import type { ImportMode } from '../domain/catalog-import';

export interface CatalogImportInput {
  /** The import's row in catalog_imports: its file is read from there in chunks, never passed through the workflow's history. */
  importId: string;
  /** all: any bad row and nothing is written; partial: the good products are written, the bad rows reported. */
  mode: ImportMode;
}

/** Where an import stands, as the activities report it (and as GET /admin/catalog/imports/:id shows it). */
export interface ImportProgress {
  rowsTotal: number;
  /** Rows checked by validation, or written by the import. */
  rowsDone: number;
  /** Rows left out: those of products with an error (partial mode) or refused when written. */
  rowsFailed: number;
  errorCount: number;
  /** Every chunk is written. */
  finished: boolean;
}

export interface CatalogImportResult {
  importId: string;
  status: 'completed' | 'rejected';
  rowsTotal: number;
  rowsDone: number;
  rowsFailed: number;
  productsCreated: number;
  productsUpdated: number;
  variantsWritten: number;
  errorCount: number;
}

export type CatalogImportWorkflow = (input: CatalogImportInput) => Promise<CatalogImportResult>;
