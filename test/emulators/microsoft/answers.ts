/**
 * How Graph answers: its JSON content type, the headers on every response, and its error body
 * `{"error":{"code","message","innerError"}}` with the request ids.
 */
import { randomUUID } from 'node:crypto';
import type { GraphResult } from './graph';
import { GraphHttpError } from './state';

export const JSON_TYPE =
  'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';

/** The ids Graph puts on an answer: its own, and the one the client sent (or a new one). */
export interface RequestIds {
  requestId: string;
  clientRequestId: string;
}

export function requestIds(headers: Record<string, string>): RequestIds {
  return { requestId: randomUUID(), clientRequestId: headers['client-request-id'] ?? randomUUID() };
}

export function errorBody(code: string, message: string, ids: RequestIds) {
  return {
    error: {
      code,
      message,
      innerError: {
        date: new Date().toISOString().replace(/\.\d+Z$/, ''),
        'request-id': ids.requestId,
        'client-request-id': ids.clientRequestId,
      },
    },
  };
}

/** What Graph answers for a token that died early. */
export const expiredToken = () =>
  new GraphHttpError(
    401,
    'InvalidAuthenticationToken',
    'Lifetime validation failed, the token is expired.',
  );

export function errorResult(error: GraphHttpError, ids: RequestIds): GraphResult {
  const headers: Record<string, string> = { ...error.headers };
  if (error.status === 401) {
    headers['WWW-Authenticate'] =
      'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"';
  }
  return { status: error.status, headers, body: errorBody(error.code, error.message, ids) };
}

/**
 * Runs a Graph handler, synchronous or not; a thrown GraphHttpError becomes its error answer.
 * (`$batch` sub-requests run synchronously, so that a batch is applied in one go.)
 */
export function answerOf<R extends GraphResult | Promise<GraphResult>>(
  handler: () => R,
  ids: RequestIds,
): R {
  const refused = (error: unknown): GraphResult => {
    if (error instanceof GraphHttpError) return errorResult(error, ids);
    throw error;
  };
  try {
    const result = handler();
    return (result instanceof Promise ? result.catch(refused) : result) as R;
  } catch (error) {
    return refused(error) as R;
  }
}

/** The status, headers and body text Graph writes for `result`. */
export function graphResponse(result: GraphResult, ids: RequestIds) {
  const headers: Record<string, string> = {
    'Cache-Control': 'no-cache',
    'request-id': ids.requestId,
    'client-request-id': ids.clientRequestId,
    'x-ms-ags-diagnostic': JSON.stringify({
      ServerInfo: {
        DataCenter: 'Loopback',
        Slice: 'E',
        Ring: '0',
        ScaleUnit: '0',
        RoleInstance: 'emulator',
      },
    }),
    'Strict-Transport-Security': 'max-age=31536000',
    ...result.headers,
  };
  if (result.body === undefined) return { status: result.status, headers };
  return {
    status: result.status,
    headers: { 'Content-Type': JSON_TYPE, ...headers },
    body: JSON.stringify(result.body),
  };
}
