/**
 * Harvest's answers and error shapes: `{"message": "…"}` for 422 (and other refusals of a
 * request's content), `{"status": 404, "error": "Not Found"}` for unknown resources, the OAuth
 * `{"error": "invalid_token", "error_description": …}` for a bad token or account id, and
 * `{error, error_description}` at the token endpoint.
 */
import { statusText } from '../common/http';

export interface ApiResponse {
  status: number;
  headers?: Record<string, string>;
  /** JSON-encoded unless a string with an HTML content type; undefined = no body. */
  body?: unknown;
}

export const JSON_TYPE = 'application/json; charset=utf-8';

export function json(status: number, body: unknown, headers: Record<string, string> = {}) {
  return { status, headers: { 'Content-Type': JSON_TYPE, ...headers }, body } as ApiResponse;
}

/** A thrown answer: handlers `throw new HarvestError(json(…))` to stop and answer it. */
export class HarvestError extends Error {
  constructor(readonly response: ApiResponse) {
    super(`Harvest ${response.status}`);
  }
}

/** 422 (or another status) with Harvest's `{"message": …}`. */
export const messageError = (message: string, status = 422) =>
  new HarvestError(json(status, { message }));

/** `{"status": 404, "error": "Not Found"}` and the like. */
export const statusError = (status: number) =>
  new HarvestError(json(status, { status, error: statusText(status) }));

export const notFound = () => statusError(404);

export const INVALID_TOKEN_DESCRIPTION =
  'The access token provided is expired, revoked, malformed or invalid for other reasons.';

/** Harvest's answer for a dead token and for a missing or unreachable `Harvest-Account-Id`. */
export const invalidToken = () =>
  new HarvestError(
    json(401, { error: 'invalid_token', error_description: INVALID_TOKEN_DESCRIPTION }),
  );

export function oauthError(status: number, error: string, description: string): ApiResponse {
  return json(status, { error, error_description: description }, { 'Cache-Control': 'no-store' });
}

export const INVALID_GRANT_DESCRIPTION =
  'The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.';
