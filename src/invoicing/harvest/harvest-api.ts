import { EventWrite } from '../../providers/calendar-events';
import { ProviderHttp } from '../../providers/provider-http';
import { HttpFailure } from '../../providers/write-failure';
import { invoicingHttpError, sendInvoicingRequest } from '../invoicing-http';
import { InvoicingError, ListPage } from '../invoicing-provider';

/** What a call was, for its failure: a 404 means a deleted entry only on `update`. */
export type HarvestCall = EventWrite['kind'] | 'request';

export interface HarvestApiOptions {
  apiBaseUrl: string;
  userAgent: string;
  http: ProviderHttp;
  requestTimeoutMs: number;
}

export interface HarvestRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** A path under the API base, or an absolute URL. */
  path: string;
  accessToken: string;
  /** `Harvest-Account-Id`; null only for Harvest ID's account list. */
  accountId: string | null;
  body?: unknown;
  call?: HarvestCall;
  /** A 404 answers null instead of failing. */
  missingOk?: boolean;
}

/** A Harvest list page: the items under the resource's key, totals and `links.next`. */
interface HarvestPage {
  total_entries?: number;
  links?: { next?: string | null };
  [key: string]: unknown;
}

/**
 * Harvest API v2 over `ProviderHttp`: every call carries the token, `Harvest-Account-Id` and the
 * `User-Agent` Harvest requires, and every failure is thrown once as an `InvoicingError`.
 */
export class HarvestApi {
  constructor(private readonly options: HarvestApiOptions) {}

  /** The answer's body; null for no body, or for a 404 with `missingOk`. */
  async send<T>(request: HarvestRequest): Promise<T | null> {
    const answer = await sendInvoicingRequest(
      'Harvest',
      this.options.http,
      {
        method: request.method,
        url: /^https?:\/\//.test(request.path) ? request.path : this.url(request.path),
        accessToken: request.accessToken,
        body: request.body,
        headers: {
          'user-agent': this.options.userAgent,
          ...(request.accountId === null ? {} : { 'harvest-account-id': request.accountId }),
        },
      },
      this.options.requestTimeoutMs,
    );
    if (answer.status === 404 && request.missingOk) return null;
    if (answer.status >= 400) {
      throw invoicingHttpError(
        'Harvest',
        {
          status: answer.status,
          ...harvestReason(answer.body),
          retryAfter: answer.headers.get('retry-after'),
        },
        request.call ?? 'request',
        request.accessToken,
      );
    }
    if (answer.body === undefined) return null;
    if (typeof answer.body !== 'object' || answer.body === null) {
      // A proxy's page or a cut-off body: the call may have been applied, so it is retried.
      throw new InvoicingError({
        kind: 'retryable',
        status: answer.status,
        code: 'invalid_response',
        message: `Harvest ${answer.status}: the answer is not JSON`,
      });
    }
    return answer.body as T;
  }

  /** `send` for calls that answer the entry: an empty answer is retried like a lost one. */
  async entry<T>(request: HarvestRequest): Promise<T> {
    const answer = await this.send<T>(request);
    if (answer !== null) return answer;
    throw new InvoicingError({
      kind: 'retryable',
      status: null,
      code: 'invalid_response',
      message: 'Harvest: the answer has no body',
    });
  }

  /**
   * One page of a list. `next` is the `links.next` Harvest gave (a cursor for most lists, a page
   * number for time entries); it is only followed on the API's own origin, so a forged one cannot
   * carry the token elsewhere.
   */
  async page<T>(
    accessToken: string,
    accountId: string,
    key: string,
    first: string,
    next: string | null,
  ): Promise<ListPage<T>> {
    if (next !== null && !this.onApi(next)) {
      throw new InvoicingError({
        kind: 'permanent',
        status: null,
        code: 'invalid_page',
        message: 'Harvest: the next page is not on the API',
      });
    }
    const answer =
      (await this.send<HarvestPage>({
        method: 'GET',
        path: next ?? first,
        accessToken,
        accountId,
      })) ?? {};
    return {
      items: Array.isArray(answer[key]) ? (answer[key] as T[]) : [],
      next: answer.links?.next ?? null,
      total: typeof answer.total_entries === 'number' ? answer.total_entries : null,
    };
  }

  /** Every page of a list. */
  async all<T>(accessToken: string, accountId: string, key: string, first: string): Promise<T[]> {
    const items: T[] = [];
    let next: string | null = null;
    do {
      const page: ListPage<T> = await this.page<T>(accessToken, accountId, key, first, next);
      items.push(...page.items);
      next = page.next;
    } while (next);
    return items;
  }

  /** An API URL with the query parameters that are set. */
  url(path: string, query: Record<string, string | undefined> = {}): string {
    const url = new URL(`${this.options.apiBaseUrl.replace(/\/$/, '')}${path}`);
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(name, value);
    }
    return url.toString();
  }

  private onApi(url: string): boolean {
    try {
      return new URL(url).origin === new URL(this.options.apiBaseUrl).origin;
    } catch {
      return false;
    }
  }
}

/**
 * Code and message out of Harvest's error bodies: `{message}` (422), `{status, error}` (404,
 * 5xx) and the OAuth `{error: "invalid_token", error_description}` (401).
 */
export function harvestReason(body: unknown): Pick<HttpFailure, 'code' | 'message'> {
  if (!body || typeof body !== 'object') return {};
  const { message, error, error_description: description } = body as Record<string, unknown>;
  const code = typeof error === 'string' && /^[a-z_]+$/.test(error) ? error : undefined;
  const said = [message, description, code ? undefined : error].find(
    (value): value is string => typeof value === 'string' && value.length > 0,
  );
  return { ...(code ? { code } : {}), ...(said ? { message: said } : {}) };
}
