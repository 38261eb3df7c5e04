/**
 * The cards a search page shows, kept as the JSON text the answer carries while their documents do
 * not change. A card is rewritten only by the rebuild that writes its document's new version
 * (documentWrites, Migration20261207150000_search: stock flips included), and the process's copy of
 * the documents learns every document written above its version (DocumentChanges, fed by the copy's
 * sync). So a card read at catalog version V is current as long as its document has not been written
 * above V, and a kept text is shown only while that holds.
 *
 * A card read while a change is being learnt is kept with the version the request read before
 * reading it, which is never above the change's: at worst it is read again, never shown stale.
 */

/** When each document was last seen written (or removed), as the copy learns it. */
export class DocumentChanges {
  private changedAt = new Float64Array(0);
  /** No card read before this version is current (set when the copy is loaded again from nothing). */
  private floor = 0;

  /** Document `docNo` was written (or removed) at `version`. */
  changed(docNo: number, version: number): void {
    if (docNo >= this.changedAt.length) {
      const grown = new Float64Array(Math.max(docNo + 1, this.changedAt.length * 2, 1024));
      grown.set(this.changedAt);
      this.changedAt = grown;
    }
    this.changedAt[docNo] = version;
  }

  /** The copy was loaded again from nothing at `version`: what changed before it is unknown, so every card read before it is stale. */
  reloaded(version: number): void {
    this.floor = Math.max(this.floor, version);
  }

  /** A card of `docNo` read at a catalog version below this one may be stale. */
  currentFrom(docNo: number): number {
    return Math.max(this.floor, this.changedAt[docNo] ?? 0);
  }
}

/** How many cards an API process keeps unless told (SEARCH_CARDS_KEPT): the JSON of a card is about 2,000 characters. */
export const DEFAULT_CARDS_KEPT = 20_000;

/** Reads of kept texts, by every CardTexts of the process (the benchmarks print them beside the latencies). */
export const cardTextReads = { kept: 0, read: 0 };

/**
 * The texts of at most `capacity` documents' cards (each in the views it was asked in: a currency),
 * the least recently shown dropped first; 0 keeps none.
 */
export class CardTexts {
  private readonly entries = new Map<number, { at: number; texts: Map<string, string> }>();

  constructor(readonly capacity: number) {}

  get size(): number { return this.entries.size; }

  /** The text of `docNo`'s card in view `view`, if it was read at or after its document's last change. */
  get(docNo: number, view: string, changes: DocumentChanges): string | undefined {
    const entry = this.entries.get(docNo);
    if (entry && entry.at < changes.currentFrom(docNo)) this.entries.delete(docNo);
    else if (entry) {
      const text = entry.texts.get(view);
      if (text !== undefined) {
        // Shown again: the last to be dropped.
        this.entries.delete(docNo);
        this.entries.set(docNo, entry);
        cardTextReads.kept++;
        return text;
      }
    }
    cardTextReads.read++;
    return undefined;
  }

  /** Keeps `text`, made from a card read after the request read catalog version `at`. */
  put(docNo: number, at: number, view: string, text: string): void {
    if (this.capacity === 0) return;
    const entry = this.entries.get(docNo);
    if (entry) {
      // Its texts are current only while both reads are: from the older of the two versions.
      entry.at = Math.min(entry.at, at);
      entry.texts.set(view, text);
      return;
    }
    this.entries.set(docNo, { at, texts: new Map([[view, text]]) });
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as number);
  }
}
