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
import { ProviderHttp } from '../provider-http';
import { graphClient } from './graph-client';
import { refreshedTokens, requestTokens, TokenAnswer, tokenExpiry } from '../oauth-token-request';
import { MicrosoftCalendarChanges } from './microsoft-calendar-changes';
import { MicrosoftCalendarEvents } from './microsoft-calendar-events';

export const MICROSOFT_CALENDAR_SCOPES = [
  'openid',
  'email',
  'offline_access',
  'Calendars.ReadWrite',
];

interface GraphCalendar {
  id?: string;
  name?: string;
  hexColor?: string;
  isDefaultCalendar?: boolean;
}

/**
 * Microsoft identity platform (authorization code + PKCE S256, `offline_access`) through a small
 * fetch client on the configurable token URL, and the calendar list through the Graph SDK. Every
 * call goes through `ProviderHttp`, whose dispatcher lets tests trust the emulator's certificate.
 */
export class MicrosoftCalendarProvider implements CalendarOAuthProvider {
  constructor(
    private readonly config: OAuthProviderConfig,
    private readonly http: ProviderHttp,
    /** Per request to the token endpoint and Graph (refresh, event writes, pulls). */
    private readonly requestTimeoutMs = 30_000,
  ) {}

  authorizeUrl(request: AuthorizationRequest): string {
    const url = new URL(this.config.authorizeUrl);
    url.searchParams.set('client_id', this.config.clientId);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('redirect_uri', this.config.redirectUri);
    url.searchParams.set('response_mode', 'query');
    url.searchParams.set('scope', MICROSOFT_CALENDAR_SCOPES.join(' '));
    url.searchParams.set('state', request.state);
    url.searchParams.set('code_challenge', request.codeChallenge);
    url.searchParams.set('code_challenge_method', 'S256');
    url.searchParams.set('prompt', 'select_account');
    return url.toString();
  }

  async exchangeCode(code: string, codeVerifier: string): Promise<ConnectedAccount> {
    const answer = await this.tokenRequest({
      grant_type: 'authorization_code',
      code,
      redirect_uri: this.config.redirectUri,
      code_verifier: codeVerifier,
    });
    if ('failed' in answer) {
      throw new ProviderError('token_exchange_failed', 'Microsoft: the token request failed.');
    }
    const { response, tokens } = answer;
    if (!response.ok || !tokens.access_token) {
      const code = typeof tokens.error === 'string' ? tokens.error : 'token_exchange_failed';
      throw new ProviderError(code, `Microsoft: ${code}`);
    }
    const claims = idTokenClaims(tokens.id_token);
    return {
      accessToken: tokens.access_token,
      refreshToken: tokens.refresh_token ?? null,
      expiresAt: tokenExpiry(tokens),
      metadata: { scope: tokens.scope ?? null, token_type: tokens.token_type ?? null },
      accountId: claimString(claims.oid) ?? claimString(claims.sub),
      email: claimString(claims.email) ?? claimString(claims.preferred_username),
    };
  }

  /**
   * Microsoft rotates the refresh token on every refresh: the answer's one replaces ours (the old
   * one may stop working at once).
   */
  async refresh(refreshToken: string): Promise<RefreshedTokens> {
    return refreshedTokens(
      'Microsoft',
      await this.tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken }),
    );
  }

  /** The identity platform has no revocation endpoint: disconnecting only forgets our tokens. */
  revoke(_token: string): Promise<boolean> {
    return Promise.resolve(false);
  }

  events(): CalendarEventsClient {
    return new MicrosoftCalendarEvents({
      apiBaseUrl: this.config.apiBaseUrl,
      requestTimeoutMs: this.requestTimeoutMs,
      http: this.http,
    });
  }

  changes(): CalendarChangesClient {
    return new MicrosoftCalendarChanges({
      apiBaseUrl: this.config.apiBaseUrl,
      requestTimeoutMs: this.requestTimeoutMs,
      http: this.http,
    });
  }

  /** A token request with our client credentials and scopes. */
  private tokenRequest(grant: Record<string, string>): Promise<TokenAnswer> {
    return requestTokens(
      this.http,
      this.config.tokenUrl,
      {
        client_id: this.config.clientId,
        client_secret: this.config.clientSecret,
        ...grant,
        scope: MICROSOFT_CALENDAR_SCOPES.join(' '),
      },
      this.requestTimeoutMs,
    );
  }

  async listCalendars(accessToken: string): Promise<ProviderCalendar[]> {
    const client = graphClient({
      baseUrl: this.config.apiBaseUrl,
      accessToken,
      http: this.http,
      requestTimeoutMs: this.requestTimeoutMs,
    });
    const calendars: ProviderCalendar[] = [];
    try {
      let page = (await client.api('/me/calendars').top(100).get()) as {
        value?: GraphCalendar[];
        '@odata.nextLink'?: string;
      };
      for (;;) {
        for (const item of page.value ?? []) {
          if (!item.id) continue;
          calendars.push({
            externalId: item.id,
            name: item.name ?? item.id,
            color: item.hexColor ? item.hexColor : null,
            primary: item.isDefaultCalendar === true,
          });
        }
        const next = page['@odata.nextLink'];
        if (!next) break;
        page = (await client.api(next).get()) as typeof page;
      }
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      throw new ProviderError(
        'calendar_list_failed',
        `Microsoft Graph: ${typeof code === 'string' && code ? code : 'request failed'}`,
      );
    }
    return calendars;
  }
}
