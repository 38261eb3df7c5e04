import { MAX_LINES_PER_CART, MAX_QUANTITY_PER_LINE, planCartMerge } from '../../src/domain/cart';

const target = (lines: [string, number][], currency = 'USD') => ({ currency, lines: new Map(lines) });

describe('merging a guest cart into a customer\'s', () => {
  it('adds the quantities of the lines both carts hold, and adds the others', () => {
    expect(planCartMerge({ target: target([['MUG', 1]]), guest: { currency: 'USD', lines: [
      { sku: 'MUG', quantity: 2, available: 10 }, { sku: 'TEE', quantity: 1, available: 10 }] } }))
      .toEqual([{ sku: 'MUG', requested: 2, added: 2, quantity: 3 }, { sku: 'TEE', requested: 1, added: 1, quantity: 1 }]);
  });

  it('adds only what the stock allows, and says so; never lowers a line the customer already had', () => {
    expect(planCartMerge({ target: target([['MUG', 3], ['TEE', 4]]), guest: { currency: 'USD', lines: [
      { sku: 'MUG', quantity: 4, available: 5 }, { sku: 'TEE', quantity: 1, available: 2 }, { sku: 'CAP', quantity: 1, available: 0 }] } }))
      .toEqual([
        { sku: 'MUG', requested: 4, added: 2, quantity: 5, shortfall: 'insufficient_stock' },
        { sku: 'TEE', requested: 1, added: 0, quantity: 4, shortfall: 'insufficient_stock' },
        { sku: 'CAP', requested: 1, added: 0, quantity: 0, shortfall: 'insufficient_stock' },
      ]);
  });

  it('keeps a line within the per-line cap and the cart within its number of lines', () => {
    const full = target(Array.from({ length: MAX_LINES_PER_CART }, (_, i): [string, number] => [`S${i}`, 1]));
    expect(planCartMerge({ target: full, guest: { currency: 'USD', lines: [
      { sku: 'S0', quantity: MAX_QUANTITY_PER_LINE, available: 5000 }, { sku: 'NEW', quantity: 1, available: 5 }] } }))
      .toEqual([
        { sku: 'S0', requested: MAX_QUANTITY_PER_LINE, added: MAX_QUANTITY_PER_LINE - 1, quantity: MAX_QUANTITY_PER_LINE, shortfall: 'cart_too_large' },
        { sku: 'NEW', requested: 1, added: 0, quantity: 0, shortfall: 'cart_too_large' },
      ]);
  });

  it('merges nothing from a cart in another currency', () => {
    expect(planCartMerge({ target: target([]), guest: { currency: 'EUR', lines: [{ sku: 'MUG', quantity: 1, available: 9 }] } }))
      .toEqual([{ sku: 'MUG', requested: 1, added: 0, quantity: 0, shortfall: 'currency_mismatch' }]);
  });
});
