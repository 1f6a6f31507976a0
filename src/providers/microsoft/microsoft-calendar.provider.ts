import { Client } from '@microsoft/microsoft-graph-client';
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
import { ProviderHttp } from '../provider-http';

export const MICROSOFT_CALENDAR_SCOPES = [
  'openid',
  'email',
  'offline_access',
  'Calendars.ReadWrite',
];

interface TokenResponse {
  access_token?: string;
  refresh_token?: string;
  expires_in?: number;
  scope?: string;
  token_type?: string;
  id_token?: string;
  error?: string;
}

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
    const body = new URLSearchParams({
      client_id: this.config.clientId,
      client_secret: this.config.clientSecret,
      grant_type: 'authorization_code',
      code,
      redirect_uri: this.config.redirectUri,
      code_verifier: codeVerifier,
      scope: MICROSOFT_CALENDAR_SCOPES.join(' '),
    });
    let response: Response;
    let tokens: TokenResponse;
    try {
      response = await this.http.request(this.config.tokenUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: body.toString(),
        signal: AbortSignal.timeout(15_000),
      });
      tokens = (await response.json()) as TokenResponse;
    } catch {
      throw new ProviderError('token_exchange_failed', 'Microsoft: the token request failed.');
    }
    if (!response.ok || !tokens.access_token) {
      const code = typeof tokens.error === 'string' ? tokens.error : 'token_exchange_failed';
      throw new ProviderError(code, `Microsoft: ${code}`);
    }
    const claims = idTokenClaims(tokens.id_token);
    return {
      accessToken: tokens.access_token,
      refreshToken: tokens.refresh_token ?? null,
      expiresAt:
        typeof tokens.expires_in === 'number'
          ? new Date(Date.now() + tokens.expires_in * 1000)
          : null,
      metadata: { scope: tokens.scope ?? null, token_type: tokens.token_type ?? null },
      accountId: claimString(claims.oid) ?? claimString(claims.sub),
      email: claimString(claims.email) ?? claimString(claims.preferred_username),
    };
  }

  async listCalendars(accessToken: string): Promise<ProviderCalendar[]> {
    const base = this.config.apiBaseUrl.replace(/\/+$/, '');
    const client = Client.initWithMiddleware({
      authProvider: { getAccessToken: () => Promise.resolve(accessToken) },
      baseUrl: `${base}/`,
      customHosts: new Set([new URL(base).hostname]),
      fetchOptions: this.http.fetchOptions(),
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
