/**
 * A stateful Microsoft Graph (calendar, `$batch`, subscriptions) + identity platform emulator
 * over HTTPS with a self-signed certificate, started in-process:
 *
 *   const ms = await startMicrosoftEmulator();
 *   const account = ms.addAccount({ email: 'ann@contoso.test' });
 *   // Graph under `${ms.url}/v1.0`, identity under `${ms.url}/{tenant}/oauth2/v2.0`;
 *   // trust `ms.ca`, or pass `await ms.dispatcher()` to fetch.
 *   await ms.stop();
 *
 * Every request passes the fault schedule first (`ms.faults`), then authentication, the
 * mailbox's throttling and the handlers: graph.ts (calendars and events), subscriptions.ts,
 * batch.ts and identity.ts. See README.md.
 */
import { randomUUID } from 'node:crypto';
import * as https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Outcome, ProviderFaultActions, withScheduledFault } from '../common/emulator-http';
import { Fault, faultAnswer, FaultSchedule, RequestFacts } from '../common/faults';
import { listen, readBody, resetConnection, RunningServer } from '../common/http';
import {
  NotificationDispatcher,
  NotificationDropHandle,
  NotificationDropRule,
  NotificationRecord,
  WebhookOptions,
} from '../common/notifications';
import {
  answerOf,
  errorBody,
  errorResult,
  expiredToken,
  graphResponse,
  JSON_TYPE,
  RequestIds,
  requestIds,
} from './answers';
import {
  BatchCall,
  failedDependency,
  lowerHeaders,
  malformedItem,
  parseBatch,
  runBatch,
} from './batch';
import { createMicrosoftFaultSchedule, graphFaultError, identityFaultError } from './faults';
import { GraphResult, handleGraph } from './graph';
import {
  IdentityContext,
  IdentityEndpoint,
  identityEndpoint,
  injectedInvalidGrant,
  openidConfiguration,
} from './identity';
import {
  AccessTokenGrant,
  Account,
  AppRegistration,
  GraphHttpError,
  MicrosoftState,
} from './state';
import { LifecycleEvent, Subscription, Subscriptions, ValidationRecord } from './subscriptions';
import { MailboxThrottle, ThrottleSettings } from './throttle';
import { generateSelfSignedCertificate, SelfSignedCertificate, trustingDispatcher } from './tls';

export type { ThrottleSettings } from './throttle';

export type Endpoint = 'graph' | 'token' | 'authorize';

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

/** An answer as it goes on the wire. */
interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body?: string;
}

/** A routed request: what became of it, and its log line (discovery and unknown URLs have none). */
interface Routed {
  outcome: Outcome<WireResponse>;
  entry?: LoggedRequest;
}

type Auth =
  | { grant: AccessTokenGrant; account: Account; token: string }
  | { error: GraphHttpError; token?: string; account?: Account };

type Authenticated = Extract<Auth, { grant: AccessTokenGrant }>;

const respond = (response: WireResponse): Outcome<WireResponse> => ({ type: 'respond', response });

/** The headers worth keeping in the request log. */
const LOGGED_HEADERS = [
  'prefer',
  'if-match',
  'retry-attempt',
  'client-request-id',
  'content-type',
  'sdkversion',
];

export class MicrosoftEmulator {
  readonly state = new MicrosoftState();
  readonly faults: FaultSchedule;
  /** Every request and `$batch` sub-request, in arrival order. */
  readonly requests: LoggedRequest[] = [];
  /** The default app registration (client id / secret; any redirect URI). */
  readonly app: AppRegistration;
  private readonly tls: SelfSignedCertificate = generateSelfSignedCertificate();
  private readonly notifier: NotificationDispatcher;
  private readonly subscriptionStore: Subscriptions;
  private readonly mailboxes: MailboxThrottle;
  private server?: RunningServer;
  private batchCounter = 0;
  private trusting?: Promise<object>;

  constructor(readonly options: MicrosoftEmulatorOptions = {}) {
    if (options.accessTokenTtlSeconds !== undefined)
      this.state.accessTokenTtlSeconds = options.accessTokenTtlSeconds;
    const apps = options.apps ?? [
      { clientId: randomUUID(), clientSecret: `emulator~${randomUUID()}`, redirectUris: [] },
    ];
    for (const app of apps) this.state.registerApp(app);
    this.app = apps[0];
    const now = () => this.state.now();
    this.notifier = new NotificationDispatcher(options, now);
    this.subscriptionStore = new Subscriptions(this.state, this.notifier, {
      validationTimeoutMs: options.validationTimeoutMs ?? 10_000,
    });
    this.faults = createMicrosoftFaultSchedule(now);
    this.mailboxes = new MailboxThrottle(now, options.throttle);
  }

