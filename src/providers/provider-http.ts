import { Global, Injectable, Module } from '@nestjs/common';

/**
 * How the product's own provider HTTP calls reach the network: the global `fetch`, plus an
 * optional undici dispatcher spread into every call (e.g. one that trusts a test emulator's
 * self-signed certificate). Production leaves `dispatcher` unset. Tests replace the value through
 * `app.get(ProviderHttp).dispatcher = …` (it is a singleton read at call time).
 */
@Injectable()
export class ProviderHttp {
  fetch: typeof fetch = (input, init) => globalThis.fetch(input, init);
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
