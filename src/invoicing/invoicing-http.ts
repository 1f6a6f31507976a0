import { InvoicingError } from './invoicing-provider';
import { EventWrite } from '../providers/calendar-events';
import { ProviderHttp } from '../providers/provider-http';
import { transportFailureCode } from '../providers/transport-failure';
import {
  failureWithoutToken,
  HttpFailure,
  httpWriteFailure,
  transportWriteFailure,
} from '../providers/write-failure';

/** An answer of an invoicing API: status, headers and the body parsed as JSON (undefined if none). */
export interface InvoicingAnswer {
  status: number;
  headers: Headers;
  body: unknown;
}

export interface InvoicingRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  /** Sent as JSON. */
  body?: unknown;
  accessToken: string;
}

/**
 * Sends one request of an invoicing client with a timeout. Any HTTP answer is returned, for the
 * client to read its own error shape; no answer at all throws `InvoicingError` (`retryable`).
 */
export async function sendInvoicingRequest(
  provider: string,
  http: ProviderHttp,
  request: InvoicingRequest,
  timeoutMs: number,
): Promise<InvoicingAnswer> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const response = await http.request(request.url, {
      method: request.method,
      headers: {
        accept: 'application/json',
        authorization: `Bearer ${request.accessToken}`,
        ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...request.headers,
      },
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      signal,
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: parseJson(text) };
  } catch (error) {
    throw new InvoicingError(transportWriteFailure(provider, transportFailureCode(error, signal)));
  }
}

/**
 * An HTTP error answer as `InvoicingError`, classified once like the calendar providers' writes
 * (`write` says what a 404 means: `update` → `gone`). The access token never reaches the message.
 */
export function invoicingHttpError(
  provider: string,
  failure: HttpFailure,
  write: EventWrite['kind'] | 'request',
  accessToken: string,
): InvoicingError {
  return new InvoicingError(
    failureWithoutToken(httpWriteFailure(provider, failure, write), accessToken),
  );
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
