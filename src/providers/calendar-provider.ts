import { createHash, randomBytes } from 'node:crypto';
import { CalendarChangesClient } from './calendar-changes';
import { CalendarEventsClient } from './calendar-events';

/**
 * What the integrations module needs from a calendar provider to connect an account. Providers
 * speak their own language behind this and never import our entities.
 */
export interface AuthorizationRequest {
  /** The opaque `state` to round-trip. */
  state: string;
  /** PKCE S256 challenge of the verifier kept server-side. */
  codeChallenge: string;
}

export interface ConnectedAccount {
  accessToken: string;
  refreshToken: string | null;
  expiresAt: Date | null;
  /** Whatever else the token endpoint answered worth keeping (scope, token type, id token). */
  metadata: Record<string, unknown>;
  accountId: string | null;
  email: string | null;
}

export interface ProviderCalendar {
  externalId: string;
  name: string;
  color: string | null;
  primary: boolean;
}

export interface RefreshedTokens {
  accessToken: string;
  /** Microsoft rotates the refresh token on every refresh; Google usually sends none (keep ours). */
  refreshToken: string | null;
  expiresAt: Date | null;
}

export interface CalendarOAuthProvider {
  authorizeUrl(request: AuthorizationRequest): string;
  /** Exchanges an authorization code (with its PKCE verifier) for tokens and the account. */
  exchangeCode(code: string, codeVerifier: string): Promise<ConnectedAccount>;
  listCalendars(accessToken: string): Promise<ProviderCalendar[]>;
  /**
   * Trades the refresh token for a new access token. Throws `ProviderError('invalid_grant')` when
   * the provider refuses the refresh token for good (revoked, expired, password change), and
   * `ProviderError('refresh_failed')` for a failure worth retrying (5xx, timeout, reset).
   */
  refresh(refreshToken: string): Promise<RefreshedTokens>;
  /**
   * Revokes the grant at the provider where it can (Google); resolves false where the provider
   * has no revocation endpoint (Microsoft) or the call failed. Never throws.
   */
  revoke(token: string): Promise<boolean>;
  /** The client that writes events with this provider's access tokens. */
  events(): CalendarEventsClient;
  /** The client that reads the calendars' changes and keeps push channels (two-way sync). */
  changes(): CalendarChangesClient;
}

/** A provider refused or failed; `code` is short and safe to show (`invalid_grant`, …). */
export class ProviderError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}

/**
 * The claims of an ID token received straight from the provider's token endpoint over TLS. OpenID
 * Connect Core 3.1.3.7 lets a client skip the signature check for a token it got that way; we only
 * read the account id and e-mail address for display and de-duplication.
 */
export function idTokenClaims(idToken: unknown): Record<string, unknown> {
  if (typeof idToken !== 'string') return {};
  const payload = idToken.split('.')[1];
  if (!payload) return {};
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return claims && typeof claims === 'object' ? (claims as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export const claimString = (value: unknown): string | null =>
  typeof value === 'string' && value !== '' ? value : null;

/** A PKCE pair (RFC 7636): a 43-character verifier and its S256 challenge. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}
