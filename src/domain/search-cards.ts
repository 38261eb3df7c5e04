/**
 * The cards of documents an API process has shown, kept while their documents do not change. A card
 * is rewritten only by the rebuild that writes its document's new version (documentWrites,
 * Migration20261207150000_search: stock flips included), and the process's copy of the documents
 * learns every document written above its version. So a card read at catalog version V is current
 * as long as its document has not been written above V: `changed` records the version each
 * document was last seen written at, and `get` answers only a card read at or after it.
 *
 * A card read while a change is being learnt is stored with the version the request read before
 * reading it, which is never above the change's: at worst it is read again, never shown stale.
 */
export class CardCache<T> {
  private readonly cards = new Map<number, { at: number; card: T }>();
  private changedAt = new Float64Array(0);
  /** No card read before this version is current (set when the copy is loaded again from nothing). */
  private floor = 0;

  constructor(private readonly capacity: number) {}

  get size(): number { return this.cards.size; }

  /** The card of `docNo` if it was read at or after its document's last change. */
  get(docNo: number): T | undefined {
    const entry = this.cards.get(docNo);
    if (!entry) return undefined;
    if (entry.at < this.floor || entry.at < (this.changedAt[docNo] ?? 0)) {
      this.cards.delete(docNo);
      return undefined;
    }
    return entry.card;
  }

  /** Keeps `card`, read after the request read catalog version `at`; the oldest kept card goes when full. */
  put(docNo: number, at: number, card: T): void {
    this.cards.delete(docNo);
    this.cards.set(docNo, { at, card });
    if (this.cards.size > this.capacity) this.cards.delete(this.cards.keys().next().value as number);
  }

  /** Document `docNo` was written (or removed) at `version`: a card read before it is stale. */
  changed(docNo: number, version: number): void {
    if (docNo >= this.changedAt.length) {
      const grown = new Float64Array(Math.max(docNo + 1, this.changedAt.length * 2, 1024));
      grown.set(this.changedAt);
      this.changedAt = grown;
    }
    this.changedAt[docNo] = version;
    this.cards.delete(docNo);
  }

  /** Forgets every card (the copy was loaded again from nothing, so what changed in between is unknown). */
  clear(version: number): void {
    this.cards.clear();
    this.floor = Math.max(this.floor, version);
  }
}
