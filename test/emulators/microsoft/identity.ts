import { createPrivateKey, createSign, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Fault } from '../common/faults';
import { Account, AppRegistration, MicrosoftState, pkceS256 } from './state';

/** An HTTP answer from the identity endpoints. */
export interface IdentityResult {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface IdentityContext {
  state: MicrosoftState;
  baseUrl: string;
  /** PEM key used to sign id_tokens (ES256). */
  signingKey: string;
}

const html = (status: number, title: string, text: string): IdentityResult => ({
  status,
  headers: { 'Content-Type': 'text/html; charset=utf-8' },
  body: `<!doctype html><title>${escapeHtml(title)}</title><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p>`,
});

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function redirect(target: string, params: Record<string, string | undefined>): IdentityResult {
  const url = new URL(target);
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined) url.searchParams.set(key, value);
  }
  return { status: 302, headers: { Location: url.toString() }, body: '' };
}

/** Microsoft identity platform error JSON (AADSTS codes). */
export function oauthError(
  status: number,
  error: string,
  aadsts: number,
  description: string,
  headers: Record<string, string> = {},
): IdentityResult {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = new Date()
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
  return {
    status,
    headers: {
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-store',
      ...headers,
    },
    body: JSON.stringify({
      error,
      error_description: `AADSTS${aadsts}: ${description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
      error_codes: [aadsts],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `https://login.microsoftonline.com/error?code=${aadsts}`,
    }),
  };
}

function splitScopes(scope: string | null | undefined): string[] {
  return (scope ?? '').split(/\s+/).filter(Boolean);
}

function redirectAllowed(app: AppRegistration, redirectUri: string): boolean {
  return app.redirectUris.length === 0 || app.redirectUris.includes(redirectUri);
}

/** GET /{tenant}/oauth2/v2.0/authorize */
export function authorize(
  ctx: IdentityContext,
  query: URLSearchParams,
  authorizeUrl: string,
): IdentityResult {
  const clientId = query.get('client_id') ?? '';
  const app = ctx.state.apps.get(clientId);
  if (!app) {
    return html(
      400,
      'Sign in',
      `AADSTS700016: Application with identifier '${clientId}' was not found in the directory.`,
    );
  }
  const redirectUri = query.get('redirect_uri') ?? '';
  if (!redirectUri || !redirectAllowed(app, redirectUri)) {
    return html(
      400,
      'Sign in',
      `AADSTS50011: The redirect URI '${redirectUri}' specified in the request does not match the ` +
        `redirect URIs configured for the application '${clientId}'.`,
    );
  }
  const state = query.get('state') ?? undefined;
  if (query.get('response_type') !== 'code') {
    return redirect(redirectUri, {
      error: 'unsupported_response_type',
      error_description: 'AADSTS700054: response_type must be code for this emulator.',
      state,
    });
  }
  const scopes = splitScopes(query.get('scope'));
  if (scopes.length === 0) {
    return redirect(redirectUri, {
      error: 'invalid_request',
      error_description:
        "AADSTS900144: The request body must contain the following parameter: 'scope'.",
      state,
    });
  }
  const challenge = query.get('code_challenge') ?? undefined;
  const challengeMethod = challenge ? (query.get('code_challenge_method') ?? 'plain') : undefined;
  if (challengeMethod && challengeMethod !== 'S256' && challengeMethod !== 'plain') {
    return redirect(redirectUri, {
      error: 'invalid_request',
      error_description: 'AADSTS501491: Invalid code_challenge_method.',
      state,
    });
  }

  const consentAs = query.get('emulator_consent_as');
  if (!consentAs) {
    // What a person sees: pick an account (links used by serve.ts users; tests call ms.consent).
    const links = [...ctx.state.accounts.values()]
      .map((a) => {
        const url = new URL(authorizeUrl);
        url.searchParams.set('emulator_consent_as', a.email);
        return `<li><a href="${escapeHtml(url.toString())}">${escapeHtml(a.email)}</a></li>`;
      })
      .join('');
    return {
      status: 200,
      headers: { 'Content-Type': 'text/html; charset=utf-8' },
      body: `<!doctype html><title>Sign in</title><h1>Microsoft emulator: pick an account</h1><ul>${links}</ul>`,
    };
  }
  if (consentAs === 'deny') {
    return redirect(redirectUri, {
      error: 'access_denied',
      error_description: 'AADSTS65004: User declined to consent to access the app.',
      state,
    });
  }
  const account = ctx.state.findAccount(consentAs);
  if (!account)
    return html(400, 'Sign in', `AADSTS50034: The user account ${consentAs} does not exist.`);
  const code = ctx.state.issueCode({
    clientId,
    redirectUri,
    scopes,
    accountId: account.id,
    challenge,
    challengeMethod,
    nonce: query.get('nonce') ?? undefined,
  });
  return redirect(redirectUri, { code, state, session_state: randomUUID() });
}

