import { ProviderError, RefreshedTokens } from './calendar-provider';
import { ProviderHttp } from './provider-http';
import { transportFailureCode } from './transport-failure';

/** What an OAuth 2 token endpoint answers (RFC 6749 5.1 and 5.2). */
export interface TokenResponse {
  access_token?: string;
  refresh_token?: string;
  expires_in?: number;
  scope?: string;
  token_type?: string;
  id_token?: string;
  error?: string;
}

export type TokenAnswer = { response: Response; tokens: TokenResponse } | { failed: string };

/**
 * A form POST to a token endpoint. HTTP error answers are returned for the caller to read (a body
 * that is not JSON reads as `{}`); no answer at all is `failed`, with the transport failure's code.
 * Client credentials go in `form`, or in `headers` as HTTP Basic where the provider documents that
 * (Xero).
 */
export async function requestTokens(
  http: ProviderHttp,
  tokenUrl: string,
  form: Record<string, string>,
  timeoutMs: number,
  headers: Record<string, string> = {},
): Promise<TokenAnswer> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const response = await http.request(tokenUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
        ...headers,
      },
      body: new URLSearchParams(form).toString(),
      signal,
    });
    return { response, tokens: parseTokenResponse(await response.text()) };
  } catch (error) {
    return { failed: transportFailureCode(error, signal) };
  }
}

/**
 * A refresh answer as `RefreshedTokens`: `invalid_grant` (400) is a refusal for good, anything
 * else that is not a new access token is worth retrying. A rotated refresh token is returned so
 * that the caller stores it.
 */
export function refreshedTokens(provider: string, answer: TokenAnswer): RefreshedTokens {
  if ('failed' in answer) {
    throw new ProviderError(
      'refresh_failed',
      `${provider} token refresh failed: ${answer.failed}.`,
    );
  }
  const { response, tokens } = answer;
  if (response.status === 400 && tokens.error === 'invalid_grant') {
    throw new ProviderError(
      'invalid_grant',
      `${provider} refused the refresh token (invalid_grant).`,
    );
  }
  if (!response.ok || !tokens.access_token) {
    const error = typeof tokens.error === 'string' ? ` ${tokens.error}` : '';
    throw new ProviderError(
      'refresh_failed',
      `${provider} token refresh failed: answered ${response.status}${error}.`,
    );
  }
  return {
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token ?? null,
    expiresAt: tokenExpiry(tokens),
  };
}

/** When the access token expires, or null where the provider says it does not. */
export function tokenExpiry(tokens: TokenResponse): Date | null {
  return typeof tokens.expires_in === 'number'
    ? new Date(Date.now() + tokens.expires_in * 1000)
    : null;
}

function parseTokenResponse(text: string): TokenResponse {
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === 'object' ? (parsed as TokenResponse) : {};
  } catch {
    return {};
  }
}
