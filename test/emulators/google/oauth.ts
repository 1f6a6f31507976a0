/**
 * Google's OAuth 2.0 endpoints: the consent page (`GET /o/oauth2/v2/auth`), the token endpoint
 * (`POST /token`), revocation (`POST /revoke`) and the id-token signing keys
 * (`/oauth2/v1/certs` PEM, `/oauth2/v3/certs` JWK).
 */
import {
  createHash,
  createPublicKey,
  createSign,
  generateKeyPairSync,
  KeyObject,
} from 'node:crypto';
import { ApiResponse, json, oauthError } from './errors';
import { AuthCode, Grant, OAuthClient, randomToken, Store } from './state';

export const ISSUER = 'https://accounts.google.com';

/** Scopes the consent screen knows; anything else is `invalid_scope`. */
export const KNOWN_SCOPES = new Set([
  'openid',
  'email',
  'profile',
  'https://www.googleapis.com/auth/userinfo.email',
  'https://www.googleapis.com/auth/userinfo.profile',
  'https://www.googleapis.com/auth/calendar',
  'https://www.googleapis.com/auth/calendar.readonly',
  'https://www.googleapis.com/auth/calendar.events',
  'https://www.googleapis.com/auth/calendar.events.readonly',
  'https://www.googleapis.com/auth/calendar.settings.readonly',
  'https://www.googleapis.com/auth/calendar.calendarlist',
  'https://www.googleapis.com/auth/calendar.calendarlist.readonly',
  'https://www.googleapis.com/auth/calendar.app.created',
]);

/** What the user answers on the consent screen. */
export interface Consent {
  /** The account that signs in. */
  email: string;
  /** Granular consent: the scopes the user leaves ticked (default: all requested). */
  grantScopes?: string[];
  /** The user clicks "Cancel": the redirect carries `error=access_denied`. */
  deny?: boolean;
}

export interface OAuthSettings {
  accessTokenTtlSeconds: number;
  /** Without a queued consent: sign in as `login_hint` or the first account. */
  autoConsent: boolean;
  /** Demand PKCE (S256) on every authorization request. */
  requirePkce: boolean;
}

function page(status: number, title: string, detail: string): ApiResponse {
  return {
    status,
    headers: { 'Content-Type': 'text/html; charset=utf-8', 'X-Emulator-Error': title },
    body: `<!doctype html><title>${title}</title><h1>Error ${status}: ${title}</h1><p>${detail
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')}</p>`,
  };
}

function redirect(to: string, params: Record<string, string | undefined>): ApiResponse {
  const url = new URL(to);
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined) url.searchParams.set(key, value);
  }
  return { status: 302, headers: { Location: url.toString() } };
}

export class OAuthServer {
  /** Answers for the next visits of the consent page, in order. */
  readonly consents: Consent[] = [];
  private keys?: { kid: string; privateKey: KeyObject; publicKey: KeyObject };

  constructor(
    private readonly store: Store,
    readonly settings: OAuthSettings,
  ) {}

