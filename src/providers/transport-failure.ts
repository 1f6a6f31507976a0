/**
 * What went wrong when a provider request got no HTTP answer at all. SDKs wrap the underlying
 * undici error differently (gaxios: `cause.cause.code`; the Graph SDK: whole in `body` under Jest,
 * lost in production), and under Jest the error comes from another realm so `instanceof` fails:
 * the error chain is walked by duck typing.
 */
export type TransportFailureCode = 'timeout' | 'connection_reset' | 'network_error';

const RESET_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
  // undici: "other side closed" when the server destroys the socket mid-request.
  'UND_ERR_SOCKET',
]);
const TIMEOUT_NAMES = new Set([
  'TimeoutError',
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/**
 * Classifies a failed request. `signal` is the timeout signal the request was sent with: when it
 * fired, the request timed out whatever the error looks like.
 */
export function transportFailureCode(error: unknown, signal?: AbortSignal): TransportFailureCode {
  if (signal?.aborted) return 'timeout';
  const names = errorChainNames(error);
  if (names.some((name) => TIMEOUT_NAMES.has(name))) return 'timeout';
  if (names.some((name) => RESET_CODES.has(name))) return 'connection_reset';
  return 'network_error';
}

/** `name` and `code` of the error and its causes (`cause`, and the Graph SDK's `body`). */
function errorChainNames(error: unknown): string[] {
  const names: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current && typeof current === 'object'; depth++) {
    const { name, code, cause, body } = current as Record<string, unknown>;
    if (typeof name === 'string') names.push(name);
    if (typeof code === 'string') names.push(code);
    current = cause ?? (body && typeof body === 'object' ? body : undefined);
  }
  return names;
}

export const TRANSPORT_FAILURE_MESSAGES: Record<TransportFailureCode, string> = {
  timeout: 'the request timed out',
  connection_reset: 'the connection was reset before an answer arrived',
  network_error: 'the request failed before an answer arrived',
};
