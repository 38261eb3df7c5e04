/** Plain-words fragments for people: timeline entries, summaries in the Temporal UI, support's answers (no personal data). */
import { minorUnitDigits } from './money';

/** "12.00 USD": the amount in major units with the currency's own decimals, then the ISO code. */
export function describeMoney(amount: number, currency: string): string {
  const digits = minorUnitDigits(currency);
  return `${(amount / 10 ** digits).toFixed(digits)} ${currency}`;
}

export function describeItems(lines: { quantity: number }[]): string {
  const count = lines.reduce((n, l) => n + l.quantity, 0);
  return `${count} item${count === 1 ? '' : 's'}`;
}
