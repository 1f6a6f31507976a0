import { DataSource, In, MoreThan } from 'typeorm';
import { sha256Hex } from '../crypto/tokens';
import { DomainError } from '../errors/domain.error';
import { ThrottleHit } from './throttle-hit.entity';

export class TooManyRequestsError extends DomainError {
  constructor(readonly retryAfterSeconds: number) {
    super(
      429,
      'too-many-requests',
      'Too Many Requests',
      `Too many attempts. Try again in ${retryAfterSeconds} seconds.`,
    );
  }

  override headers(): Record<string, string> {
    return { 'Retry-After': String(this.retryAfterSeconds) };
  }
}

/** Throttle rows are kept this long; the longest window is far shorter. */
export const THROTTLE_RETENTION_MS = 24 * 3_600_000;

/** A throttle key, with its own limit where it differs from the limiter's (a shared IP). */
export type ThrottleKey = string | { key: string; limit: number };

/**
 * A sliding-window brake: at most `limit` attempts per key in any `windowSeconds`. The attempts
 * live in the database (`throttle_hits`), so every API process counts the same ones.
 */
export class RateLimiter {
  constructor(
    private readonly dataSource: DataSource,
    private readonly limit: number,
    private readonly windowSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Counts an attempt for each key; throws 429 (with Retry-After) if any key is over its limit.
   * The attempt is written before counting, so concurrent attempts from several processes all
   * see each other; a refused attempt is taken back and does not count.
   */
  async consume(...keys: ThrottleKey[]): Promise<void> {
    const now = this.now();
    const windowStart = new Date(now - this.windowSeconds * 1000);
    const limits = new Map(
      keys.map((key) =>
        typeof key === 'string' ? [sha256Hex(key), this.limit] : [sha256Hex(key.key), key.limit],
      ),
    );
    const hashes = [...limits.keys()];
    const repository = this.dataSource.getRepository(ThrottleHit);
    const written = await repository.save(
      hashes.map((keyHash) => repository.create({ keyHash, hitAt: new Date(now) })),
    );
    const counts = await repository
      .createQueryBuilder('hit')
      .select('hit.keyHash', 'keyHash')
      .addSelect('COUNT(*)', 'hits')
      .where({ keyHash: In(hashes), hitAt: MoreThan(windowStart) })
      .groupBy('hit.keyHash')
      .getRawMany<{ keyHash: string; hits: string | number }>();
    const over = counts
      .filter((row) => Number(row.hits) > (limits.get(row.keyHash) ?? this.limit))
      .map((row) => row.keyHash);
    if (over.length === 0) return;

    await repository.delete({ id: In(written.map((hit) => hit.id)) });
    const oldest = await repository.findOne({
      where: { keyHash: In(over), hitAt: MoreThan(windowStart) },
      order: { hitAt: 'ASC' },
    });
    const freesAt = (oldest?.hitAt.getTime() ?? now) + this.windowSeconds * 1000;
    throw new TooManyRequestsError(Math.max(1, Math.ceil((freesAt - now) / 1000)));
  }
}
