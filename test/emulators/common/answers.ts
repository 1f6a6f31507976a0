/**
 * The answer helpers the invoicing emulators share: JSON answers, a thrown answer that stops a
 * handler, OAuth's token-endpoint errors, and how a fault is answered there. Each emulator's
 * errors.ts builds its provider's own error shapes on these.
 */
import type { EmulatorResponse } from './emulator-http';
import type { FaultAnswer } from './faults';

export const JSON_TYPE = 'application/json; charset=utf-8';

export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): EmulatorResponse {
  return { status, headers: { 'Content-Type': JSON_TYPE, ...headers }, body };
}

/** A thrown answer: a handler throws it to stop and answer `response`. */
export class AnswerError extends Error {
  constructor(
    readonly response: EmulatorResponse,
    provider: string,
  ) {
    super(`${provider} ${response.status}`);
  }
}

/** A token endpoint's error; `description` is left out when the provider sends none. */
export function oauthError(status: number, error: string, description?: string) {
  const body = description === undefined ? { error } : { error, error_description: description };
  return json(status, body, { 'Cache-Control': 'no-store' });
}

/** A fault's error answer at a token endpoint, with the fault's extra headers. */
export function oauthFault(
  answer: FaultAnswer,
  headers: Record<string, string>,
  options: { describe: boolean },
): EmulatorResponse {
  const response = oauthError(
    answer.status,
    answer.code ?? (answer.status >= 500 ? 'server_error' : 'temporarily_unavailable'),
    options.describe ? (answer.message ?? 'Injected by the emulator.') : undefined,
  );
  return { ...response, headers: { ...response.headers, ...headers } };
}
