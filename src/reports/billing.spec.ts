import {
  allocate,
  amountCents,
  billedQuarters,
  formatCents,
  formatQuarters,
  formatSecondsAsHours,
  rateToCents,
} from './billing';

describe('billing arithmetic', () => {
  it.each([
    [0, 0],
    [1, 1],
    [60, 1],
    [900, 1],
    [901, 2],
    [960, 2],
    [3599, 4],
    [3600, 4],
    [3601, 5],
    [82800, 92],
  ])('bills %i s as %i quarter-hours', (seconds, quarters) => {
    expect(billedQuarters(seconds)).toBe(quarters);
  });

  it.each([
    ['85.50', 8550n],
    [85.5, 8550n],
    ['85', 8500n],
    [85, 8500n],
    ['0.1', 10n],
    [0.1, 10n],
    ['0.00', 0n],
    ['99999999.99', 9999999999n],
    [99999999.99, 9999999999n],
    ['85.555', null],
    ['-1.00', null],
    ['1e3', null],
    ['', null],
    [null, null],
    [undefined, null],
    [{}, null],
  ])('reads the rate %p as %p cents', (value, cents) => {
    expect(rateToCents(value)).toBe(cents);
  });

  it('prices quarter-hours, rounding half-up to the cent', () => {
    expect(amountCents(1, 8501n)).toBe(2125n); // 21.2525
    expect(amountCents(2, 8501n)).toBe(4251n); // 42.505
    expect(amountCents(3, 8501n)).toBe(6376n); // 63.7575
    expect(amountCents(4, 8501n)).toBe(8501n);
    expect(amountCents(6, 8550n)).toBe(12825n);
    expect(amountCents(5, null)).toBe(0n);
    expect(amountCents(0, 10000n)).toBe(0n);
  });

  it('shares out whole units by weight, largest remainders first, earlier part on a tie', () => {
    expect(allocate(10n, [7200, 1200])).toEqual([9n, 1n]); // 8.57 + 1.43
    expect(allocate(14n, [3600, 9000])).toEqual([4n, 10n]);
    expect(allocate(2n, [900, 300])).toEqual([2n, 0n]); // 1.5 + 0.5: the tie goes first
    expect(allocate(1n, [1, 1, 1])).toEqual([1n, 0n, 0n]);
    expect(allocate(2n, [1, 1, 1])).toEqual([1n, 1n, 0n]);
    expect(allocate(5n, [0, 3, 0])).toEqual([0n, 5n, 0n]);
    expect(allocate(0n, [5, 7])).toEqual([0n, 0n]);
    expect(allocate(7n, [0, 0])).toEqual([0n, 0n]);
  });

  it('always shares out exactly the total, never more than a unit off the exact share', () => {
    for (let total = 0n; total <= 40n; total++) {
      for (const weights of [
        [1, 2, 3],
        [600, 86400, 1],
        [3599, 3601],
        [1, 1, 1, 1, 1, 1, 1],
      ]) {
        const shares = allocate(total, weights);
        const sum = weights.reduce((a, b) => a + b, 0);
        expect(shares.reduce((a, b) => a + b, 0n)).toBe(total);
        shares.forEach((share, i) => {
          const exact = (Number(total) * weights[i]) / sum;
          expect(Math.abs(Number(share) - exact)).toBeLessThan(1);
        });
      }
    }
  });

  it('formats quarter-hours, cents and hours as two-decimal strings', () => {
    expect([0, 1, 2, 3, 5, 100].map(formatQuarters)).toEqual([
      '0.00',
      '0.25',
      '0.50',
      '0.75',
      '1.25',
      '25.00',
    ]);
    expect([0n, 5n, 50n, 12345n, 9999999999n].map(formatCents)).toEqual([
      '0.00',
      '0.05',
      '0.50',
      '123.45',
      '99999999.99',
    ]);
    // 17 s = 0.0047 h, 18 s = 0.005 h (half-up), 960 s = 0.2667 h
    expect([17, 18, 60, 960, 5400, 90000].map(formatSecondsAsHours)).toEqual([
      '0.00',
      '0.01',
      '0.02',
      '0.27',
      '1.50',
      '25.00',
    ]);
  });
});