  // ---- lifecycle ------------------------------------------------------------------------

  async start(): Promise<this> {
    this.server = await listen((req, res) => void this.onRequest(req, res), {
      host: this.options.host,
      port: this.options.port,
      tls: this.tls,
    });
    return this;
  }

  async stop(): Promise<void> {
    this.notifier.close();
    await this.server?.stop();
    if (this.trusting) {
      const dispatcher = (await this.trusting) as { close(): Promise<void> };
      await dispatcher.close();
    }
  }

  /** https://127.0.0.1:PORT — Graph under `${url}/v1.0`, identity under `${url}/{tenant}/oauth2/v2.0`. */
  get url(): string {
    if (!this.server) throw new Error('emulator not started');
    return this.server.url;
  }

  get port(): number {
    if (!this.server) throw new Error('emulator not started');
    return this.server.port;
  }

  /** PEM of the self-signed certificate (trust it as a CA). */
  get ca(): string {
    return this.tls.cert;
  }

  /** Live settings; change fields at any time. */
  get throttle(): ThrottleSettings {
    return this.mailboxes.settings;
  }

  /** An undici dispatcher trusting `ca`, for `fetch(…, { dispatcher })` and SDK `fetchOptions`. */
  dispatcher(): Promise<object> {
    this.trusting ??= trustingDispatcher(this.tls.cert, `${this.url}/`);
    return this.trusting;
  }

  // ---- accounts and consent -------------------------------------------------------------

  addAccount(
    input: Parameters<MicrosoftState['addAccount']>[0],
  ): ReturnType<MicrosoftState['addAccount']> {
    return this.state.addAccount(input);
  }

  /** Authorize URL for the default app (tests of the product use the product's own URL). */
  authorizeUrl(params: {
    scope: string;
    redirectUri: string;
    state?: string;
    codeChallenge?: string;
    codeChallengeMethod?: 'S256' | 'plain';
    tenant?: string;
    clientId?: string;
  }): string {
    const url = new URL(`${this.url}/${params.tenant ?? 'common'}/oauth2/v2.0/authorize`);
    url.searchParams.set('client_id', params.clientId ?? this.app.clientId);
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
  }

