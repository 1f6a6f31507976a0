import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { DataSource, IsNull, LessThan } from 'typeorm';
import { ApiToken } from '../auth/api-token.entity';
import { UserToken } from '../auth/user-token.entity';
import { THROTTLE_RETENTION_MS } from '../common/rate-limit/rate-limiter';
import { ThrottleHit } from '../common/rate-limit/throttle-hit.entity';
import { inTransaction } from '../database/transaction';
import { OAuthState } from '../integrations/oauth-state.entity';
import { JobHandlerRegistry } from '../jobs/job-handler';
import { authFactsChanged } from '../auth/verified-tokens';

export const PURGE_EXPIRED = 'housekeeping.purge_expired';
/** Hourly: nothing here is needed after it expires, and an hour keeps the tables small. */
const PURGE_EVERY_SECONDS = 3600;

/**
 * Deletes what has expired and can no longer be used: OAuth states (a state still holding a
 * parked grant is left to the grant's own expiry job, which revokes it at the provider first),
 * password reset, verification and two-factor challenge links, expired API tokens, and throttle
 * attempts older than any throttle window.
 */
@Injectable()
export class ExpiredRecords implements OnModuleInit {
  private readonly logger = new Logger(ExpiredRecords.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly registry: JobHandlerRegistry,
  ) {}

  onModuleInit(): void {
    this.registry.registerRecurring(PURGE_EXPIRED, PURGE_EVERY_SECONDS, {
      handle: async () => {
        const purged = await this.purge();
        if (Object.values(purged).some((count) => count > 0)) {
          this.logger.log({ msg: 'expired records purged', ...purged });
        }
      },
    });
  }

  /** Deletes everything expired before `now`; answers how many rows of each kind went. */
  purge(now = new Date()): Promise<Record<string, number>> {
    return inTransaction(this.dataSource, async (manager) => {
      const expired = { expiresAt: LessThan(now) };
      const states = await manager.delete(OAuthState, { ...expired, parkedGrant: IsNull() });
      const links = await manager.delete(UserToken, expired);
      const tokens = await manager.delete(ApiToken, expired);
      // Expired tokens already fail on every hit; the revision moves so the cache holds no ghosts.
      if (tokens.affected) await authFactsChanged(manager);
      const hits = await manager.delete(ThrottleHit, {
        hitAt: LessThan(new Date(now.getTime() - THROTTLE_RETENTION_MS)),
      });
      return {
        oauth_states: states.affected ?? 0,
        account_links: links.affected ?? 0,
        api_tokens: tokens.affected ?? 0,
        throttle_hits: hits.affected ?? 0,
      };
    });
  }
}
