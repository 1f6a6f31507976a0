/**
 * Harvest's answers and error shapes: `{"message": "…"}` for 422 (and other refusals of a
 * request's content), `{"status": 404, "error": "Not Found"}` for unknown resources, the OAuth
 * `{"error": "invalid_token", "error_description": …}` for a bad token or account id, and
 * `{error, error_description}` at the token endpoint.
 */
import { statusText } from '../common/http';
import { AnswerError, json } from '../common/answers';
import type { EmulatorResponse } from '../common/emulator-http';

export { JSON_TYPE, json, oauthError } from '../common/answers';
export type ApiResponse = EmulatorResponse;

/** A thrown answer: handlers `throw new HarvestError(json(…))` to stop and answer it. */
export class HarvestError extends AnswerError {
  constructor(response: ApiResponse) {
    super(response, 'Harvest');
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

export const INVALID_GRANT_DESCRIPTION =
  'The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.';