  /** Follows an authorize URL as `email` consenting (or 'deny'); answers the 302's parts. */
  consent(authorizeUrl: string, as: string): Promise<ConsentResult> {
    const url = new URL(authorizeUrl);
    url.searchParams.set('emulator_consent_as', as);
    return new Promise<ConsentResult>((resolve, reject) => {
      https
        .get(url, { ca: this.tls.cert }, (response) => {
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
  }

  // ---- subscriptions and notifications --------------------------------------------------

  /**
   * Every change (and lifecycle) notification, in the order the changes happened: subscription
   * id (`channel`), `kind` (changeType or lifecycle event), address and URL, JSON `body`, outcome,
   * the receiver's status or error. Validation handshakes are in `validationRequests`.
   */
  get notifications(): NotificationRecord[] {
    return this.notifier.log;
  }

  /** Every validation handshake (create, and PATCH with a new notificationUrl), in order. */
  get validationRequests(): ValidationRecord[] {
    return this.subscriptionStore.validations;
  }

  /**
   * Lost notifications (a chaos fault): `dropNotifications(2)`, `dropNotifications('all')`,
   * `dropNotifications({ match: { channel: subscriptionId, kind: 'updated' }, after: 1 })` or
   * `dropNotifications({ probability: 0.1, seed: 7 })`; recorded with outcome `dropped`.
   */
  dropNotifications(rule?: number | 'all' | NotificationDropRule): NotificationDropHandle {
    return this.notifier.drop(rule);
  }

  clearNotificationDrops(): void {
    this.notifier.clearDrops();
  }

  /** Resolves once every queued notification was answered, failed or timed out. */
  notificationsSettled(): Promise<void> {
    return this.notifier.settled();
  }

  /** The subscriptions created so far (deleted and expired ones too), with `live`. */
  subscriptions(): Array<Subscription & { live: boolean }> {
    return [...this.subscriptionStore.all.values()].map((s) => ({
      ...s,
      live: this.subscriptionStore.live(s),
    }));
  }

  /**
   * Graph sends a lifecycle notification (`reauthorizationRequired`, `subscriptionRemoved` —
   * which also removes the subscription —, `missed`) to the subscription's
   * lifecycleNotificationUrl; undefined when it has none.
   */
  lifecycleNotification(
    subscriptionId: string,
    event: LifecycleEvent,
  ): NotificationRecord | undefined {
    return this.subscriptionStore.lifecycle(subscriptionId, event);
  }

  // ---- the HTTPS pipeline ---------------------------------------------------------------

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body: string;
    try {
      body = (await readBody(req)).toString('utf8');
    } catch {
      resetConnection(req.socket);
      return;
    }
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', this.url);
    let routed: Routed;
    try {
      routed = await this.route(method, url, lowerHeaders(req.headers), body);
    } catch (error) {
      routed = { outcome: respond(emulatorError(500, 'EmulatorBug', String(error))) };
    }
    const { outcome, entry } = routed;
    if (outcome.type === 'respond') {
      if (entry) {
        entry.status = outcome.response.status;
        entry.outcome = 'answered';
      }
      if (res.headersSent || res.destroyed) return;
      res.writeHead(outcome.response.status, outcome.response.headers);
      res.end(outcome.response.body);
    } else if (outcome.type === 'reset') {
      if (entry) entry.outcome = outcome.applied ? 'lost' : 'reset';
      resetConnection(req.socket);
    } else {
      if (entry) entry.outcome = 'hang';
      await this.server?.holds.untilClosed(req.socket);
      resetConnection(req.socket);
    }
  }

  private async route(
    method: string,
    url: URL,
    headers: Record<string, string>,
    body: string,
  ): Promise<Routed> {
    if (url.pathname === '/v1.0' || url.pathname.startsWith('/v1.0/')) {
      return this.graphRequest(method, url, headers, body);
    }
    const identity = /^\/([^/]+)\/oauth2\/v2\.0\/(authorize|token)$/.exec(url.pathname);
    if (identity) {
      return this.identityRequest(identity[2] as IdentityEndpoint, method, url, headers, body);
    }
    const discovery = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(url.pathname);
    if (discovery) {
      return { outcome: respond(openidConfiguration(this.identityContext(), discovery[1])) };
    }
    return {
      outcome: respond(emulatorError(404, 'NotFound', `No emulated endpoint at ${url.pathname}.`)),
    };
  }

  private log(entry: Omit<LoggedRequest, 'seq' | 'at' | 'outcome'>): LoggedRequest {
    const logged: LoggedRequest = {
      seq: this.requests.length + 1,
      at: Date.now(),
      outcome: 'pending',
      ...entry,
    };
    this.requests.push(logged);
    return logged;
  }

  private withFault(
    facts: RequestFacts,
    entry: LoggedRequest,
    actions: ProviderFaultActions<WireResponse>,
  ): Promise<Outcome<WireResponse>> {
    return withScheduledFault(this.faults, facts, entry, this.server!.holds, actions);
  }

  /** The label the schedule gave the fault it just picked. */
  private lastLabel(): string | undefined {
    return this.faults.injected.at(-1)?.label;
  }

  // ---- Graph ----------------------------------------------------------------------------

  private async graphRequest(
    method: string,
    url: URL,
    headers: Record<string, string>,
    rawBody: string,
  ): Promise<Routed> {
    const ids = requestIds(headers);
    const auth = this.authenticate(headers['authorization']);
    const entry = this.log({
      method,
      path: url.pathname,
      query: url.search,
      endpoint: 'graph',
      account: auth.account?.email,
      headers: loggedHeaders(headers),
    });
    const refuse = (error: GraphHttpError) => respond(graphResponse(errorResult(error, ids), ids));
    const outcome = await this.withFault(
      { method, path: url.pathname, operation: 'graph', user: auth.account?.email, batch: false },
      entry,
      {
        process: () => this.processGraph(method, url, headers, rawBody, auth, entry, ids),
        render: (answer) => refuse(graphFaultError(answer)),
        expireToken: () => {
          if (auth.token) this.state.expireAccessToken(auth.token);
          return refuse(expiredToken());
        },
        invalidGrant: () => refuse(expiredToken()),
      },
    );
    return { outcome, entry };
  }

  private authenticate(authorization: string | undefined): Auth {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (!match) {
      return {
        error: new GraphHttpError(401, 'InvalidAuthenticationToken', 'Access token is empty.'),
      };
    }
    const token = match[1];
    const grant = this.state.accessGrant(token);
    if (!grant) {
      return {
        token,
        error: new GraphHttpError(
          401,
          'InvalidAuthenticationToken',
          'IDX14100: JWT is not well formed, there are no dots (.).',
        ),
      };
    }
    const account = [...this.state.accounts.values()].find((a) => a.id === grant.accountId)!;
    if (grant.expiresMs <= this.state.now()) return { token, account, error: expiredToken() };
    return { grant, account, token };
  }

  /** A Graph request once the fault schedule let it through. */
  private async processGraph(
    method: string,
    url: URL,
    headers: Record<string, string>,
    rawBody: string,
    auth: Auth,
    entry: LoggedRequest,
    ids: RequestIds,
  ): Promise<Outcome<WireResponse>> {
    const refuse = (error: GraphHttpError) => respond(graphResponse(errorResult(error, ids), ids));
    if ('error' in auth) return refuse(auth.error);
    let body: unknown;
    if (rawBody.length > 0) {
      try {
        body = JSON.parse(rawBody);
      } catch {
        return refuse(
          new GraphHttpError(400, 'BadRequest', 'Unable to read JSON request payload.'),
        );
      }
    }
    const path = url.pathname.slice('/v1.0'.length) || '/';
    if (path === '/$batch') return this.batch(method, body, auth, entry, ids);
    const over = this.mailboxes.count(auth.grant);
    if (over) return refuse(over);
    const call = () =>
      /^\/subscriptions(\/|$)/i.test(path)
        ? this.subscriptionStore.handle(
            {
              account: auth.account,
              clientId: auth.grant.clientId,
              scopes: auth.grant.scopes,
              baseUrl: this.url,
            },
            { method, path, body },
          )
        : handleGraph(this.graphContext(auth), {
            method,
            path,
            query: url.searchParams,
            headers,
            body,
          });
    const result = await this.mailboxes.inMailbox(auth.account.id, this.server!.holds, () =>
      answerOf(call, ids),
    );
    if (result instanceof GraphHttpError) return refuse(result);
    return respond(graphResponse(result, ids));
  }

  private graphContext(auth: Authenticated) {
    return {
      state: this.state,
      account: auth.account,
      scopes: auth.grant.scopes,
      baseUrl: this.url,
    };
  }

  /**
   * A `$batch`. Faults are drawn for every sub-request first: a reset or hang on any of them takes
   * the whole batch down before anything is applied; a lost response applies the batch, then
   * drops it. Other faults answer inside the batch, for their sub-request only.
   */
  private async batch(
    method: string,
    body: unknown,
    auth: Authenticated,
    entry: LoggedRequest,
    ids: RequestIds,
  ): Promise<Outcome<WireResponse>> {
    const refuse = (error: GraphHttpError) => respond(graphResponse(errorResult(error, ids), ids));
    if (method !== 'POST')
      return refuse(new GraphHttpError(405, 'BadRequest', 'Use POST for $batch.'));
    const items = parseBatch(body);
    if (items instanceof GraphHttpError) return refuse(items);
    let escalate: Fault | undefined;
    const itemFaults = new Map<string, { fault: Fault; label?: string }>();
    for (const item of items) {
      const fault = this.faults.pick({
        method: item.method,
        path: `/v1.0${item.url.startsWith('/') ? '' : '/'}${item.url.split('?')[0]}`,
        operation: 'graph',
        user: auth.account.email,
        batch: true,
      });
      if (!fault) continue;
      if (fault.kind === 'reset' || fault.kind === 'hang' || fault.kind === 'lostResponse') {
        if (!escalate) entry.fault = this.lastLabel();
        escalate ??= fault;
      } else itemFaults.set(item.id, { fault, label: this.lastLabel() });
    }
    if (escalate?.kind === 'reset') return { type: 'reset', applied: false };
    if (escalate?.kind === 'hang') return { type: 'hold' };
    const over = this.mailboxes.count(auth.grant);
    if (over) return refuse(over);
    const seed = (this.options.batchSeed ?? 20) + ++this.batchCounter;
    const result = await this.mailboxes.inMailbox(
      auth.account.id,
      this.server!.holds,
      (): GraphResult => ({
        status: 200,
        headers: {},
        body: runBatch(items, seed, (call, answered) =>
          this.batchItem(call, answered, itemFaults.get(call.item.id), auth, entry, ids),
        ),
      }),
    );
    if (result instanceof GraphHttpError) return refuse(result);
    if (escalate?.kind === 'lostResponse') {
      entry.status = result.status;
      return { type: 'reset', applied: true };
    }
    return respond(graphResponse(result, ids));
  }

  /** One `$batch` sub-request, logged on its own line under its batch. */
  private batchItem(
    call: BatchCall,
    answered: Map<string, GraphResult>,
    fault: { fault: Fault; label?: string } | undefined,
    auth: Authenticated,
    parent: LoggedRequest,
    batchIds: RequestIds,
  ): GraphResult {
    const { item, path, query } = call;
    const ids = {
      requestId: batchIds.requestId,
      clientRequestId: item.headers['client-request-id'] ?? randomUUID(),
    };
    const entry = this.log({
      method: item.method,
      path: `/v1.0${path}`,
      query: query.toString(),
      endpoint: 'graph',
      account: auth.account.email,
      batch: { parent: parent.seq, id: item.id },
      fault: fault?.label,
      headers: loggedHeaders(item.headers),
    });
    const refusal =
      failedDependency(call, answered) ??
      this.batchItemFault(fault?.fault, auth) ??
      malformedItem(call) ??
      this.mailboxes.count(auth.grant);
    const result = refusal
      ? errorResult(refusal, ids)
      : answerOf(
          () =>
            handleGraph(this.graphContext(auth), {
              method: item.method,
              path,
              query,
              headers: item.headers,
              body: item.body,
            }),
          ids,
        );
    entry.status = result.status;
    entry.outcome = 'answered';
    if (result.body === undefined) return result;
    return { ...result, headers: { ...result.headers, 'Content-Type': JSON_TYPE } };
  }

  /** A fault on one sub-request: its error answer inside the batch, if it has one. */
  private batchItemFault(
    fault: Fault | undefined,
    auth: Authenticated,
  ): GraphHttpError | undefined {
    if (!fault) return undefined;
    const answer = faultAnswer(fault);
    if (answer) return graphFaultError(answer);
    if (fault.kind === 'tokenExpired') this.state.expireAccessToken(auth.token);
    if (fault.kind === 'tokenExpired' || fault.kind === 'invalidGrant') return expiredToken();
    return undefined;
  }

  // ---- identity -------------------------------------------------------------------------

  private identityContext(): IdentityContext {
    return { state: this.state, baseUrl: this.url, signingKey: this.tls.key };
  }

  private async identityRequest(
    endpoint: IdentityEndpoint,
    method: string,
    url: URL,
    headers: Record<string, string>,
    rawBody: string,
  ): Promise<Routed> {
    const form = endpoint === 'token' ? new URLSearchParams(rawBody) : url.searchParams;
    const entry = this.log({
      method,
      path: url.pathname,
      query: url.search,
      endpoint,
      headers: loggedHeaders(headers),
    });
    const process = async () =>
      respond(identityEndpoint(this.identityContext(), endpoint, { method, url, headers, form }));
    const outcome = await this.withFault(
      {
        method,
        path: url.pathname,
        operation: `oauth.${endpoint}`,
        batch: false,
        grantType: endpoint === 'token' ? (form.get('grant_type') ?? undefined) : undefined,
      },
      entry,
      {
        process,
        render: (answer) => respond(identityFaultError(answer)),
        expireToken: process, // the identity endpoints take no access token
        invalidGrant: (fault) => respond(injectedInvalidGrant(this.state, form, fault)),
      },
    );
    return { outcome, entry };
  }
}

export async function startMicrosoftEmulator(
  options: MicrosoftEmulatorOptions = {},
): Promise<MicrosoftEmulator> {
  return new MicrosoftEmulator(options).start();
}

function loggedHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => LOGGED_HEADERS.includes(k)));
}

/** The emulator's own answer (an unknown URL, a bug), in Graph's error shape. */
function emulatorError(status: number, code: string, message: string): WireResponse {
  return {
    status,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(
      errorBody(code, message, { requestId: randomUUID(), clientRequestId: randomUUID() }),
    ),
  };
}
