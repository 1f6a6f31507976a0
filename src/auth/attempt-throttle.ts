import { DataSource } from 'typeorm';
import { RateLimiter, ThrottleKey } from '../common/rate-limit/rate-limiter';
import { AuthConfig } from '../config/app-config';

/**
 * The per-minute brake on logins, registrations, resets and confirmations. Keys naming a
 * person (an email, a user, an IP+email pair) get `AUTH_THROTTLE_PER_MINUTE`; a client IP alone
 * gets `AUTH_THROTTLE_PER_IP_PER_MINUTE`, since everyone behind one office NAT shares it.
 */
export class AttemptThrottle extends RateLimiter {
  private readonly perIp: number;

  constructor(dataSource: DataSource, config: AuthConfig) {
    super(dataSource, config.throttlePerMinute, 60);
    this.perIp = config.throttlePerIpPerMinute;
  }

  /** The key counting every `action` attempt from one client IP. */
  clientIp(action: string, ip: string): ThrottleKey {
    return { key: `${action}:ip:${ip}`, limit: this.perIp };
  }
}
