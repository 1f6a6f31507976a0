/** How a claim ended: cleanly (null), paused, or waiting for the user to connect again. */
export type Ending = null | IntegrationPause | 'needs_reconnect';

/** Why a claim ended early: the integration waits (`retryAt`) with this error shown. */
export class IntegrationPause {
  constructor(
    readonly message: string,
    readonly retryAfterSeconds: number | null,
    readonly countsAsError: boolean,
  ) {}
}
