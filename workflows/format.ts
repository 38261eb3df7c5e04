/** Plain-words fragments for summaries and details in the Temporal UI (no personal data). */
import { minorUnitDigits } from '../src/domain/money';

export function describeMoney(amount: number, currency: string): string {
  const digits = minorUnitDigits(currency);
  return `${(amount / 10 ** digits).toFixed(digits)} ${currency}`;
}

export function describeItems(lines: { quantity: number }[]): string {
  const count = lines.reduce((n, l) => n + l.quantity, 0);
  return `${count} item${count === 1 ? '' : 's'}`;
}