/** Client credentials from the form or HTTP Basic. */
function clientCredentials(
  form: URLSearchParams,
  authorization: string | undefined,
): { clientId?: string; clientSecret?: string } {
  if (authorization?.toLowerCase().startsWith('basic ')) {
    const decoded = Buffer.from(authorization.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return {
      clientId: decodeURIComponent(decoded.slice(0, colon)),
      clientSecret: decodeURIComponent(decoded.slice(colon + 1)),
    };
  }
  return {
    clientId: form.get('client_id') ?? undefined,
    clientSecret: form.get('client_secret') ?? undefined,
  };
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Scopes the token response reports: what was granted, without offline_access. */
function reportedScopes(scopes: string[]): string {
  return scopes.filter((s) => s.toLowerCase() !== 'offline_access').join(' ');
}

function idToken(
  ctx: IdentityContext,
  account: Account,
  clientId: string,
  scopes: string[],
  nonce?: string,
) {
  const now = Math.floor(ctx.state.now() / 1000);
  const header = { typ: 'JWT', alg: 'ES256', kid: 'ms-emulator' };
  const claims: Record<string, unknown> = {
    aud: clientId,
    iss: `https://login.microsoftonline.com/${account.tenantId}/v2.0`,
    iat: now,
    nbf: now,
    exp: now + 3600,
    name: account.displayName,
    oid: account.id,
    preferred_username: account.email,
    sub: Buffer.from(`${account.id}:${clientId}`).toString('base64url').slice(0, 43),
    tid: account.tenantId,
    ver: '2.0',
  };
  if (scopes.some((s) => s.toLowerCase() === 'email')) claims.email = account.email;
  if (nonce) claims.nonce = nonce;
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${encode(header)}.${encode(claims)}`;
  const signature = createSign('SHA256')
    .update(input)
    .sign({ key: createPrivateKey(ctx.signingKey), dsaEncoding: 'ieee-p1363' })
    .toString('base64url');
  return `${input}.${signature}`;
}

function tokenAnswer(
  ctx: IdentityContext,
  account: Account,
  clientId: string,
  scopes: string[],
  nonce?: string,
): IdentityResult {
  const issued = ctx.state.issueTokens(account.id, clientId, scopes);
  const body: Record<string, unknown> = {
    token_type: 'Bearer',
    scope: reportedScopes(scopes),
    expires_in: issued.expiresIn,
    ext_expires_in: issued.expiresIn,
    access_token: issued.accessToken,
  };
  if (issued.refreshToken) body.refresh_token = issued.refreshToken;
  if (scopes.some((s) => s.toLowerCase() === 'openid')) {
    body.id_token = idToken(ctx, account, clientId, scopes, nonce);
  }
  return {
    status: 200,
    headers: {
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-store, no-cache',
      Pragma: 'no-cache',
    },
    body: JSON.stringify(body),
  };
}

/** POST /{tenant}/oauth2/v2.0/token */
export function token(
  ctx: IdentityContext,
  form: URLSearchParams,
  authorization: string | undefined,
): IdentityResult {
  const { clientId, clientSecret } = clientCredentials(form, authorization);
  const app = clientId ? ctx.state.apps.get(clientId) : undefined;
  if (!app) {
    return oauthError(
      400,
      'unauthorized_client',
      700016,
      `Application with identifier '${clientId ?? ''}' was not found in the directory.`,
    );
  }
  if (!clientSecret) {
    return oauthError(
      401,
      'invalid_client',
      7000218,
      "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    );
  }
  if (!sameSecret(clientSecret, app.clientSecret)) {
    return oauthError(
      401,
      'invalid_client',
      7000215,
      'Invalid client secret provided. Ensure the secret being sent in the request is the client ' +
        `secret value, not the client secret ID, for a secret added to app '${app.clientId}'.`,
    );
  }
  const grantType = form.get('grant_type');
  if (grantType === 'authorization_code') {
    const codeValue = form.get('code') ?? '';
    const code = ctx.state.takeCode(codeValue);
    if (!code || code.clientId !== app.clientId) {
      return oauthError(
        400,
        'invalid_grant',
        9002313,
        'Invalid request. Request is malformed or invalid.',
      );
    }
    if (code.redeemed) {
      return oauthError(
        400,
        'invalid_grant',
        54005,
        'OAuth2 Authorization code was already redeemed.',
      );
    }
    if (code.expiresMs < ctx.state.now()) {
      return oauthError(
        400,
        'invalid_grant',
        70008,
        'The provided authorization code or refresh token has expired due to inactivity.',
      );
    }
    if ((form.get('redirect_uri') ?? '') !== code.redirectUri) {
      return oauthError(
        400,
        'invalid_grant',
        50148,
        'The redirect_uri does not match the one used in the authorization request.',
      );
    }
    if (code.challenge) {
      const verifier = form.get('code_verifier') ?? '';
      const computed = code.challengeMethod === 'S256' ? pkceS256(verifier) : verifier;
      if (!verifier || computed !== code.challenge) {
        return oauthError(
          400,
          'invalid_grant',
          501481,
          'The Code_Verifier does not match the code_challenge supplied in the authorization request.',
        );
      }
    }
    code.redeemed = true;
    const account = [...ctx.state.accounts.values()].find(
      (a) => a.id === code.accountId,
    ) as Account;
    return tokenAnswer(ctx, account, app.clientId, code.scopes, code.nonce);
  }
  if (grantType === 'refresh_token') {
    const presented = form.get('refresh_token') ?? '';
    const grant = ctx.state.refreshGrant(presented);
    if (!grant || !grant.active || grant.clientId !== app.clientId) {
      return oauthError(
        400,
        'invalid_grant',
        70000,
        'Provided grant is invalid or malformed. The refresh token was already used, revoked or ' +
          'was issued to another client.',
      );
    }
    const requested = splitScopes(form.get('scope'));
    const granted = new Set(grant.scopes.map((s) => s.toLowerCase()));
    const extra = requested.filter((s) => !granted.has(s.toLowerCase()));
    if (extra.length > 0) {
      return oauthError(
        400,
        'invalid_grant',
        65001,
        `The user or administrator has not consented to use the application with ID '${app.clientId}' for: ${extra.join(' ')}.`,
      );
    }
    // Microsoft rotates the refresh token on every use: the presented one dies here.
    grant.active = false;
    const account = [...ctx.state.accounts.values()].find(
      (a) => a.id === grant.accountId,
    ) as Account;
    return tokenAnswer(ctx, account, app.clientId, grant.scopes);
  }
  return oauthError(
    400,
    'unsupported_grant_type',
    70003,
    `The app requested an unsupported grant type '${grantType ?? ''}'.`,
  );
}

/** GET /{tenant}/v2.0/.well-known/openid-configuration */
export function openidConfiguration(ctx: IdentityContext, tenant: string): IdentityResult {
  const base = `${ctx.baseUrl}/${tenant}`;
  return {
    status: 200,
    headers: { 'Content-Type': 'application/json; charset=utf-8' },
    body: JSON.stringify({
      issuer: `https://login.microsoftonline.com/${ctx.state.tenantId}/v2.0`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      token_endpoint: `${base}/oauth2/v2.0/token`,
      response_types_supported: ['code'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      code_challenge_methods_supported: ['S256', 'plain'],
      token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
      id_token_signing_alg_values_supported: ['ES256'],
    }),
  };
}