  /** `GET /o/oauth2/v2/auth`. */
  authorize(query: URLSearchParams): ApiResponse {
    const clientId = query.get('client_id');
    const client = clientId ? this.store.clients.get(clientId) : undefined;
    if (!client) return page(401, 'invalid_client', 'The OAuth client was not found.');
    const redirectUri = query.get('redirect_uri');
    if (!redirectUri || !client.redirectUris.includes(redirectUri)) {
      return page(
        400,
        'redirect_uri_mismatch',
        `The redirect URI in the request, ${redirectUri}, does not match the ones authorized for the OAuth client.`,
      );
    }
    // From here on the redirect URI is trusted, but Google still shows request errors on its own
    // page rather than bouncing them to the app.
    const responseType = query.get('response_type');
    if (responseType !== 'code') {
      return page(400, 'invalid_request', `Invalid response_type: ${responseType ?? '(missing)'}`);
    }
    const scopes = (query.get('scope') ?? '').split(/\s+/).filter(Boolean);
    if (scopes.length === 0)
      return page(400, 'invalid_request', 'Missing required parameter: scope');
    const unknown = scopes.filter((s) => !KNOWN_SCOPES.has(s));
    if (unknown.length)
      return page(400, 'invalid_scope', `Some requested scopes were invalid: ${unknown.join(' ')}`);
    const accessType = query.get('access_type') ?? 'online';
    if (accessType !== 'online' && accessType !== 'offline') {
      return page(400, 'invalid_request', `Invalid access_type: ${accessType}`);
    }
    const challenge = query.get('code_challenge') ?? undefined;
    const method = query.get('code_challenge_method') ?? (challenge ? 'plain' : undefined);
    if (challenge) {
      if (method !== 'S256' && method !== 'plain') {
        return page(400, 'invalid_request', `Invalid code_challenge_method: ${method}`);
      }
      if (!/^[A-Za-z0-9._~-]{43,128}$/.test(challenge)) {
        return page(400, 'invalid_request', 'Invalid code_challenge.');
      }
    } else if (query.has('code_challenge_method')) {
      return page(400, 'invalid_request', 'Missing code_challenge.');
    }
    if (this.settings.requirePkce && method !== 'S256') {
      return page(
        400,
        'invalid_request',
        'This client requires PKCE with code_challenge_method=S256.',
      );
    }
    const state = query.get('state') ?? undefined;
    const consent = this.consents.shift() ?? this.autoConsent(query.get('login_hint'));
    if (!consent) return page(400, 'access_denied', 'No account to sign in with.');
    const account = this.store.accounts.get(consent.email.toLowerCase());
    if (!account) return page(400, 'access_denied', `No account ${consent.email}.`);
    if (consent.deny) return redirect(redirectUri, { error: 'access_denied', state });
    const granted = scopes.filter((s) => !consent.grantScopes || consent.grantScopes.includes(s));
    const consentKey = `${account.email} ${client.clientId}`;
    const prompts = (query.get('prompt') ?? '').split(/\s+/);
    // Google hands out a refresh token on the first offline consent, and again only when the
    // app forces the consent screen with prompt=consent.
    const issueRefreshToken =
      accessType === 'offline' &&
      (prompts.includes('consent') || !this.store.offlineConsents.has(consentKey));
    if (accessType === 'offline') this.store.offlineConsents.add(consentKey);
    const code: AuthCode = {
      code: `4/emu-${randomToken(30)}`,
      clientId: client.clientId,
      redirectUri,
      email: account.email,
      scopes: granted,
      codeChallenge: challenge,
      codeChallengeMethod: challenge ? method : undefined,
      issueRefreshToken,
      nonce: query.get('nonce') ?? undefined,
      expiresAt: this.store.now() + 10 * 60_000,
      used: false,
    };
    this.store.codes.set(code.code, code);
    return redirect(redirectUri, {
      state,
      iss: ISSUER,
      code: code.code,
      scope: granted.join(' '),
      authuser: '0',
      prompt: query.get('prompt') ?? undefined,
    });
  }

  private autoConsent(loginHint: string | null): Consent | undefined {
    if (!this.settings.autoConsent) return undefined;
    if (loginHint && this.store.accounts.has(loginHint.toLowerCase())) return { email: loginHint };
    const first = this.store.accounts.keys().next();
    return first.done ? undefined : { email: first.value };
  }

