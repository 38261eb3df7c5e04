import { CardCache } from '../../src/domain/search-cards';

describe('the cards a process keeps while their documents do not change', () => {
  it('answers a card read at or after its document\'s last change, and not one read before', () => {
    const cards = new CardCache<string>(10);
    cards.put(7, 5, 'card at 5');
    expect(cards.get(7)).toBe('card at 5');
    cards.changed(7, 6);
    expect(cards.get(7)).toBeUndefined();
    cards.put(7, 6, 'card at 6');
    expect(cards.get(7)).toBe('card at 6');
    expect(cards.get(8)).toBeUndefined();
  });

  it('never keeps a card read before a change it learnt of while the card was being read', () => {
    const cards = new CardCache<string>(10);
    // A request read version 5, then its card of document 3; meanwhile the copy learnt document 3 was written at 6.
    cards.changed(3, 6);
    cards.put(3, 5, 'read after version 5');
    expect(cards.get(3)).toBeUndefined();
    // A document the copy has never seen change, far beyond the others, is kept.
    cards.put(5000, 5, 'far');
    expect(cards.get(5000)).toBe('far');
  });

  it('forgets everything read before the copy was loaded again from nothing', () => {
    const cards = new CardCache<string>(10);
    cards.put(1, 4, 'a');
    cards.clear(9);
    expect(cards.get(1)).toBeUndefined();
    cards.put(2, 8, 'read before the reload, stored after it');
    expect(cards.get(2)).toBeUndefined();
    cards.put(2, 9, 'b');
    expect(cards.get(2)).toBe('b');
  });

  it('keeps at most its capacity, dropping the card kept longest', () => {
    const cards = new CardCache<number>(3);
    for (const d of [1, 2, 3, 4]) cards.put(d, 1, d);
    expect(cards.size).toBe(3);
    expect(cards.get(1)).toBeUndefined();
    expect([2, 3, 4].map((d) => cards.get(d))).toEqual([2, 3, 4]);
  });
});