export type IdentityEndpoint = 'authorize' | 'token';

/** `/{tenant}/oauth2/v2.0/authorize` and `…/token`, once the fault schedule let the request through. */
export function identityEndpoint(
  ctx: IdentityContext,
  endpoint: IdentityEndpoint,
  request: { method: string; url: URL; headers: Record<string, string>; form: URLSearchParams },
): IdentityResult {
  const { method, url, headers, form } = request;
  if (endpoint === 'authorize') {
    if (method !== 'GET')
      return oauthError(405, 'invalid_request', 900561, 'Use GET for authorize.');
    return authorize(ctx, url.searchParams, url.toString());
  }
  if (method !== 'POST') {
    return oauthError(405, 'invalid_request', 900561, 'The endpoint only accepts POST requests.');
  }
  if (
    !(headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')
  ) {
    return oauthError(
      400,
      'invalid_request',
      900144,
      "The request body must contain the following parameter: 'grant_type'.",
    );
  }
  return token(ctx, form, headers['authorization']);
}

/**
 * An injected invalid_grant at the token endpoint: the presented code is used up, and with
 * `revoke` the presented refresh token dies too.
 */
export function injectedInvalidGrant(
  state: MicrosoftState,
  form: URLSearchParams,
  fault: Extract<Fault, { kind: 'invalidGrant' }>,
): IdentityResult {
  if (fault.revoke) {
    const presented = form.get('refresh_token');
    const refreshGrant = presented ? state.refreshGrant(presented) : undefined;
    if (refreshGrant) refreshGrant.active = false;
  }
  const code = form.get('code');
  const issued = code ? state.takeCode(code) : undefined;
  if (issued) issued.redeemed = true;
  return oauthError(
    400,
    'invalid_grant',
    70000,
    fault.description ?? 'Provided grant is invalid or malformed (injected: consent revoked).',
  );
}
