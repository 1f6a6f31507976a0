import { randomUUID } from 'node:crypto';
import * as https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { carryOutFault, Fault, faultAnswer, FaultSchedule, seededRandom } from '../common/faults';
import { Holds } from '../common/http';
import { createMicrosoftFaultSchedule, graphFaultError, identityFaultError } from './faults';
import {
  NotificationDispatcher,
  NotificationDropHandle,
  NotificationDropRule,
  NotificationRecord,
  WebhookOptions,
} from '../common/notifications';
import { GraphResult, handleGraph } from './graph';
import {
  authorize,
  IdentityContext,
  IdentityResult,
  oauthError,
  openidConfiguration,
  token,
} from './identity';
import {
  AccessTokenGrant,
  Account,
  AppRegistration,
  GraphHttpError,
  MicrosoftState,
} from './state';
import {
  LifecycleEvent,
  Subscription,
  SubscriptionContext,
  Subscriptions,
  ValidationRecord,
} from './subscriptions';
import { generateSelfSignedCertificate, trustingDispatcher } from './tls';

export interface ThrottleSettings {
  /** Concurrent Graph requests per mailbox (Graph: 4); the next one gets 429. */
  maxConcurrentPerMailbox: number;
  /** Requests per app per mailbox per window (Graph: 10,000 per 10 minutes). */
  maxRequestsPerWindow: number;
  windowMs: number;
  /** Retry-After (seconds) on a concurrency 429. */
  concurrencyRetryAfterSeconds: number;
  /** Every Graph request stays in flight this long (makes concurrency observable). */
  latencyMs: number;
}

export type Endpoint = 'graph' | 'token' | 'authorize' | 'other';

export interface MicrosoftEmulatorOptions extends WebhookOptions {
  port?: number;
  host?: string;
  /** App registrations; default one: `ms.app`. */
  apps?: AppRegistration[];
  throttle?: Partial<ThrottleSettings>;
  /** Seed of the deterministic `$batch` response shuffle. */
  batchSeed?: number;
  accessTokenTtlSeconds?: number;
  /** How long the notification URL may take to answer Graph's validation request (default 10 s, as Graph). */
  validationTimeoutMs?: number;
}

export interface LoggedRequest {
  seq: number;
  at: number;
  method: string;
  /** Pathname (sub-requests: `/v1.0` + their relative path). */
  path: string;
  query: string;
  endpoint: Endpoint;
  account?: string;
  /** For `$batch` sub-requests: the batch's seq and the sub-request id. */
  batch?: { parent: number; id: string };
  status?: number;
  /** answered | reset (connection destroyed unanswered) | hang | lost (applied, then dropped). */
  outcome: 'pending' | 'answered' | 'reset' | 'hang' | 'lost';
  /** Label of the injected fault, if any (`429 TooManyRequests`, `reset` …). */
  fault?: string;
  headers: Record<string, string>;
}

export interface ConsentResult {
  status: number;
  location?: string;
  code?: string;
  state?: string;
  error?: string;
  errorDescription?: string;
}

