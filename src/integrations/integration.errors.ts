import { DecryptionError } from '../common/crypto/encrypter';
import { DomainError } from '../common/errors/domain.error';
import { InvoicingError } from '../invoicing/invoicing-provider';
import { ProviderError } from '../providers/calendar-provider';
import { ReconnectRequiredError, TokenRefreshFailedError } from './access-tokens';

/**
 * The provider refused the refresh token (or the stored one can no longer be read): only the user
 * going through consent again can fix it. `code` is the integration's own `needs_reconnect` flag,
 * so the SPA can show the same "connect again" prompt it shows in the integration list.
 */
export class NeedsReconnectError extends DomainError {
  constructor(integrationId: number, detail: string) {
    super(409, 'needs-reconnect', 'Conflict', detail, {
      code: 'needs_reconnect',
      integration_id: integrationId,
    });
  }
}

/** The provider (or its token endpoint) failed; nothing was changed. */
export class ProviderUnavailableError extends DomainError {
  constructor(status: 502 | 503, detail: string) {
    super(
      status,
      'provider-unavailable',
      status === 502 ? 'Bad Gateway' : 'Service Unavailable',
      detail,
      {
        code: 'provider_unavailable',
      },
    );
  }
}

/** An organization books time in one invoicing system at a time. */
export class InvoicingAlreadyConnectedError extends DomainError {
  constructor(integrationId: number, provider: string) {
    super(
      409,
      'invoicing-already-connected',
      'Conflict',
      `This organization already has an invoicing integration (${provider}); disconnect it first.`,
      { code: 'invoicing_already_connected', integration_id: integrationId },
    );
  }
}

/** A sync worker (or another disconnect) holds the integration right now. */
export class IntegrationBusyError extends DomainError {
  constructor(private readonly retryAfterSeconds: number) {
    super(
      409,
      'integration-busy',
      'Conflict',
      'This calendar account is being synced or disconnected right now; try again in a moment.',
      { code: 'integration_busy' },
    );
  }

  override headers(): Record<string, string> {
    return { 'Retry-After': String(Math.max(1, Math.ceil(this.retryAfterSeconds))) };
  }
}

/** Some of danwel's events could not be deleted; the integration stays so the user can retry. */
export class EventsNotRemovedError extends DomainError {
  constructor(removed: number, notRemoved: number, reason: string) {
    super(
      502,
      'events-not-removed',
      'Bad Gateway',
      `${notRemoved} of ${removed + notRemoved} calendar events could not be removed (${reason}); ` +
        'the calendar account is still connected. Try again later, or disconnect without ' +
        'removing events.',
      { code: 'events_not_removed', events_removed: removed, events_not_removed: notRemoved },
    );
  }
}

/**
 * What a failure to reach an integration's account means to the API caller: the errors of
 * `AccessTokens` and of the provider clients as problems. Anything else is a bug and stays a 500.
 */
export function providerProblem(integrationId: number, error: unknown): unknown {
  if (error instanceof ReconnectRequiredError) {
    return new NeedsReconnectError(
      integrationId,
      'The provider no longer accepts this account’s authorization; connect it again.',
    );
  }
  if (error instanceof DecryptionError) {
    return new NeedsReconnectError(
      integrationId,
      'The stored authorization of this account cannot be read (was APP_KEY changed ' +
        'without APP_PREVIOUS_KEYS?); connect it again.',
    );
  }
  if (error instanceof TokenRefreshFailedError) {
    return new ProviderUnavailableError(
      503,
      'The provider’s token endpoint is not answering; nothing was changed. Try again later.',
    );
  }
  if (error instanceof InvoicingError) {
    return new ProviderUnavailableError(
      502,
      `The provider failed (${error.failure.code}); nothing was changed. Try again later.`,
    );
  }
  if (error instanceof ProviderError) {
    return new ProviderUnavailableError(
      502,
      `The provider failed (${error.code}); nothing was changed. Try again later.`,
    );
  }
  return error;
}
