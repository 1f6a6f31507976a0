import { Auth, google } from 'googleapis';
import { OAuthProviderConfig } from '../../config/app-config';
import {
  AuthorizationRequest,
  CalendarOAuthProvider,
  claimString,
  ConnectedAccount,
  idTokenClaims,
  ProviderCalendar,
  ProviderError,
} from '../calendar-provider';

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
  constructor(private readonly config: OAuthProviderConfig) {}

  private client(): Auth.OAuth2Client {
    return new google.auth.OAuth2({
      clientId: this.config.clientId,
      clientSecret: this.config.clientSecret,
      redirectUri: this.config.redirectUri,
      endpoints: {
        oauth2AuthBaseUrl: this.config.authorizeUrl,
        oauth2TokenUrl: this.config.tokenUrl,
        oauth2RevokeUrl: this.config.revokeUrl,
      },
      transporterOptions: { fetchImplementation: fetch },
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
      code_challenge_method: Auth.CodeChallengeMethod.S256,
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
    const auth = this.client();
    auth.setCredentials({ access_token: accessToken });
    const calendar = google.calendar({
      version: 'v3',
      rootUrl: `${this.config.apiBaseUrl.replace(/\/+$/, '')}/`,
      auth,
    });
    const calendars: ProviderCalendar[] = [];
    let pageToken: string | undefined;
    try {
      do {
        const { data } = await calendar.calendarList.list({ pageToken, maxResults: 250 });
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
