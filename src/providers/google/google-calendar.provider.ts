import { Auth, googleAuth } from './google-api';
import { OAuthProviderConfig } from '../../config/app-config';
import { CalendarChangesClient } from '../calendar-changes';
import { CalendarEventsClient } from '../calendar-events';
import {
  AuthorizationRequest,
  CalendarOAuthProvider,
  claimString,
  ConnectedAccount,
  idTokenClaims,
  ProviderCalendar,
  ProviderError,
  RefreshedTokens,
} from '../calendar-provider';
import { countedFetch } from '../provider-http';
import { transportFailureCode } from '../transport-failure';
import { GoogleCalendarChanges } from './google-calendar-changes';
import { googleSession } from './google-client';
import { GoogleCalendarEvents } from './google-calendar-events';

export const GOOGLE_CALENDAR_SCOPES = [
  'openid',
  'email',
  'https://www.googleapis.com/auth/calendar.events',
  'https://www.googleapis.com/auth/calendar.readonly',
];

/**
 * Google OAuth 2.0 (authorization code + PKCE S256, offline access) and the calendar list,
 * through googleapis / google-auth-library with the endpoints from configuration. gaxios gets the
 * native `fetch` (see test/emulators/google/README.md: same error shapes everywhere, and Jest
 * cannot load node-fetch).
 */
export class GoogleCalendarProvider implements CalendarOAuthProvider {
  constructor(
    private readonly config: OAuthProviderConfig,
    /** Per request to the token endpoint and the Calendar API (refresh, revoke, writes, pulls). */
    private readonly requestTimeoutMs = 30_000,
  ) {}

  private client(timeout?: number): Auth.OAuth2Client {
    return new googleAuth.OAuth2({
      clientId: this.config.clientId,
      clientSecret: this.config.clientSecret,
      redirectUri: this.config.redirectUri,
      endpoints: {
        oauth2AuthBaseUrl: this.config.authorizeUrl,
        oauth2TokenUrl: this.config.tokenUrl,
        oauth2RevokeUrl: this.config.revokeUrl,
      },
      transporterOptions: { fetchImplementation: countedFetch, timeout },
    });
  }

  authorizeUrl(request: AuthorizationRequest): string {
    return this.client().generateAuthUrl({
      access_type: 'offline',
      prompt: 'consent',
      include_granted_scopes: true,
      scope: GOOGLE_CALENDAR_SCOPES,
      state: request.state,
      code_challenge: request.codeChallenge,
      code_challenge_method: 'S256' as Auth.CodeChallengeMethod,
    });
  }

  async exchangeCode(code: string, codeVerifier: string): Promise<ConnectedAccount> {
    let tokens: Auth.Credentials;
    try {
      ({ tokens } = await this.client().getToken({ code, codeVerifier }));
    } catch (error) {
      throw googleError(error, 'token_exchange_failed');
    }
    if (!tokens.access_token) throw new ProviderError('token_exchange_failed', 'No access token.');
    const claims = idTokenClaims(tokens.id_token);
    return {
      accessToken: tokens.access_token,
      refreshToken: tokens.refresh_token ?? null,
      expiresAt: tokens.expiry_date ? new Date(tokens.expiry_date) : null,
      metadata: { scope: tokens.scope ?? null, token_type: tokens.token_type ?? null },
      accountId: claimString(claims.sub),
      email: claimString(claims.email),
    };
  }

  async listCalendars(accessToken: string): Promise<ProviderCalendar[]> {
    const { calendar } = googleSession(this.config.apiBaseUrl, accessToken);
    const calendars: ProviderCalendar[] = [];
    let pageToken: string | undefined;
    try {
      do {
        const { data } = await calendar.calendarList.list(
          { pageToken, maxResults: 250 },
          { retry: false, timeout: this.requestTimeoutMs },
        );
        for (const item of data.items ?? []) {
          if (!item.id) continue;
          calendars.push({
            externalId: item.id,
            name: item.summaryOverride ?? item.summary ?? item.id,
            color: item.backgroundColor ?? null,
            primary: item.primary === true,
          });
        }
        pageToken = data.nextPageToken ?? undefined;
      } while (pageToken);
    } catch (error) {
      throw googleError(error, 'calendar_list_failed');
    }
    return calendars;
  }

  /**
   * The token endpoint without google-auth-library's retries (it retries refresh and revoke, POST
   * included, ignoring `Retry-After`): the caller's backoff decides, and a request never outlives
   * `requestTimeoutMs`.
   */
  private tokenClient(): Auth.OAuth2Client {
    const client = this.client(this.requestTimeoutMs);
    // The library sets `retry: true` per request, over any default: switch it off per request.
    client.transporter.interceptors.request.add({
      resolved: (options) =>
        Promise.resolve({
          ...options,
          retry: false,
          retryConfig: { ...options.retryConfig, retry: 0 },
        }),
    });
    return client;
  }

  async refresh(refreshToken: string): Promise<RefreshedTokens> {
    const client = this.tokenClient();
    client.setCredentials({ refresh_token: refreshToken });
    // The library overwrites the answer's refresh token with the one it holds right after emitting
    // `tokens`: read the answer there to know whether Google actually sent a new one.
    let rotated: string | null = null;
    client.on('tokens', (tokens) => (rotated = tokens.refresh_token ?? null));
    let credentials: Auth.Credentials;
    try {
      ({ credentials } = await client.refreshAccessToken());
    } catch (error) {
      throw refreshError(error);
    }
    if (!credentials.access_token)
      throw new ProviderError('refresh_failed', 'Google: no access token.');
    return {
      accessToken: credentials.access_token,
      refreshToken: rotated,
      expiresAt: credentials.expiry_date ? new Date(credentials.expiry_date) : null,
    };
  }

  async revoke(token: string): Promise<boolean> {
    try {
      await this.tokenClient().revokeToken(token);
      return true;
    } catch {
      return false;
    }
  }

  events(): CalendarEventsClient {
    return new GoogleCalendarEvents({
      apiBaseUrl: this.config.apiBaseUrl,
      requestTimeoutMs: this.requestTimeoutMs,
    });
  }

  changes(): CalendarChangesClient {
    return new GoogleCalendarChanges({
      apiBaseUrl: this.config.apiBaseUrl,
      requestTimeoutMs: this.requestTimeoutMs,
    });
  }
}

/**
 * `invalid_grant` (400) means the refresh token is dead for good (revoked, expired, password
 * changed); anything else (5xx, timeout, reset, another 4xx) is worth trying again later.
 */
function refreshError(error: unknown): ProviderError {
  const response = (error as { response?: { status?: number; data?: unknown } }).response;
  const code = (response?.data as { error?: unknown } | undefined)?.error;
  if (response?.status === 400 && code === 'invalid_grant') {
    return new ProviderError('invalid_grant', 'Google refused the refresh token (invalid_grant).');
  }
  const reason = response?.status
    ? `answered ${response.status}${typeof code === 'string' ? ` ${code}` : ''}`
    : transportFailureCode(error);
  return new ProviderError('refresh_failed', `Google token refresh failed: ${reason}.`);
}

/** gaxios errors are duck-typed (cross-realm, two gaxios copies): read `response.data.error`. */
function googleError(error: unknown, fallback: string): ProviderError {
  const data = (error as { response?: { data?: unknown } }).response?.data;
  const code =
    data && typeof data === 'object' && typeof (data as { error?: unknown }).error === 'string'
      ? (data as { error: string }).error
      : fallback;
  return new ProviderError(code, `Google: ${code}`);
}
