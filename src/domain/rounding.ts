/**
 * The one rounding rule of every price the engine computes (docs/pricing.md): amounts are whole
 * minor units, and a fraction of one is rounded half up (0.5 cent → 1 cent) once per line, never on
 * a sum. Rates and percentages are whole parts per million, so 8.875 % is exact (88 750).
 * The arithmetic is done in BigInt: an amount times a rate may pass 2^53 before it is divided.
 */

/** Parts per million: 100 % = 1 000 000, 19 % = 190 000, 8.875 % = 88 750. */
export const PPM = 1_000_000;

/** round(numerator / denominator), half up; both non-negative whole numbers, denominator > 0. */
export function divideHalfUp(numerator: bigint, denominator: bigint): number {
  return Number((2n * numerator + denominator) / (2n * denominator));
}

/** round(amount × part / whole), half up: the share of `amount` that `part` of `whole` is. */
export function shareOf(amount: number, part: number, whole: number): number {
  if (whole <= 0) return 0;
  return divideHalfUp(BigInt(amount) * BigInt(part), BigInt(whole));
}

/** round(amount × rate), half up, rate in parts per million. */
export function percentOf(amount: number, ratePpm: number): number {
  return shareOf(amount, ratePpm, PPM);
}

/** The tax a tax-exclusive amount adds: round(amount × rate). */
export function taxOnTop(amount: number, ratePpm: number): number {
  return percentOf(amount, ratePpm);
}

/** The tax a tax-inclusive amount contains: round(amount × rate / (1 + rate)). */
export function taxIncluded(amount: number, ratePpm: number): number {
  return shareOf(amount, ratePpm, PPM + ratePpm);
}

/**
 * Splits `total` across parts in proportion to their weights so the pieces add up to exactly `total`
 * (largest remainder: each piece is rounded down, and the cents left over go to the pieces with the
 * largest fractions, the first of equal ones first). Weights are non-negative; all zero gives all zero.
 */
export function splitInProportion(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum <= 0 || total <= 0) return weights.map(() => 0);
  const exact = weights.map((w) => BigInt(total) * BigInt(w));
  const pieces = exact.map((e) => Number(e / BigInt(sum)));
  let left = total - pieces.reduce((a, b) => a + b, 0);
  const byFraction = exact.map((e, i) => ({ i, fraction: e % BigInt(sum) }))
    .sort((a, b) => (a.fraction === b.fraction ? a.i - b.i : a.fraction > b.fraction ? -1 : 1));
  for (const { i } of byFraction) {
    if (left === 0) break;
    pieces[i] += 1;
    left -= 1;
  }
  return pieces;
}

/** "19%", "8.875%": a rate in parts per million, for people. */
export function describeRate(ratePpm: number): string {
  return `${Number((ratePpm / 10_000).toFixed(4))}%`;
}
