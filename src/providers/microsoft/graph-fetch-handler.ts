import type { Context, Middleware } from '@microsoft/microsoft-graph-client';
import { ProviderHttp } from '../provider-http';
import {
  TRANSPORT_FAILURE_MESSAGES,
  TransportFailureCode,
  transportFailureCode,
} from '../transport-failure';

/**
 * A request that got no answer. Its `name` is the failure code on purpose: the Graph SDK turns a
 * thrown Error into a GraphError whose `code` is the error's name and drops everything else (the
 * undici cause included), so this is how `timeout` / `connection_reset` reach the classifier.
 */
export class GraphTransportError extends Error {
  constructor(readonly failure: TransportFailureCode) {
    super(TRANSPORT_FAILURE_MESSAGES[failure]);
    this.name = failure;
  }
}

export const isTransportFailureCode = (code: unknown): code is TransportFailureCode =>
  typeof code === 'string' && code in TRANSPORT_FAILURE_MESSAGES;

/**
 * The last middleware of our Graph chain, in place of the SDK's HTTPMessageHandler: the same
 * `fetch`, with a timeout on every request (the SDK has none, a hung request would wait forever)
 * and transport failures named.
 */
export class TimedFetchHandler implements Middleware {
  constructor(
    private readonly http: ProviderHttp,
    private readonly timeoutMs: number,
  ) {}

  async execute(context: Context): Promise<void> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const options = (context.options ?? {}) as RequestInit;
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    try {
      context.response = await this.http.fetch(context.request, { ...options, signal });
    } catch (error) {
      throw new GraphTransportError(transportFailureCode(error, timeout));
    }
  }
}
