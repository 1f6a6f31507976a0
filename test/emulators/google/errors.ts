/**
 * Google API error bodies: `{"error":{"code":N,"message":"…","errors":[{"domain","reason","message"}]}}`
 * as Google documents them. Messages follow what Google answers where known; `[U]` marks the ones
 * picked without a verified sample.
 */
import type { RetryAfter } from '../common/faults';

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  /** JSON value, a string (sent as is), or undefined for an empty body. */
  body?: unknown;
}

export interface GoogleErrorItem {
  domain: string;
  reason: string;
  message: string;
  location?: string;
  locationType?: string;
}

export const JSON_TYPE = 'application/json; charset=UTF-8';

const USAGE_LIMIT_REASONS = new Set([
  'rateLimitExceeded',
  'userRateLimitExceeded',
  'dailyLimitExceeded',
  'quotaExceeded',
]);

const DEFAULTS: Record<number, { reason: string; message: string }> = {
  400: { reason: 'invalid', message: 'Bad Request' },
  401: { reason: 'authError', message: 'Invalid Credentials' },
  403: { reason: 'forbidden', message: 'Forbidden' },
  404: { reason: 'notFound', message: 'Not Found' },
  409: { reason: 'duplicate', message: 'The requested identifier already exists.' },
  410: { reason: 'deleted', message: 'Resource has been deleted' },
  412: { reason: 'conditionNotMet', message: 'Precondition Failed' },
  429: { reason: 'rateLimitExceeded', message: 'Rate Limit Exceeded' },
  500: { reason: 'backendError', message: 'Backend Error' },
  503: { reason: 'backendError', message: 'The service is currently unavailable.' }, // [U]
};

const REASON_MESSAGES: Record<string, string> = {
  rateLimitExceeded: 'Rate Limit Exceeded',
  userRateLimitExceeded: 'User Rate Limit Exceeded',
  dailyLimitExceeded: 'Daily Limit Exceeded',
  quotaExceeded: 'Calendar usage limits exceeded.',
  backendError: 'Backend Error',
  fullSyncRequired: 'Sync token is no longer valid, a full sync is required.',
  conditionNotMet: 'Precondition Failed',
  deleted: 'Resource has been deleted',
  notFound: 'Not Found',
  duplicate: 'The requested identifier already exists.',
};

/** The reason Google gives a status when none is said (e.g. 429 → rateLimitExceeded). */
export function defaultReason(status: number): string {
  return DEFAULTS[status]?.reason ?? (status >= 500 ? 'backendError' : 'invalid');
}

export function googleError(
  status: number,
  reason?: string,
  message?: string,
  extra: { retryAfter?: RetryAfter; headers?: Record<string, string>; item?: object } = {},
): ApiResponse {
  const fallback = DEFAULTS[status] ?? {
    reason: status >= 500 ? 'backendError' : 'invalid',
    message: 'Error',
  };
  const why = reason ?? fallback.reason;
  const text =
    message ?? (reason ? (REASON_MESSAGES[reason] ?? fallback.message) : fallback.message);
  const domain = USAGE_LIMIT_REASONS.has(why) ? 'usageLimits' : 'global';
  const headers: Record<string, string> = { 'Content-Type': JSON_TYPE, ...extra.headers };
  if (extra.retryAfter !== undefined) headers['Retry-After'] = String(extra.retryAfter);
  return {
    status,
    headers,
    body: {
      error: {
        errors: [{ domain, reason: why, message: text, ...extra.item }],
        code: status,
        message: text,
      },
    },
  };
}

const AUTH_HEADER = { location: 'Authorization', locationType: 'header' };
const SEE = 'See https://developers.google.com/identity/sign-in/web/devconsole-project.';

/** No credentials at all: Google answers reason `required` ("Login Required"). */
export function loginRequired(): ApiResponse {
  const response = googleError(
    401,
    'required',
    'Request is missing required authentication credential. Expected OAuth 2 access token, ' +
      `login cookie or other valid authentication credential. ${SEE}`,
    { headers: { 'WWW-Authenticate': 'Bearer realm="https://accounts.google.com/"' } },
  );
  const error = (response.body as { error: Record<string, unknown> }).error;
  error.errors = [
    { message: 'Login Required.', domain: 'global', reason: 'required', ...AUTH_HEADER },
  ];
  error.status = 'UNAUTHENTICATED';
  return response;
}

/** Unknown, expired or revoked access token: reason `authError` ("Invalid Credentials"). */
export function invalidCredentials(): ApiResponse {
  const response = googleError(
    401,
    'authError',
    'Request had invalid authentication credentials. Expected OAuth 2 access token, login ' +
      `cookie or other valid authentication credential. ${SEE}`,
    {
      headers: {
        'WWW-Authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"',
      },
    },
  );
  const error = (response.body as { error: Record<string, unknown> }).error;
  error.errors = [
    { message: 'Invalid Credentials', domain: 'global', reason: 'authError', ...AUTH_HEADER },
  ];
  error.status = 'UNAUTHENTICATED';
  return response;
}

export function insufficientScopes(): ApiResponse {
  const response = googleError(
    403,
    'insufficientPermissions',
    'Request had insufficient authentication scopes.',
  );
  const error = (response.body as { error: Record<string, unknown> }).error;
  error.errors = [
    { message: 'Insufficient Permission', domain: 'global', reason: 'insufficientPermissions' },
  ];
  error.status = 'PERMISSION_DENIED';
  return response;
}

/** The HTML 404 Google's front end answers for a URL no API serves (not a JSON error). */
export function unknownUrl(path: string): ApiResponse {
  const escaped = path.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return {
    status: 404,
    headers: { 'Content-Type': 'text/html; charset=UTF-8' },
    body:
      '<!DOCTYPE html>\n<html lang=en><meta charset=utf-8><title>Error 404 (Not Found)!!1</title>' +
      `<p><b>404.</b> <ins>That’s an error.</ins><p>The requested URL <code>${escaped}</code> ` +
      'was not found on this server. <ins>That’s all we know.</ins></html>',
  };
}

/** OAuth endpoints answer `{"error":"invalid_grant","error_description":"…"}`. */
export function oauthError(
  status: number,
  error: string,
  description?: string,
  retryAfter?: RetryAfter,
): ApiResponse {
  const headers: Record<string, string> = {
    'Content-Type': JSON_TYPE,
    'Cache-Control': 'no-store',
  };
  if (retryAfter !== undefined) headers['Retry-After'] = String(retryAfter);
  return {
    status,
    headers,
    body: description === undefined ? { error } : { error, error_description: description },
  };
}

export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): ApiResponse {
  return { status, headers: { 'Content-Type': JSON_TYPE, ...headers }, body };
}