  /** Client authentication: `client_secret` in the form, or HTTP Basic. */
  private authenticateClient(
    form: URLSearchParams,
    authorization: string | undefined,
  ): OAuthClient | ApiResponse {
    let clientId = form.get('client_id') ?? undefined;
    let secret = form.get('client_secret') ?? undefined;
    if (authorization?.startsWith('Basic ')) {
      const decoded = Buffer.from(authorization.slice(6), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      clientId = decodeURIComponent(decoded.slice(0, colon));
      secret = decodeURIComponent(decoded.slice(colon + 1));
    }
    const client = clientId ? this.store.clients.get(clientId) : undefined;
    if (!client) return oauthError(401, 'invalid_client', 'The OAuth client was not found.');
    if (secret !== client.clientSecret) return oauthError(401, 'invalid_client', 'Unauthorized');
    return client;
  }

  /** `POST /token`. */
  token(form: URLSearchParams, authorization: string | undefined): ApiResponse {
    const client = this.authenticateClient(form, authorization);
    if ('status' in client) return client;
    const grantType = form.get('grant_type');
    if (grantType === 'authorization_code') return this.exchangeCode(client, form);
    if (grantType === 'refresh_token') return this.refresh(client, form);
    return oauthError(400, 'unsupported_grant_type', `Invalid grant_type: ${grantType ?? ''}`);
  }

  private exchangeCode(client: OAuthClient, form: URLSearchParams): ApiResponse {
    const code = this.store.codes.get(form.get('code') ?? '');
    if (!code || code.clientId !== client.clientId) {
      return oauthError(400, 'invalid_grant', 'Malformed auth code.');
    }
    if (code.used || code.expiresAt <= this.store.now()) {
      return oauthError(400, 'invalid_grant', 'Bad Request');
    }
    if (form.get('redirect_uri') !== code.redirectUri) {
      return oauthError(400, 'redirect_uri_mismatch', 'Bad Request');
    }
    if (code.codeChallenge) {
      const verifier = form.get('code_verifier');
      if (!verifier) return oauthError(400, 'invalid_grant', 'Missing code verifier.');
      const computed =
        code.codeChallengeMethod === 'S256'
          ? createHash('sha256').update(verifier).digest('base64url')
          : verifier;
      if (computed !== code.codeChallenge) {
        return oauthError(400, 'invalid_grant', 'Invalid code verifier.');
      }
    } else if (form.has('code_verifier')) {
      return oauthError(400, 'invalid_grant', 'Invalid code verifier.'); // [U]
    }
    code.used = true;
    const grant = this.store.createGrant(
      code.email,
      client.clientId,
      code.scopes,
      code.issueRefreshToken,
    );
    return this.tokenResponse(grant, true, code.nonce);
  }

  private refresh(client: OAuthClient, form: URLSearchParams): ApiResponse {
    const grant = this.store.refreshTokens.get(form.get('refresh_token') ?? '');
    if (!grant || grant.revoked) {
      return oauthError(400, 'invalid_grant', 'Token has been expired or revoked.');
    }
    if (grant.clientId !== client.clientId)
      return oauthError(400, 'unauthorized_client', 'Unauthorized');
    return this.tokenResponse(grant, false);
  }

  private tokenResponse(grant: Grant, withRefreshToken: boolean, nonce?: string): ApiResponse {
    const access = this.store.issueAccessToken(grant, this.settings.accessTokenTtlSeconds);
    const body: Record<string, unknown> = {
      access_token: access.token,
      expires_in: this.settings.accessTokenTtlSeconds,
      // Google never rotates refresh tokens: the refresh answer has none, keep the old one.
      ...(withRefreshToken && grant.refreshToken ? { refresh_token: grant.refreshToken } : {}),
      scope: grant.scopes.join(' '),
      token_type: 'Bearer',
    };
    if (grant.scopes.includes('openid')) body.id_token = this.idToken(grant, access.token, nonce);
    return json(200, body, { 'Cache-Control': 'no-cache, no-store, max-age=0, must-revalidate' });
  }

  /** The invalidGrant fault: the answer Google gives a dead refresh token. */
  invalidGrant(form: URLSearchParams, description?: string, revoke = false): ApiResponse {
    if (revoke) {
      const grant = this.store.refreshTokens.get(form.get('refresh_token') ?? '');
      if (grant) this.store.revokeGrant(grant);
    }
    return oauthError(400, 'invalid_grant', description ?? 'Token has been expired or revoked.');
  }

  /** `POST /revoke?token=…` (or the token in the form): the whole grant dies. */
  revoke(query: URLSearchParams, form: URLSearchParams): ApiResponse {
    const token = query.get('token') ?? form.get('token') ?? '';
    const grant =
      this.store.refreshTokens.get(token) ??
      this.store.grants.get(this.store.accessTokens.get(token)?.grantId ?? '');
    if (!grant || grant.revoked)
      return oauthError(400, 'invalid_token', 'Token expired or revoked');
    this.store.revokeGrant(grant);
    return json(200, {});
  }

  private signingKeys() {
    if (!this.keys) {
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      this.keys = { kid: randomToken(10), privateKey, publicKey };
    }
    return this.keys;
  }

  private idToken(grant: Grant, accessToken: string, nonce?: string): string {
    const { kid, privateKey } = this.signingKeys();
    const account = this.store.account(grant.email);
    const now = Math.floor(this.store.now() / 1000);
    const header = { alg: 'RS256', kid, typ: 'JWT' };
    const payload: Record<string, unknown> = {
      iss: ISSUER,
      azp: grant.clientId,
      aud: grant.clientId,
      sub: account.sub,
      at_hash: createHash('sha256')
        .update(accessToken)
        .digest()
        .subarray(0, 16)
        .toString('base64url'),
      iat: now,
      exp: now + 3600,
    };
    if (grant.scopes.some((s) => s === 'email' || s.endsWith('userinfo.email'))) {
      payload.email = account.email;
      payload.email_verified = true;
    }
    if (grant.scopes.some((s) => s === 'profile' || s.endsWith('userinfo.profile'))) {
      payload.name = account.name;
    }
    if (nonce) payload.nonce = nonce;
    const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url');
    const signed = `${encode(header)}.${encode(payload)}`;
    const signature = createSign('RSA-SHA256')
      .update(signed)
      .sign(privateKey)
      .toString('base64url');
    return `${signed}.${signature}`;
  }

  /** `GET /oauth2/v1/certs` (kid → PEM) or `/oauth2/v3/certs` (JWK set). */
  certs(format: 'pem' | 'jwk'): ApiResponse {
    const { kid, publicKey } = this.signingKeys();
    const cache = { 'Cache-Control': 'public, max-age=3600' };
    if (format === 'pem') {
      return json(200, { [kid]: publicKey.export({ type: 'spki', format: 'pem' }) }, cache);
    }
    const jwk = createPublicKey(publicKey).export({ format: 'jwk' });
    return json(200, { keys: [{ ...jwk, kid, alg: 'RS256', use: 'sig' }] }, cache);
  }
}
