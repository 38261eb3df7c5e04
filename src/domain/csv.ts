/**
 * CSV as RFC 4180 and spreadsheets write it, read as it streams in: fields separated by commas,
 * quoted when they hold a comma, a quote ("" inside quotes) or a line break, records ended by LF or
 * CRLF. A byte-order mark at the start is dropped. Text is fed in pieces of any size (a piece may
 * end inside a field, a quote or a CRLF); each call answers the records it completed.
 */
export class CsvReader {
  private field = '';
  private record: string[] = [];
  private quoted = false;
  /** Inside quotes, the last character was a quote: the next one says whether it closed the field or was doubled. */
  private quotePending = false;
  private started = false;
  /** A record ended on CR: a LF right after it belongs to the same line break. */
  private afterCr = false;

  push(text: string): string[][] {
    const out: string[][] = [];
    let i = 0;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) i = 1;
    }
    const n = text.length;
    while (i < n) {
      if (this.afterCr) {
        this.afterCr = false;
        if (text.charCodeAt(i) === 10) {
          i++;
          continue;
        }
      }
      if (this.quotePending) {
        this.quotePending = false;
        if (text.charCodeAt(i) === 34) {
          this.field += '"';
          i++;
          continue;
        }
        this.quoted = false;
      }
      if (this.quoted) {
        const q = text.indexOf('"', i);
        if (q < 0) {
          this.field += text.slice(i);
          break;
        }
        this.field += text.slice(i, q);
        this.quotePending = true;
        i = q + 1;
        continue;
      }
      // Unquoted: copy up to the next comma, quote or line break in one slice.
      let j = i;
      while (j < n) {
        const c = text.charCodeAt(j);
        if (c === 44 || c === 10 || c === 13 || c === 34) break;
        j++;
      }
      if (j > i) this.field += text.slice(i, j);
      if (j === n) break;
      const c = text.charCodeAt(j);
      i = j + 1;
      if (c === 34) {
        // A quote opens a quoted field only at its start; elsewhere it is kept as written (as spreadsheets read it).
        if (this.field === '') this.quoted = true;
        else this.field += '"';
      } else if (c === 44) {
        this.record.push(this.field);
        this.field = '';
      } else {
        out.push(this.endRecord());
        if (c === 13) this.afterCr = true;
      }
    }
    return out;
  }

  /** The last record, when the text did not end with a line break; throws on a quote left open. */
  end(): string[][] {
    if (this.quoted && !this.quotePending) throw new CsvError('The file ends inside a quoted field: a closing quote (") is missing.');
    if (this.field === '' && this.record.length === 0) return [];
    return [this.endRecord()];
  }

  private endRecord(): string[] {
    this.record.push(this.field);
    const done = this.record;
    this.record = [];
    this.field = '';
    this.quoted = false;
    return done;
  }
}

export class CsvError extends Error {}

/** A field as CSV writes it: quoted when it must be. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function csvLine(fields: string[]): string {
  return `${fields.map(csvField).join(',')}\n`;
}
