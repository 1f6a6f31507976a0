import {
  AuthenticationHandler,
  Client,
  FetchOptions,
  TelemetryHandler,
} from '@microsoft/microsoft-graph-client';
import { ProviderHttp } from '../provider-http';
import { TimedFetchHandler } from './graph-fetch-handler';

export interface GraphClientOptions {
  /** Graph's root without the version, e.g. `https://graph.microsoft.com` (the SDK adds v1.0). */
  baseUrl: string;
  accessToken: string;
  http: ProviderHttp;
  requestTimeoutMs: number;
}

/**
 * The one way danwel talks to Graph (calendar list, writes, pulls, subscriptions): the SDK's
 * default chain minus its RetryHandler, which retries 429, 503 and 504 (POST included) for up to
 * minutes inside one call. Every failure surfaces at once and the caller backs off, honouring
 * `Retry-After` itself. No RedirectHandler either: Graph does not redirect these calls, and
 * `fetch` follows redirects by itself.
 */
export function graphClient(options: GraphClientOptions): Client {
  const base = options.baseUrl.replace(/\/+$/, '');
  return Client.initWithMiddleware({
    middleware: [
      new AuthenticationHandler({ getAccessToken: () => Promise.resolve(options.accessToken) }),
      new TelemetryHandler(),
      new TimedFetchHandler(options.http, options.requestTimeoutMs),
    ],
    baseUrl: `${base}/`,
    // The AuthenticationHandler only sends the token to Graph's hosts or these (host names only).
    customHosts: new Set([new URL(base).hostname]),
    // `dispatcher` (undici) is not in the SDK's node-fetch era FetchOptions type.
    fetchOptions: options.http.fetchOptions() as FetchOptions,
  });
}
