/** Money is an integer count of minor units (cents) plus an ISO 4217 currency; never a float. */
export interface Money {
  amount: number;
  currency: string;
}

const ZERO_DECIMAL = new Set(['JPY', 'KRW', 'VND', 'CLP', 'ISK', 'HUF', 'TWD', 'UGX']);

export function minorUnitDigits(currency: string): number {
  return ZERO_DECIMAL.has(currency) ? 0 : 2;
}

export function money(amount: number, currency: string): Money {
  if (!Number.isSafeInteger(amount)) throw new RangeError(`Money amounts are whole minor units; got ${amount}.`);
  return { amount, currency };
}

export function addMoney(a: Money, b: Money): Money {
  if (a.currency !== b.currency) throw new RangeError(`Cannot add ${a.currency} to ${b.currency}.`);
  return money(a.amount + b.amount, a.currency);
}

export function multiplyMoney(m: Money, quantity: number): Money {
  if (!Number.isSafeInteger(quantity)) throw new RangeError(`Quantities are whole numbers; got ${quantity}.`);
  return money(m.amount * quantity, m.currency);
}

// Building an Intl.NumberFormat costs ~25x a format call, and a catalog page formats hundreds of
// prices (measured by bench/api: half the API's CPU per search), so one is kept per locale+currency.
const formatters = new Map<string, Intl.NumberFormat>();

/** "$19.99" style, for people; APIs also return the integer amount. */
export function formatMoney(m: Money, locale = 'en-US'): string {
  const digits = minorUnitDigits(m.currency);
  const key = `${locale}|${m.currency}`;
  let formatter = formatters.get(key);
  if (!formatter) {
    formatter = new Intl.NumberFormat(locale, { style: 'currency', currency: m.currency, minimumFractionDigits: digits });
    formatters.set(key, formatter);
  }
  return formatter.format(m.amount / 10 ** digits);
}
