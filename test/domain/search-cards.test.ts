import { CardTexts, DocumentChanges } from '../../src/domain/search-cards';

describe('the card texts a process keeps while their documents do not change', () => {
  it('answers a text read at or after its document\'s last change, and not one read before', () => {
    const changes = new DocumentChanges();
    const texts = new CardTexts(10);
    texts.put(7, 5, 'USD', 'card at 5');
    expect(texts.get(7, 'USD', changes)).toBe('card at 5');
    changes.changed(7, 6);
    expect(texts.get(7, 'USD', changes)).toBeUndefined();
    expect(texts.size).toBe(0);
    texts.put(7, 6, 'USD', 'card at 6');
    expect(texts.get(7, 'USD', changes)).toBe('card at 6');
    expect(texts.get(8, 'USD', changes)).toBeUndefined();
  });

  it('keeps each view (currency) of a card apart, current only while the older of their reads is', () => {
    const changes = new DocumentChanges();
    const texts = new CardTexts(10);
    texts.put(1, 8, 'USD', 'dollars');
    expect(texts.get(1, 'EUR', changes)).toBeUndefined();
    texts.put(1, 5, 'EUR', 'euros read at 5');
    expect([texts.get(1, 'USD', changes), texts.get(1, 'EUR', changes)]).toEqual(['dollars', 'euros read at 5']);
    // A change at 6 is in the dollars' text, not in the euros': both go.
    changes.changed(1, 6);
    expect([texts.get(1, 'USD', changes), texts.get(1, 'EUR', changes)]).toEqual([undefined, undefined]);
  });

  it('never keeps a text read before a change it learnt of while the card was being read', () => {
    const changes = new DocumentChanges();
    const texts = new CardTexts(10);
    // A request read version 5, then its card of document 3; meanwhile the copy learnt document 3 was written at 6.
    changes.changed(3, 6);
    texts.put(3, 5, 'USD', 'read after version 5');
    expect(texts.get(3, 'USD', changes)).toBeUndefined();
    // A document the copy has never seen change, far beyond the others, is kept.
    texts.put(5000, 5, 'USD', 'far');
    expect(texts.get(5000, 'USD', changes)).toBe('far');
  });

  it('shows nothing read before the copy was loaded again from nothing', () => {
    const changes = new DocumentChanges();
    const texts = new CardTexts(10);
    texts.put(1, 4, 'USD', 'a');
    changes.reloaded(9);
    expect(texts.get(1, 'USD', changes)).toBeUndefined();
    texts.put(2, 8, 'USD', 'read before the reload, kept after it');
    expect(texts.get(2, 'USD', changes)).toBeUndefined();
    texts.put(2, 9, 'USD', 'b');
    expect(texts.get(2, 'USD', changes)).toBe('b');
  });

  it('keeps at most its capacity, dropping the card shown longest ago', () => {
    const changes = new DocumentChanges();
    const texts = new CardTexts(3);
    for (const d of [1, 2, 3]) texts.put(d, 1, 'USD', String(d));
    expect(texts.get(1, 'USD', changes)).toBe('1'); // shown again: 2 is now the longest ago
    texts.put(4, 1, 'USD', '4');
    expect(texts.size).toBe(3);
    expect([1, 2, 3, 4].map((d) => texts.get(d, 'USD', changes))).toEqual(['1', undefined, '3', '4']);
  });

  it('keeps none with a capacity of 0', () => {
    const texts = new CardTexts(0);
    texts.put(1, 1, 'USD', 'a');
    expect(texts.get(1, 'USD', new DocumentChanges())).toBeUndefined();
  });
});
