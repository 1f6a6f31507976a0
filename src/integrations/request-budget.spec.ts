import { RequestBudget } from './request-budget';

describe('RequestBudget', () => {
  const limit = { maxRequests: 3, windowSeconds: 10 };

  it('lets requests through until the window is full, then says how long to wait', () => {
    let now = 1_000_000;
    const budget = new RequestBudget(() => now);
    expect(budget.waitMs(1, 2, limit)).toBe(0);
    budget.spend(1, 2);
    now += 4_000;
    expect(budget.waitMs(1, 1, limit)).toBe(0);
    budget.spend(1, 1);
    // Full: the first two requests age out 10 s after they were sent, 6 s from now.
    expect(budget.waitMs(1, 1, limit)).toBe(6_000);
    expect(budget.waitMs(1, 3, limit)).toBe(10_000);
    now += 6_000;
    expect(budget.waitMs(1, 2, limit)).toBe(0);
  });

  it('keeps a separate window per integration', () => {
    const budget = new RequestBudget(() => 0);
    budget.spend(1, 3);
    expect(budget.waitMs(1, 1, limit)).toBeGreaterThan(0);
    expect(budget.waitMs(2, 3, limit)).toBe(0);
  });

  it('never asks for more than a whole window for a batch larger than the limit', () => {
    const budget = new RequestBudget(() => 0);
    budget.spend(1, 3);
    expect(budget.waitMs(1, 50, limit)).toBe(10_000);
  });

  it('counts answered requests from their answer, since the provider counted them after sending', () => {
    let now = 1_000_000;
    const budget = new RequestBudget(() => now);
    const answered = budget.spend(1, 2);
    budget.spend(1, 1);
    now += 500; // the batch of two took half a second
    answered();
    now += 9_600;
    // The unanswered one (sent 10.1 s ago) aged out; the two answered 9.6 s ago have not.
    expect(budget.waitMs(1, 1, limit)).toBe(0);
    expect(budget.waitMs(1, 2, limit)).toBe(400);
  });
});
