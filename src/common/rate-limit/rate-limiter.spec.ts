import { RateLimiter, TooManyRequestsError } from './rate-limiter';

describe('RateLimiter', () => {
  it('allows up to the limit per key within the window, then answers with Retry-After', () => {
    let now = 1_000_000;
    const limiter = new RateLimiter(3, 60, () => now);
    for (let i = 0; i < 3; i++) limiter.consume('ip:1', 'email:a');
    let error: unknown;
    try {
      limiter.consume('ip:1', 'email:b');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(TooManyRequestsError);
    expect((error as TooManyRequestsError).retryAfterSeconds).toBe(60);
    // Another IP is not affected, but the same email is.
    expect(() => limiter.consume('ip:2', 'email:b')).not.toThrow();
    expect(() => limiter.consume('ip:2', 'email:a')).toThrow(TooManyRequestsError);
    now += 61_000;
    expect(() => limiter.consume('ip:1', 'email:a')).not.toThrow();
  });
});
