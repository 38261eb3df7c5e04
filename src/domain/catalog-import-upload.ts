/**
 * An import's file as it streams in, cut into chunks of whole products: each chunk is a batch the
 * import writes in one transaction, so a product never straddles two. A chunk's records are JSON,
 * `[[row, fields], …]` for CSV (row numbers as a spreadsheet shows them: the header is row 1) and
 * `[[row, line], …]` for JSON lines (line numbers). Blank rows and lines are skipped (and counted
 * in no total). The file is judged by what it holds: a first character `{` is JSON lines, anything
 * else CSV with a header row.
 */
import { CsvError, CsvReader } from './csv';
import { DomainError, ErrorCode } from './errors';
import { csvLayout, handleOfRow, productFromCsv, type CsvLayout } from './catalog-import-csv';
import { productFromJsonLine, type ImportedProduct, type ImportFormat, type RowError } from './catalog-import';

export interface ImportChunk { seq: number; firstRow: number; rows: number; products: number; records: string }

/** A product spanning more rows than this (variants plus image rows) is not a product but a file missing its handles. */
export const MAX_ROWS_PER_PRODUCT = 2_000;

type Rec = [number, string[] | string];

export class ImportSplitter {
  format?: ImportFormat;
  layout?: CsvLayout;
  rowsTotal = 0;
  productsTotal = 0;
  private csv = new CsvReader();
  private lineRest = '';
  private row = 0;
  private chunks = 0;
  private pending: Rec[] = [];
  private pendingProducts = 0;
  private pendingSize = 0;
  private current: Rec[] = [];
  private currentHandle: string | undefined;

  constructor(private readonly productsPerChunk = 250, private readonly bytesPerChunk = 2 * 1024 * 1024) {}

  /** Feeds the next piece of the file; answers the chunks it completed. */
  push(text: string): ImportChunk[] {
    if (!this.format) {
      const start = text.replace(/^\uFEFF/, '').trimStart();
      if (start === '') return [];
      this.format = start.startsWith('{') ? 'jsonl' : 'csv';
    }
    const out: ImportChunk[] = [];
    if (this.format === 'csv') {
      try {
        for (const fields of this.csv.push(text)) this.csvRecord(fields, out);
      } catch (err) {
        throw fileError(err);
      }
    } else {
      const lines = (this.lineRest + text).split('\n');
      this.lineRest = lines.pop() ?? '';
      for (const line of lines) this.jsonLine(line, out);
    }
    return out;
  }

  /** The end of the file: the last chunk. */
  end(): ImportChunk[] {
    const out: ImportChunk[] = [];
    if (this.format === 'csv') {
      try {
        for (const fields of this.csv.end()) this.csvRecord(fields, out);
      } catch (err) {
        throw fileError(err);
      }
      if (!this.layout) throw new DomainError(ErrorCode.ImportFileInvalid, 'The file is empty: a CSV needs its header row and at least one product.', {});
    } else if (this.lineRest) {
      this.jsonLine(this.lineRest, out);
    }
    this.closeProduct(out, true);
    if (this.productsTotal === 0) throw new DomainError(ErrorCode.ImportFileInvalid, 'The file holds no products.', {});
    return out;
  }

  get chunksTotal(): number {
    return this.chunks;
  }

  private csvRecord(fields: string[], out: ImportChunk[]): void {
    this.row += 1;
    if (!this.layout) {
      this.layout = csvLayout(fields);
      return;
    }
    if (fields.every((f) => f.trim() === '')) return;
    const handle = handleOfRow(this.layout, fields);
    if (handle !== this.currentHandle) this.closeProduct(out);
    this.currentHandle = handle;
    this.add([this.row, fields], fields.reduce((n, f) => n + f.length + 4, 8));
  }

  private jsonLine(raw: string, out: ImportChunk[]): void {
    this.row += 1;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    this.closeProduct(out);
    this.add([this.row, line], line.length + 12);
  }

  private add(rec: Rec, size: number): void {
    if (this.current.length >= MAX_ROWS_PER_PRODUCT) {
      throw new DomainError(ErrorCode.ImportFileInvalid, `The product ${this.currentHandle} spans more than ${MAX_ROWS_PER_PRODUCT} rows (from row `
        + `${this.current[0][0]}): are its rows missing their Handle?`, { row: this.current[0][0] });
    }
    this.current.push(rec);
    this.rowsTotal += 1;
    this.pendingSize += size;
  }

  /** The product being read is complete: it joins the chunk, which is cut once full (or at the end). */
  private closeProduct(out: ImportChunk[], last = false): void {
    if (this.current.length) {
      this.pending.push(...this.current);
      this.pendingProducts += 1;
      this.productsTotal += 1;
      this.current = [];
    }
    const full = this.pendingProducts >= this.productsPerChunk || this.pendingSize >= this.bytesPerChunk;
    if (this.pendingProducts > 0 && (full || last)) {
      out.push({ seq: this.chunks++, firstRow: this.pending[0][0], rows: this.pending.length, products: this.pendingProducts, records: JSON.stringify(this.pending) });
      this.pending = [];
      this.pendingProducts = 0;
      this.pendingSize = 0;
    }
  }
}

function fileError(err: unknown): unknown {
  if (err instanceof CsvError) return new DomainError(ErrorCode.ImportFileInvalid, err.message, {});
  return err;
}

/** A chunk's records as stored, read back. */
export function chunkRecords(records: string): Rec[] {
  return JSON.parse(records) as Rec[];
}

export interface ReadProduct { product?: ImportedProduct; errors: RowError[]; rows: number }

/** The products of a chunk, each with the errors found in its rows (the CSV's columns from its header row). */
export function productsOfChunk(format: ImportFormat, records: string, header: string[] | null, currency: string): ReadProduct[] {
  const recs = chunkRecords(records);
  if (format === 'jsonl') return recs.map(([row, line]) => ({ ...productFromJsonLine(line as string, row), rows: 1 }));
  const layout = csvLayout(header ?? []);
  const out: ReadProduct[] = [];
  let group: { row: number; fields: string[] }[] = [];
  const flush = () => {
    if (group.length) out.push({ ...productFromCsv(group, layout, currency), rows: group.length });
    group = [];
  };
  for (const [row, fields] of recs) {
    if (group.length && handleOfRow(layout, fields as string[]) !== handleOfRow(layout, group[0].fields)) flush();
    group.push({ row, fields: fields as string[] });
  }
  flush();
  return out;
}