export interface MicrosoftEmulator {
  /** https://127.0.0.1:PORT — Graph under `${url}/v1.0`, identity under `${url}/{tenant}/oauth2/v2.0`. */
  readonly url: string;
  /** PEM of the self-signed certificate (trust it as a CA). */
  readonly ca: string;
  readonly port: number;
  /** The default app registration (client id / secret; any redirect URI). */
  readonly app: AppRegistration;
  readonly state: MicrosoftState;
  readonly faults: FaultSchedule;
  /** Live settings; change fields at any time. */
  readonly throttle: ThrottleSettings;
  /** Every request and `$batch` sub-request, in arrival order. */
  readonly requests: LoggedRequest[];
  addAccount: MicrosoftState['addAccount'];
  /** Authorize URL for the default app (tests of the product use the product's own URL). */
  authorizeUrl(params: {
    scope: string;
    redirectUri: string;
    state?: string;
    codeChallenge?: string;
    codeChallengeMethod?: 'S256' | 'plain';
    tenant?: string;
    clientId?: string;
  }): string;
  /** Follows an authorize URL as `email` consenting (or 'deny'); answers the 302's parts. */
  consent(authorizeUrl: string, as: string): Promise<ConsentResult>;
  /** An undici dispatcher trusting `ca`, for `fetch(…, { dispatcher })` and SDK `fetchOptions`. */
  dispatcher(): Promise<object>;
  /**
   * Every change (and lifecycle) notification, in the order the changes happened: subscription
   * id (`channel`), `kind` (changeType or lifecycle event), address and URL, JSON `body`, outcome,
   * the receiver's status or error. Validation handshakes are in `validationRequests`.
   */
  readonly notifications: NotificationRecord[];
  /** Every validation handshake (create, and PATCH with a new notificationUrl), in order. */
  readonly validationRequests: ValidationRecord[];
  /**
   * Lost notifications (a chaos fault): `dropNotifications(2)`, `dropNotifications('all')`,
   * `dropNotifications({ match: { channel: subscriptionId, kind: 'updated' }, after: 1 })` or
   * `dropNotifications({ probability: 0.1, seed: 7 })`; recorded with outcome `dropped`.
   */
  dropNotifications(rule?: number | 'all' | NotificationDropRule): NotificationDropHandle;
  clearNotificationDrops(): void;
  /** Resolves once every queued notification was answered, failed or timed out. */
  notificationsSettled(): Promise<void>;
  /** The subscriptions created so far (deleted and expired ones too), with `live`. */
  subscriptions(): Array<Subscription & { live: boolean }>;
  /**
   * Graph sends a lifecycle notification (`reauthorizationRequired`, `subscriptionRemoved` —
   * which also removes the subscription —, `missed`) to the subscription's
   * lifecycleNotificationUrl; undefined when it has none.
   */
  lifecycleNotification(
    subscriptionId: string,
    event: LifecycleEvent,
  ): NotificationRecord | undefined;
  stop(): Promise<void>;
}

const JSON_TYPE =
  'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';
const MAX_BATCH = 20;

