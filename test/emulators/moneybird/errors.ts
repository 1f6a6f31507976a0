/**
 * Moneybird's answers and error shapes: `{"error": "…", "symbolic": {field: code}}` for 400/
 * 401/403/404, `{"error": {field: [messages]}, "details": {field: [{error: code}]}}` for 422,
 * the bare JSON string `"Retry later"` for 429, and Doorkeeper's OAuth errors at /oauth/token.
 */
import { AnswerError, json } from '../common/answers';
import type { EmulatorResponse } from '../common/emulator-http';

export { JSON_TYPE, json, oauthError } from '../common/answers';
export type ApiResponse = EmulatorResponse;

/** A thrown answer: handlers `throw new MoneybirdError(json(…))` to stop and answer it. */
export class MoneybirdError extends AnswerError {
  constructor(response: ApiResponse) {
    super(response, 'Moneybird');
  }
}

export function symbolicError(
  status: number,
  error: string,
  symbolic?: Record<string, string>,
): MoneybirdError {
  return new MoneybirdError(json(status, symbolic ? { error, symbolic } : { error }));
}

export const notFound = () => symbolicError(404, 'record not found', { id: 'not_found' });

/** 422 with one or more field errors: `{ ended_at: ['cannot be before the start time', 'ended_at_before_started_at'] }`. */
export function validationError(fields: Record<string, [message: string, code: string]>) {
  const error: Record<string, string[]> = {};
  const details: Record<string, Array<{ error: string }>> = {};
  for (const [field, [message, code]] of Object.entries(fields)) {
    error[field] = [message];
    details[field] = [{ error: code }];
  }
  return new MoneybirdError(json(422, { error, details }));
}

export const INVALID_GRANT_DESCRIPTION =
  'The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.';
