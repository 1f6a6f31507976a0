import { backoffSeconds } from './backoff';

describe('backoffSeconds', () => {
  it('spreads the delay between one second and an exponentially growing ceiling', () => {
    expect(backoffSeconds(1, { random: () => 1 })).toBe(5);
    expect(backoffSeconds(3, { random: () => 1 })).toBe(20);
    expect(backoffSeconds(3, { random: () => 0 })).toBe(1);
    expect(backoffSeconds(3, { random: () => 0.5 })).toBe(10);
  });

  it('never exceeds the cap, however many attempts', () => {
    expect(backoffSeconds(40, { random: () => 1, capSeconds: 600 })).toBe(600);
  });
});
