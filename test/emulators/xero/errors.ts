/**
 * Xero's answers and error shapes, which differ by API:
 *
 * - the Projects API: `{"message": "…", "modelState": {field: [messages]}}` (its `Error` schema);
 * - the Accounting API: `{"ErrorNumber": 10, "Type": "ValidationException", "Message": "…",
 *   "Elements": [{"ValidationErrors": [{"Message": "…"}]}]}`;
 * - the gateway in front of both (token, tenant, throttling): problem details with capitalised
 *   keys, `{"Type": null, "Title": "Unauthorized", "Status": 401, "Detail": "TokenExpired: …",
 *   "Instance": "<uuid>", "Extensions": {}}`;
 * - the identity server: OAuth's `{"error": "invalid_grant"}`.
 */
import { randomUUID } from 'node:crypto';
import { AnswerError, json } from '../common/answers';
import type { EmulatorResponse } from '../common/emulator-http';

export { JSON_TYPE, json, oauthError } from '../common/answers';
export type ApiResponse = EmulatorResponse;

/** A thrown answer: handlers `throw new XeroError(json(…))` to stop and answer it. */
export class XeroError extends AnswerError {
  constructor(response: ApiResponse) {
    super(response, 'Xero');
  }
}

export type Dialect = 'projects' | 'accounting';

/** The gateway's problem details (401, 403, 429). */
export function problem(status: number, title: string, detail: string, headers = {}) {
  return json(
    status,
    {
      Type: null,
      Title: title,
      Status: status,
      Detail: detail,
      Instance: randomUUID(),
      Extensions: {},
    },
    headers,
  );
}

export const tokenExpired = (expiredAtMs: number) =>
  problem(
    401,
    'Unauthorized',
    `TokenExpired: token expired at ${new Date(expiredAtMs).toUTCString()}`,
  );

export const authenticationUnsuccessful = (status: 401 | 403) =>
  problem(status, status === 401 ? 'Unauthorized' : 'Forbidden', 'AuthenticationUnsuccessful');

/** A Projects API error: `{message, modelState}`. */
export function projectsError(
  status: number,
  message: string,
  modelState: Record<string, string[]> = {},
): XeroError {
  return new XeroError(json(status, { message, modelState }));
}

/** An Accounting API error: `{ErrorNumber, Type, Message, Elements}`. */
export function accountingError(
  status: number,
  type: string,
  message: string,
  validationErrors: string[] = [],
): XeroError {
  const errorNumber = type === 'ValidationException' ? 10 : status === 404 ? 20 : 17;
  return new XeroError(
    json(status, {
      ErrorNumber: errorNumber,
      Type: type,
      Message: message,
      ...(validationErrors.length
        ? { Elements: [{ ValidationErrors: validationErrors.map((m) => ({ Message: m })) }] }
        : {}),
    }),
  );
}

/** A 404 in the API's own shape `[U]`. */
export function notFound(dialect: Dialect): XeroError {
  const message = "The resource you're looking for cannot be found";
  return dialect === 'projects'
    ? projectsError(404, message)
    : accountingError(404, 'NotFoundException', message);
}

/** Microsoft-style `/Date(ms+0000)/`, as the Accounting API writes times. */
export const msJsonDate = (ms: number): string => `/Date(${ms}+0000)/`;
