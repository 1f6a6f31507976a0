import { Global, Injectable, Module } from '@nestjs/common';
import { metrics } from '../metrics/metrics';

/**
 * The global `fetch`, counting each answer into the provider metrics by host and status. Every
 * provider call goes through it: ProviderHttp's default, and the Google clients' transport.
 */
export const countedFetch: typeof fetch = async (input, init) => {
  const response = await globalThis.fetch(input, init);
  const host = hostOf(input);
  metrics.providerRequests.inc({ host, status: String(response.status) });
  if (response.status === 429) metrics.providerThrottled.inc({ host });
  return response;
};

function hostOf(input: Parameters<typeof fetch>[0]): string {
  const url = typeof input === 'string' || input instanceof URL ? input : input.url;
  try {
    return new URL(url).host;
  } catch {
    return 'unknown';
  }
}

/**
 * How the product's own provider HTTP calls reach the network: the global `fetch`, plus an
 * optional undici dispatcher spread into every call (e.g. one that trusts a test emulator's
 * self-signed certificate). Production leaves `dispatcher` unset. Tests replace the value through
 * `app.get(ProviderHttp).dispatcher = …` (it is a singleton read at call time).
 */
@Injectable()
export class ProviderHttp {
  fetch: typeof fetch = countedFetch;
  dispatcher?: object;

  /** `fetch` with the dispatcher, if any, added to the options. */
  request(url: string, init: RequestInit = {}): Promise<Response> {
    const options = this.dispatcher ? { ...init, dispatcher: this.dispatcher } : init;
    return this.fetch(url, options as RequestInit);
  }

  /** Extra `fetch` options for SDKs that spread them into each call (Graph's `fetchOptions`). */
  fetchOptions(): Record<string, unknown> {
    return this.dispatcher ? { dispatcher: this.dispatcher } : {};
  }
}

@Global()
@Module({ providers: [ProviderHttp], exports: [ProviderHttp] })
export class ProviderHttpModule {}
