/*
 * Billing arithmetic, exact: durations in whole seconds, billed time in quarter-hours, money in
 * cents as BigInt. Nothing here touches a binary float.
 */

/** Billed time is counted in quarter-hours: 900 seconds. */
export const QUARTER_HOUR_SECONDS = 900;

/** Billable seconds rounded **up** to the next quarter-hour: 1 s → 1, 900 s → 1, 901 s → 2. */
export function billedQuarters(billableSeconds: number): number {
  if (billableSeconds <= 0) return 0;
  return Math.floor((billableSeconds + QUARTER_HOUR_SECONDS - 1) / QUARTER_HOUR_SECONDS);
}

const DECIMAL = /^(\d{1,13})(?:\.(\d{1,2}))?$/;

/**
 * A rate as stored (mysql2 gives DECIMAL as `"85.50"`, SQLite as `85.5`; settings hold a string)
 * → cents. Anything that is not a non-negative amount with at most two decimals is no rate.
 */
export function rateToCents(value: unknown): bigint | null {
  if (value === null || value === undefined) return null;
  // A SQLite number is printed as its shortest exact decimal ("85.5"), then read as text.
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
  if (typeof text !== 'string') return null;
  const match = DECIMAL.exec(text.trim());
  if (!match) return null;
  return BigInt(match[1]) * 100n + BigInt((match[2] ?? '').padEnd(2, '0'));
}

/** quarters × rate, rounded half-up to the cent (a rate of 85.01 bills 0.25 h as 21.25). */
export function amountCents(quarters: number, rateCents: bigint | null): bigint {
  if (rateCents === null || quarters <= 0) return 0n;
  return (BigInt(quarters) * rateCents + 2n) / 4n;
}

/**
 * Splits a whole `total` over parts in proportion to `weights` (largest-remainder method): every
 * share is an integer, the shares add up to `total` exactly, and leftover units go to the parts
 * with the largest remainders, the earlier part first on a tie. Zero weights get nothing.
 */
export function allocate(total: bigint, weights: readonly number[]): bigint[] {
  const sum = weights.reduce((a, b) => a + BigInt(b), 0n);
  if (sum === 0n) return weights.map(() => 0n);
  const shares = weights.map((w) => (total * BigInt(w)) / sum);
  let left = total - shares.reduce((a, b) => a + b, 0n);
  const byRemainder = weights
    .map((w, index) => ({ index, remainder: (total * BigInt(w)) % sum }))
    .sort((a, b) =>
      a.remainder === b.remainder ? a.index - b.index : a.remainder > b.remainder ? -1 : 1,
    );
  for (const { index } of byRemainder) {
    if (left === 0n) break;
    shares[index] += 1n;
    left -= 1n;
  }
  return shares;
}

/** 5 quarters → `"1.25"`. */
export function formatQuarters(quarters: number): string {
  return `${Math.floor(quarters / 4)}.${['00', '25', '50', '75'][quarters % 4]}`;
}

/** 12345n → `"123.45"`. */
export function formatCents(cents: bigint): string {
  return `${cents / 100n}.${(cents % 100n).toString().padStart(2, '0')}`;
}

/** Seconds as decimal hours with two decimals, rounded half-up: 60 s → `"0.02"`, 5400 s → `"1.50"`. */
export function formatSecondsAsHours(seconds: number): string {
  const hundredths = Math.floor((seconds * 100 + 1800) / 3600);
  return `${Math.floor(hundredths / 100)}.${(hundredths % 100).toString().padStart(2, '0')}`;
}