function lowerHeaders(headers: IncomingMessage['headers'] | Record<string, unknown>) {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (value === undefined || value === null) continue;
    result[key.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return result;
}

function errorBody(code: string, message: string, requestId: string, clientRequestId: string) {
  return {
    error: {
      code,
      message,
      innerError: {
        date: new Date().toISOString().replace(/\.\d+Z$/, ''),
        'request-id': requestId,
        'client-request-id': clientRequestId,
      },
    },
  };
}

/** What Graph answers for a token that died early. */
const expiredToken = () =>
  new GraphHttpError(
    401,
    'InvalidAuthenticationToken',
    'Lifetime validation failed, the token is expired.',
  );

/** How a request ends: answered, held open, or dropped (after it was applied, or before). */
type Outcome<R> =
  { type: 'respond'; result: R } | { type: 'hold' } | { type: 'reset'; applied: boolean };

export async function startMicrosoftEmulator(
  options: MicrosoftEmulatorOptions = {},
): Promise<MicrosoftEmulator> {
  const tls = generateSelfSignedCertificate();
  const state = new MicrosoftState();
  if (options.accessTokenTtlSeconds !== undefined)
    state.accessTokenTtlSeconds = options.accessTokenTtlSeconds;
  const apps = options.apps ?? [
    { clientId: randomUUID(), clientSecret: `emulator~${randomUUID()}`, redirectUris: [] },
  ];
  for (const app of apps) state.registerApp(app);
  const notifier = new NotificationDispatcher(options, () => state.now());
  const subscriptions = new Subscriptions(state, notifier, {
    validationTimeoutMs: options.validationTimeoutMs ?? 10_000,
  });
  const faults = createMicrosoftFaultSchedule(() => state.now());
  const holds = new Holds();
  const throttle: ThrottleSettings = {
    maxConcurrentPerMailbox: 4,
    maxRequestsPerWindow: 10_000,
    windowMs: 10 * 60_000,
    concurrencyRetryAfterSeconds: 1,
    latencyMs: 0,
    ...options.throttle,
  };
  const requests: LoggedRequest[] = [];
  const inFlight = new Map<string, number>();
  const windows = new Map<string, { startedMs: number; count: number }>();
  const sockets = new Set<Socket>();
  let batchCounter = 0;
  let baseUrl = '';

  const log = (entry: Omit<LoggedRequest, 'seq' | 'at' | 'outcome'>): LoggedRequest => {
    const logged: LoggedRequest = {
      seq: requests.length + 1,
      at: Date.now(),
      outcome: 'pending',
      ...entry,
    };
    requests.push(logged);
    return logged;
  };

  const identityContext = (): IdentityContext => ({ state, baseUrl, signingKey: tls.key });

  type Auth =
    | { grant: AccessTokenGrant; account: Account; token: string }
    | { error: GraphHttpError; token?: string; account?: Account };

  const authenticate = (authorization: string | undefined): Auth => {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (!match) {
      return {
        error: new GraphHttpError(401, 'InvalidAuthenticationToken', 'Access token is empty.'),
      };
    }
    const grant = state.accessGrant(match[1]);
    if (!grant) {
      return {
        token: match[1],
        error: new GraphHttpError(
          401,
          'InvalidAuthenticationToken',
          'IDX14100: JWT is not well formed, there are no dots (.).',
        ),
      };
    }
    const account = [...state.accounts.values()].find((a) => a.id === grant.accountId) as Account;
    if (grant.expiresMs <= state.now()) {
      return {
        token: match[1],
        account,
        error: new GraphHttpError(
          401,
          'InvalidAuthenticationToken',
          'Lifetime validation failed, the token is expired.',
        ),
      };
    }
    return { grant, account, token: match[1] };
  };

  /** Counts a request against the app+mailbox window; a GraphHttpError when over the limit. */
  const windowCheck = (grant: AccessTokenGrant): GraphHttpError | undefined => {
    const key = `${grant.clientId}|${grant.accountId}`;
    const now = state.now();
    let current = windows.get(key);
    if (!current || now - current.startedMs >= throttle.windowMs) {
      current = { startedMs: now, count: 0 };
      windows.set(key, current);
    }
    current.count++;
    if (current.count > throttle.maxRequestsPerWindow) {
      const seconds = Math.max(1, Math.ceil((current.startedMs + throttle.windowMs - now) / 1000));
      return new GraphHttpError(
        429,
        'ApplicationThrottled',
        'Application is over its resource limit.',
        {
          'Retry-After': String(seconds),
        },
      );
    }
    return undefined;
  };

  const send = (
    res: ServerResponse,
    status: number,
    headers: Record<string, string>,
    body?: string,
  ) => {
    if (res.headersSent || res.destroyed) return;
    res.writeHead(status, headers);
    res.end(body);
  };

  const sendGraph = (
    res: ServerResponse,
    result: GraphResult,
    requestId: string,
    clientRequestId: string,
  ) => {
    const headers: Record<string, string> = {
      'Cache-Control': 'no-cache',
      'request-id': requestId,
      'client-request-id': clientRequestId,
      'x-ms-ags-diagnostic': JSON.stringify({
        ServerInfo: {
          DataCenter: 'Loopback',
          Slice: 'E',
          Ring: '0',
          ScaleUnit: '0',
          RoleInstance: 'emulator',
        },
      }),
      'Strict-Transport-Security': 'max-age=31536000',
      ...result.headers,
    };
    if (result.body === undefined) {
      send(res, result.status, headers);
    } else {
      send(
        res,
        result.status,
        { 'Content-Type': JSON_TYPE, ...headers },
        JSON.stringify(result.body),
      );
    }
  };

  const errorResult = (
    error: GraphHttpError,
    requestId: string,
    clientRequestId: string,
  ): GraphResult => {
    const headers: Record<string, string> = { ...error.headers };
    if (error.status === 401) {
      headers['WWW-Authenticate'] =
        'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"';
    }
    return {
      status: error.status,
      headers,
      body: errorBody(error.code, error.message, requestId, clientRequestId),
    };
  };

  const run = (fn: () => GraphResult, requestId: string, clientRequestId: string): GraphResult => {
    try {
      return fn();
    } catch (error) {
      if (error instanceof GraphHttpError) return errorResult(error, requestId, clientRequestId);
      throw error;
    }
  };

  const runAsync = async (
    fn: () => Promise<GraphResult>,
    requestId: string,
    clientRequestId: string,
  ): Promise<GraphResult> => {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof GraphHttpError) return errorResult(error, requestId, clientRequestId);
      throw error;
    }
  };

  // ---- $batch ------------------------------------------------------------------------------

  interface BatchItem {
    id: string;
    method: string;
    url: string;
    headers: Record<string, string>;
    body: unknown;
    dependsOn: string[];
  }

  const parseBatch = (body: unknown): BatchItem[] | GraphHttpError => {
    const invalid = new GraphHttpError(400, 'BadRequest', 'Invalid batch payload format.');
    const list = (body as { requests?: unknown } | undefined)?.requests;
    if (!Array.isArray(list) || list.length === 0) return invalid;
    if (list.length > MAX_BATCH) {
      return new GraphHttpError(
        400,
        'BadRequest',
        `The batch contains ${list.length} requests; the maximum is ${MAX_BATCH}.`,
      );
    }
    const items: BatchItem[] = [];
    for (const raw of list as Array<Record<string, unknown>>) {
      if (
        !raw ||
        typeof raw.id !== 'string' ||
        raw.id === '' ||
        typeof raw.method !== 'string' ||
        typeof raw.url !== 'string'
      ) {
        return invalid;
      }
      if (/^https?:\/\//i.test(raw.url)) return invalid;
      if (items.some((i) => i.id === raw.id)) {
        return new GraphHttpError(400, 'BadRequest', `Batch request id '${raw.id}' is not unique.`);
      }
      const dependsOn = raw.dependsOn === undefined ? [] : raw.dependsOn;
      if (!Array.isArray(dependsOn) || dependsOn.some((d) => typeof d !== 'string')) return invalid;
      items.push({
        id: raw.id,
        method: raw.method.toUpperCase(),
        url: raw.url,
        headers: lowerHeaders((raw.headers as Record<string, unknown>) ?? {}),
        body: raw.body,
        dependsOn: dependsOn as string[],
      });
    }
    for (const item of items) {
      for (const dep of item.dependsOn) {
        if (!items.some((i) => i.id === dep) || dep === item.id) {
          return new GraphHttpError(
            400,
            'BadRequest',
            `Request '${item.id}' depends on unknown request '${dep}'.`,
          );
        }
      }
    }
    // Dependencies must be acyclic.
    const done = new Set<string>();
    let progress = true;
    while (progress && done.size < items.length) {
      progress = false;
      for (const item of items) {
        if (!done.has(item.id) && item.dependsOn.every((d) => done.has(d))) {
          done.add(item.id);
          progress = true;
        }
      }
    }
    if (done.size < items.length) {
      return new GraphHttpError(400, 'BadRequest', 'The batch dependencies form a cycle.');
    }
    return items;
  };

  const runBatch = (
    items: BatchItem[],
    itemFaults: Map<string, { fault: Fault; label: string }>,
    auth: { grant: AccessTokenGrant; account: Account; token: string },
    parent: LoggedRequest,
    requestId: string,
  ) => {
    const results = new Map<
      string,
      { status: number; headers: Record<string, string>; body?: unknown }
    >();
    const pending = [...items];
    while (pending.length > 0) {
      const index = pending.findIndex((i) => i.dependsOn.every((d) => results.has(d)));
      const [item] = pending.splice(index, 1);
      const question = item.url.indexOf('?');
      const rawPath = question === -1 ? item.url : item.url.slice(0, question);
      const path = rawPath.startsWith('/') ? rawPath : `/${rawPath}`;
      const query = new URLSearchParams(question === -1 ? '' : item.url.slice(question + 1));
      const clientRequestId = item.headers['client-request-id'] ?? randomUUID();
      const fault = itemFaults.get(item.id)?.fault;
      const entry = log({
        method: item.method,
        path: `/v1.0${path}`,
        query: query.toString(),
        endpoint: 'graph',
        account: auth.account.email,
        batch: { parent: parent.seq, id: item.id },
        fault: itemFaults.get(item.id)?.label,
        headers: pickHeaders(item.headers),
      });
      let result: GraphResult;
      const failedDependency = item.dependsOn.some((d) => (results.get(d)?.status ?? 0) >= 400);
      const faultError = fault ? batchItemFaultError(fault) : undefined;
      if (failedDependency) {
        result = errorResult(
          new GraphHttpError(
            424,
            'FailedDependency',
            'The request could not be processed because a request it depends on failed.',
          ),
          requestId,
          clientRequestId,
        );
      } else if (faultError) {
        if (fault?.kind === 'tokenExpired') state.expireAccessToken(auth.token);
        result = errorResult(faultError, requestId, clientRequestId);
      } else if (item.body !== undefined && !item.headers['content-type']) {
        result = errorResult(
          new GraphHttpError(
            400,
            'BadRequest',
            'A request with a body needs a Content-Type header.',
          ),
          requestId,
          clientRequestId,
        );
      } else if (path.toLowerCase().startsWith('/$batch')) {
        result = errorResult(
          new GraphHttpError(400, 'BadRequest', 'A batch cannot contain a batch.'),
          requestId,
          clientRequestId,
        );
      } else {
        const over = windowCheck(auth.grant);
        result = over
          ? errorResult(over, requestId, clientRequestId)
          : run(
              () =>
                handleGraph(
                  { state, account: auth.account, scopes: auth.grant.scopes, baseUrl },
                  { method: item.method, path, query, headers: item.headers, body: item.body },
                ),
              requestId,
              clientRequestId,
            );
      }
      entry.status = result.status;
      entry.outcome = 'answered';
      const headers: Record<string, string> = { ...result.headers };
      if (result.body !== undefined) headers['Content-Type'] = JSON_TYPE;
      results.set(item.id, { status: result.status, headers, body: result.body });
    }
    // Graph may answer in any order; the emulator shuffles deterministically and never keeps the
    // request order when there is more than one response.
    const responses = items.map((i) => ({ id: i.id, ...(results.get(i.id) as GraphResult) }));
    const random = seededRandom((options.batchSeed ?? 20) + ++batchCounter);
    for (let i = responses.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [responses[i], responses[j]] = [responses[j], responses[i]];
    }
    if (responses.length > 1 && responses.every((r, i) => r.id === items[i].id)) {
      responses.push(responses.shift() as (typeof responses)[number]);
    }
    return { responses };
  };

  // ---- Graph -------------------------------------------------------------------------------

  /** The label the schedule gave the fault it just picked. */
  const lastLabel = () => faults.injected[faults.injected.length - 1]?.label;

  /** Answers, holds or drops the request as `outcome` says. */
  const finish = <R extends { status: number }>(
    req: IncomingMessage,
    entry: LoggedRequest,
    outcome: Outcome<R>,
    answer: (result: R) => void,
  ) => {
    if (outcome.type === 'respond') {
      entry.status = outcome.result.status;
      entry.outcome = 'answered';
      answer(outcome.result);
    } else if (outcome.type === 'hold') {
      entry.outcome = 'hang'; // the socket stays open; stop() destroys it, or the client gives up
    } else {
      entry.outcome = outcome.applied ? 'lost' : 'reset';
      req.socket.destroy();
    }
  };

  const handleGraphHttp = async (
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    rawBody: string,
  ) => {
    const headers = lowerHeaders(req.headers);
    const method = (req.method ?? 'GET').toUpperCase();
    const requestId = randomUUID();
    const clientRequestId = headers['client-request-id'] ?? randomUUID();
    const auth = authenticate(headers['authorization']);
    const entry = log({
      method,
      path: url.pathname,
      query: url.search,
      endpoint: 'graph',
      account: auth.account?.email,
      headers: pickHeaders(headers),
    });
    const fault = faults.pick({
      method,
      path: url.pathname,
      operation: 'graph',
      user: auth.account?.email,
      batch: false,
    });
    if (fault) entry.fault = lastLabel();
    const failWith = (error: GraphHttpError): Outcome<GraphResult> => ({
      type: 'respond',
      result: errorResult(error, requestId, clientRequestId),
    });
    const outcome = await carryOutFault<Outcome<GraphResult>>(fault, {
      process: () => processGraph(method, url, headers, rawBody, auth, entry, requestId),
      render: (answer) => failWith(graphFaultError(answer)),
      expireToken: () => {
        if (auth.token) state.expireAccessToken(auth.token);
        return failWith(expiredToken());
      },
      invalidGrant: () => failWith(expiredToken()),
      hold: () => ({ type: 'hold' }),
      drop: (applied) => ({ type: 'reset', applied }),
      wait: (ms) => holds.delay(ms),
    });
    finish(req, entry, outcome, (result) => sendGraph(res, result, requestId, clientRequestId));
  };

  /** A Graph request once the fault schedule let it through. */
  const processGraph = async (
    method: string,
    url: URL,
    headers: Record<string, string>,
    rawBody: string,
    auth: Auth,
    entry: LoggedRequest,
    requestId: string,
  ): Promise<Outcome<GraphResult>> => {
    const path = url.pathname.slice('/v1.0'.length) || '/';
    const clientRequestId = headers['client-request-id'] ?? randomUUID();
    const failWith = (error: GraphHttpError): Outcome<GraphResult> => ({
      type: 'respond',
      result: errorResult(error, requestId, clientRequestId),
    });
    if ('error' in auth) return failWith(auth.error);

    let body: unknown;
    if (rawBody.length > 0) {
      try {
        body = JSON.parse(rawBody);
      } catch {
        return failWith(
          new GraphHttpError(400, 'BadRequest', 'Unable to read JSON request payload.'),
        );
      }
    }
    const isBatch = path === '/$batch';
    let batchItems: BatchItem[] | undefined;
    let lostAfterwards = false;
    const itemFaults = new Map<string, { fault: Fault; label: string }>();
    if (isBatch) {
      if (method !== 'POST')
        return failWith(new GraphHttpError(405, 'BadRequest', 'Use POST for $batch.'));
      const parsed = parseBatch(body);
      if (parsed instanceof GraphHttpError) return failWith(parsed);
      batchItems = parsed;
      // Faults are drawn for every sub-request first: a reset or hang on any of them takes the whole
      // batch down before anything is applied; a lost response applies the batch, then drops it.
      let escalate: Fault | undefined;
      for (const item of batchItems) {
        const itemPath = `/v1.0${item.url.startsWith('/') ? '' : '/'}${item.url.split('?')[0]}`;
        const itemFault = faults.pick({
          method: item.method,
          path: itemPath,
          operation: 'graph',
          user: auth.account.email,
          batch: true,
        });
        if (!itemFault) continue;
        if (['reset', 'hang', 'lostResponse'].includes(itemFault.kind)) {
          if (!escalate) entry.fault = lastLabel();
          escalate ??= itemFault;
        } else itemFaults.set(item.id, { fault: itemFault, label: lastLabel() });
      }
      if (escalate?.kind === 'reset') return { type: 'reset', applied: false };
      if (escalate?.kind === 'hang') return { type: 'hold' };
      lostAfterwards = escalate?.kind === 'lostResponse';
    }

    const account = auth.account;
    const over = windowCheck(auth.grant);
    if (over) return failWith(over);
    const running = inFlight.get(account.id) ?? 0;
    if (running >= throttle.maxConcurrentPerMailbox) {
      return failWith(
        new GraphHttpError(
          429,
          'ApplicationThrottled',
          'Application is over its MailboxConcurrency limit.',
          { 'Retry-After': String(throttle.concurrencyRetryAfterSeconds) },
        ),
      );
    }
    inFlight.set(account.id, running + 1);
    let result: GraphResult;
    try {
      if (throttle.latencyMs > 0) await holds.delay(throttle.latencyMs);
      if (batchItems) {
        result = {
          status: 200,
          headers: {},
          body: runBatch(batchItems, itemFaults, auth, entry, requestId),
        };
      } else if (/^\/subscriptions(\/|$)/i.test(path)) {
        const context: SubscriptionContext = {
          account,
          clientId: auth.grant.clientId,
          scopes: auth.grant.scopes,
          baseUrl,
        };
        result = await runAsync(
          () => subscriptions.handle(context, { method, path, body }),
          requestId,
          clientRequestId,
        );
      } else {
        result = run(
          () =>
            handleGraph(
              { state, account, scopes: auth.grant.scopes, baseUrl },
              { method, path, query: url.searchParams, headers, body },
            ),
          requestId,
          clientRequestId,
        );
      }
    } finally {
      inFlight.set(account.id, (inFlight.get(account.id) ?? 1) - 1);
    }
    if (lostAfterwards) {
      entry.status = result.status;
      return { type: 'reset', applied: true };
    }
    return { type: 'respond', result };
  };

  // ---- identity ----------------------------------------------------------------------------

  const handleIdentity = async (
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    rawBody: string,
    endpoint: 'authorize' | 'token',
  ) => {
    const method = (req.method ?? 'GET').toUpperCase();
    const headers = lowerHeaders(req.headers);
    const form = endpoint === 'token' ? new URLSearchParams(rawBody) : url.searchParams;
    const entry = log({
      method,
      path: url.pathname,
      query: url.search,
      endpoint,
      headers: pickHeaders(headers),
    });
    const grantType = endpoint === 'token' ? (form.get('grant_type') ?? undefined) : undefined;
    const fault = faults.pick({
      method,
      path: url.pathname,
      operation: `oauth.${endpoint}`,
      batch: false,
      grantType,
    });
    if (fault) entry.fault = lastLabel();
    const respond = (result: IdentityResult): Outcome<IdentityResult> => ({
      type: 'respond',
      result,
    });
    const process = async () => respond(identity(method, url, headers, form, endpoint));
    const outcome = await carryOutFault<Outcome<IdentityResult>>(fault, {
      process,
      render: (answer) => respond(identityFaultError(answer)),
      expireToken: process, // the token endpoint takes no access token
      invalidGrant: (grant) => {
        if (grant.revoke) {
          const presented = form.get('refresh_token');
          const refreshGrant = presented ? state.refreshGrant(presented) : undefined;
          if (refreshGrant) refreshGrant.active = false;
        }
        const code = form.get('code');
        const issued = code ? state.takeCode(code) : undefined;
        if (issued) issued.redeemed = true;
        return respond(
          oauthError(
            400,
            'invalid_grant',
            70000,
            grant.description ??
              'Provided grant is invalid or malformed (injected: consent revoked).',
          ),
        );
      },
      hold: () => ({ type: 'hold' }),
      drop: (applied) => ({ type: 'reset', applied }),
      wait: (ms) => holds.delay(ms),
    });
    finish(req, entry, outcome, (result) => send(res, result.status, result.headers, result.body));
  };

  /** The authorize and token endpoints once the fault schedule let the request through. */
  const identity = (
    method: string,
    url: URL,
    headers: Record<string, string>,
    form: URLSearchParams,
    endpoint: 'authorize' | 'token',
  ): IdentityResult => {
    if (endpoint === 'authorize') {
      if (method !== 'GET')
        return oauthError(405, 'invalid_request', 900561, 'Use GET for authorize.');
      return authorize(identityContext(), url.searchParams, url.toString());
    }
    if (method !== 'POST') {
      return oauthError(405, 'invalid_request', 900561, 'The endpoint only accepts POST requests.');
    }
    if (
      !(headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')
    ) {
      return oauthError(
        400,
        'invalid_request',
        900144,
        "The request body must contain the following parameter: 'grant_type'.",
      );
    }
    return token(identityContext(), form, headers['authorization']);
  };

  // ---- server ------------------------------------------------------------------------------

  const server = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', baseUrl);
      const identity = /^\/([^/]+)\/oauth2\/v2\.0\/(authorize|token)$/.exec(url.pathname);
      const discovery = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(url.pathname);
      let work: Promise<void>;
      if (url.pathname === '/v1.0' || url.pathname.startsWith('/v1.0/')) {
        work = handleGraphHttp(req, res, url, rawBody);
      } else if (identity) {
        work = handleIdentity(req, res, url, rawBody, identity[2] as 'authorize' | 'token');
      } else if (discovery) {
        const result = openidConfiguration(identityContext(), discovery[1]);
        send(res, result.status, result.headers, result.body);
        work = Promise.resolve();
      } else {
        send(
          res,
          404,
          { 'Content-Type': 'application/json' },
          JSON.stringify(
            errorBody(
              'NotFound',
              `No emulated endpoint at ${url.pathname}.`,
              randomUUID(),
              randomUUID(),
            ),
          ),
        );
        work = Promise.resolve();
      }
      work.catch((error: unknown) => {
        send(
          res,
          500,
          { 'Content-Type': 'application/json' },
          JSON.stringify(errorBody('EmulatorBug', String(error), randomUUID(), randomUUID())),
        );
      });
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('tlsClientError', () => undefined);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  baseUrl = `https://${options.host ?? '127.0.0.1'}:${port}`;

  let dispatcherPromise: Promise<object> | undefined;

  const emulator: MicrosoftEmulator = {
    url: baseUrl,
    ca: tls.cert,
    port,
    app: apps[0],
    state,
    faults,
    throttle,
    requests,
    addAccount: (input) => state.addAccount(input),
    authorizeUrl(params) {
      const url = new URL(`${baseUrl}/${params.tenant ?? 'common'}/oauth2/v2.0/authorize`);
      url.searchParams.set('client_id', params.clientId ?? apps[0].clientId);
      url.searchParams.set('response_type', 'code');
      url.searchParams.set('redirect_uri', params.redirectUri);
      url.searchParams.set('response_mode', 'query');
      url.searchParams.set('scope', params.scope);
      if (params.state) url.searchParams.set('state', params.state);
      if (params.codeChallenge) {
        url.searchParams.set('code_challenge', params.codeChallenge);
        url.searchParams.set('code_challenge_method', params.codeChallengeMethod ?? 'S256');
      }
      return url.toString();
    },
    consent(authorizeUrl, as) {
      const url = new URL(authorizeUrl);
      url.searchParams.set('emulator_consent_as', as);
      return new Promise<ConsentResult>((resolve, reject) => {
        https
          .get(url, { ca: tls.cert }, (response) => {
            response.resume();
            const location = response.headers.location;
            const result: ConsentResult = { status: response.statusCode ?? 0, location };
            if (location) {
              const params = new URL(location).searchParams;
              result.code = params.get('code') ?? undefined;
              result.state = params.get('state') ?? undefined;
              result.error = params.get('error') ?? undefined;
              result.errorDescription = params.get('error_description') ?? undefined;
            }
            resolve(result);
          })
          .on('error', reject);
      });
    },
    dispatcher() {
      dispatcherPromise ??= trustingDispatcher(tls.cert, `${baseUrl}/`);
      return dispatcherPromise;
    },
    get notifications() {
      return notifier.log;
    },
    get validationRequests() {
      return subscriptions.validations;
    },
    dropNotifications: (rule) => notifier.drop(rule),
    clearNotificationDrops: () => notifier.clearDrops(),
    notificationsSettled: () => notifier.settled(),
    subscriptions: () =>
      [...subscriptions.all.values()].map((s) => ({ ...s, live: subscriptions.live(s) })),
    lifecycleNotification: (id, event) => subscriptions.lifecycle(id, event),
    async stop() {
      notifier.close();
      holds.releaseAll();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
      if (dispatcherPromise) {
        const dispatcher = (await dispatcherPromise) as { close(): Promise<void> };
        await dispatcher.close();
      }
    },
  };
  return emulator;
}

function pickHeaders(headers: Record<string, string>): Record<string, string> {
  const keep = [
    'prefer',
    'if-match',
    'retry-attempt',
    'client-request-id',
    'content-type',
    'sdkversion',
  ];
  return Object.fromEntries(Object.entries(headers).filter(([k]) => keep.includes(k)));
}

/** A fault on one `$batch` sub-request: its error answer inside the batch, if it has one. */
function batchItemFaultError(fault: Fault): GraphHttpError | undefined {
  const answer = faultAnswer(fault);
  if (answer) return graphFaultError(answer);
  if (fault.kind === 'tokenExpired' || fault.kind === 'invalidGrant') return expiredToken();
  return undefined;
}
