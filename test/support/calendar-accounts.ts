import { Calendar } from '../../src/calendars/calendar.entity';
import { Env } from '../../src/config';
import { Integration } from '../../src/integrations/integration.entity';
import { BLOCK_ID_PROPERTY, GRAPH_BLOCK_ID_PROPERTY } from '../../src/providers/calendar-events';
import { ProviderHttp } from '../../src/providers/provider-http';
import { startGoogleEmulator } from '../emulators/google';
import type { Fault } from '../emulators/common/faults';
import { canonicalPropertyId, startMicrosoftEmulator } from '../emulators/microsoft';
import { Actor } from './actors';
import { CalendarEmulatorName, calendarFaultMatch } from './calendar-faults';
import { TestApp } from './app';

/*
 * Calendar accounts for sync specs: both provider emulators, the environment that points danwel
 * at them, accounts connected through the real OAuth flow (connect → consent → callback →
 * confirm), and one vocabulary over both emulators for what a spec checks (the live events of a
 * calendar) and the faults it schedules.
 */

export type CalendarProviderName = 'google_calendar' | 'office365';
export const CALENDAR_PROVIDER_NAMES: CalendarProviderName[] = ['google_calendar', 'office365'];
const EMULATOR_OF: Record<CalendarProviderName, CalendarEmulatorName> = {
  google_calendar: 'google',
  office365: 'microsoft',
};

type GoogleEmulator = Awaited<ReturnType<typeof startGoogleEmulator>>;
type MicrosoftEmulator = Awaited<ReturnType<typeof startMicrosoftEmulator>>;

const APP_URL = 'http://localhost:3000';
/** An APP_URL that providers accept for push notifications (public https). */
export const PUBLIC_APP_URL = 'https://danwel.test';
const GOOGLE_CLIENT = {
  clientId: '42-danwel-sync.apps.googleusercontent.com',
  clientSecret: 'GOCSPX-danwel-sync',
  redirectUris: [`${APP_URL}/api/v1/integrations/oauth/google_calendar/callback`],
};

/** An event as a user would check it in their calendar. */
export interface SeenEvent {
  id: string;
  title: string;
  description: string;
  start: Date;
  end: Date;
  timeZone: string;
  blockId: string | null;
}

export interface ConnectedAccount {
  provider: CalendarProviderName;
  email: string;
  integrationId: number;
  /** The account's calendars as danwel stored them: primary first. */
  calendars: Calendar[];
}

export class CalendarEmulators {
  private accountSeq = 0;

  private constructor(
    readonly google: GoogleEmulator,
    readonly ms: MicrosoftEmulator,
    private readonly dispatcher: object,
  ) {}

  /**
   * `webhookTarget`: where push notifications for `https://danwel.test` really go (a test's app
   * listens on plain http on loopback); read at delivery time, so it may be set after start.
   */
  static async start(options: { webhookTarget?: () => string } = {}): Promise<CalendarEmulators> {
    const target = options.webhookTarget;
    const webhooks = target
      ? { notificationRewrite: (address: string) => address.replace(PUBLIC_APP_URL, target()) }
      : {};
    const google = await startGoogleEmulator({ clients: [GOOGLE_CLIENT], ...webhooks });
    const ms = await startMicrosoftEmulator(webhooks);
    return new CalendarEmulators(google, ms, await ms.dispatcher());
  }

  /** What danwel's configuration needs to talk to the emulators. */
  env(): Env {
    return {
      APP_URL,
      GOOGLE_REDIRECT_URI: GOOGLE_CLIENT.redirectUris[0],
      MICROSOFT_REDIRECT_URI: `${APP_URL}/api/v1/integrations/oauth/office365/callback`,
      GOOGLE_CLIENT_ID: GOOGLE_CLIENT.clientId,
      GOOGLE_CLIENT_SECRET: GOOGLE_CLIENT.clientSecret,
      GOOGLE_AUTHORIZE_URL: this.google.endpoints.oauth2AuthBaseUrl,
      GOOGLE_TOKEN_URL: this.google.endpoints.oauth2TokenUrl,
      GOOGLE_REVOKE_URL: this.google.endpoints.oauth2RevokeUrl,
      GOOGLE_API_BASE_URL: this.google.url,
      MICROSOFT_CLIENT_ID: this.ms.app.clientId,
      MICROSOFT_CLIENT_SECRET: this.ms.app.clientSecret,
      MICROSOFT_AUTHORITY_URL: this.ms.url,
      MICROSOFT_GRAPH_BASE_URL: this.ms.url,
    };
  }

  /** Lets the app trust the Microsoft emulator's certificate. */
  trustIn(t: TestApp): void {
    t.app.get(ProviderHttp).dispatcher = this.dispatcher;
  }

  async stop(): Promise<void> {
    await this.google.stop();
    await this.ms.stop();
  }

  /**
   * A new provider account with a primary calendar and `extraCalendars` more, connected by `actor`,
   * who then turns the extra calendars on (they start disabled) unless `enableExtra` is false.
   */
  async connect(
    t: TestApp,
    actor: Actor,
    organizationUrl: (path: string) => string,
    provider: CalendarProviderName,
    extraCalendars = 1,
    { enableExtra = true } = {},
  ): Promise<ConnectedAccount> {
    const email = this.addAccount(provider, extraCalendars);
    const integrationId = await this.authorize(t, actor, organizationUrl, provider, email);
    if (enableExtra) {
      const extra = await t.dataSource.manager.findBy(Calendar, {
        integrationId,
        isPrimary: false,
      });
      for (const calendar of extra) {
        const response = await actor.patch(organizationUrl(`/calendars/${calendar.id}`), {
          is_enabled: true,
        });
        if (response.status !== 200) {
          throw new Error(`enabling ${calendar.name} answered ${response.status}`);
        }
      }
    }
    const calendars = await t.dataSource.manager.find(Calendar, {
      where: { integrationId },
      order: { isPrimary: 'DESC', id: 'ASC' },
    });
    return { provider, email, integrationId, calendars };
  }

  /** A new account at the provider with a primary calendar and `extraCalendars` more: its email. */
  addAccount(provider: CalendarProviderName, extraCalendars = 1): string {
    this.accountSeq += 1;
    const extra = Array.from({ length: extraCalendars }, (_, i) => `Work ${this.accountSeq}.${i}`);
    if (provider === 'google_calendar') {
      const email = `sync${this.accountSeq}@example.com`;
      this.google.addAccount({ email, timeZone: 'Europe/Amsterdam' });
      for (const summary of extra) this.google.addCalendar(email, { summary });
      return email;
    }
    const email = `sync${this.accountSeq}@contoso.test`;
    this.ms.addAccount({ email, calendars: extra });
    return email;
  }

  /** The user goes through consent again (after `invalid_grant`): the same integration revives. */
  async reconnect(
    t: TestApp,
    actor: Actor,
    organizationUrl: (path: string) => string,
    account: ConnectedAccount,
  ): Promise<void> {
    const id = await this.authorize(t, actor, organizationUrl, account.provider, account.email);
    if (id !== account.integrationId) throw new Error('reconnecting created another integration');
  }

  /**
   * Whoever holds `authorizeUrl` signs in at the provider as `email` and consents: the query the
   * provider's redirect brings to danwel's callback.
   */
  async consent(
    provider: CalendarProviderName,
    authorizeUrl: string,
    email: string,
  ): Promise<Record<string, string>> {
    let redirect: URL;
    if (provider === 'office365') {
      redirect = new URL((await this.ms.consent(authorizeUrl, email)).location!);
    } else {
      this.google.authorize({ email });
      const response = await fetch(authorizeUrl, { redirect: 'manual' });
      redirect = new URL(response.headers.get('location')!);
    }
    return Object.fromEntries(redirect.searchParams);
  }

  /**
   * connect → the provider's consent screen, answered as `email` → our callback, which sends the
   * browser to `?pending=<reference>` → the actor confirms it: the integration's id.
   */
  private async authorize(
    t: TestApp,
    actor: Actor,
    organizationUrl: (path: string) => string,
    provider: CalendarProviderName,
    email: string,
  ): Promise<number> {
    const started = await actor.post(organizationUrl(`/integrations/${provider}/connect`));
    if (started.status !== 200) throw new Error(`connect answered ${started.status}`);
    const authorizeUrl = (started.body as { authorize_url: string }).authorize_url;
    const callback = await t
      .http()
      .get(`/api/v1/integrations/oauth/${provider}/callback`)
      .query(await this.consent(provider, authorizeUrl, email));
    const pending = new URL(callback.headers.location as string).searchParams.get('pending');
    if (!pending) throw new Error(`the callback answered ${callback.headers.location}`);
    const confirmed = await actor.post(organizationUrl(`/integrations/pending/${pending}/confirm`));
    if (confirmed.status !== 200) throw new Error(`confirming answered ${confirmed.status}`);
    return (confirmed.body as { id: number }).id;
  }

  /** The live events of a calendar, as the account's owner sees them. */
  events(account: ConnectedAccount, calendar: Calendar): SeenEvent[] {
    if (account.provider === 'google_calendar') {
      return this.google.events(account.email, calendar.externalId).map((event) => ({
        id: event.id!,
        title: event.summary ?? '',
        description: event.description ?? '',
        start: new Date(event.start!.dateTime!),
        end: new Date(event.end!.dateTime!),
        timeZone: event.start!.timeZone ?? '',
        blockId: event.extendedProperties?.private?.[BLOCK_ID_PROPERTY] ?? null,
      }));
    }
    const propertyId = canonicalPropertyId(GRAPH_BLOCK_ID_PROPERTY);
    return this.ms.state.events(account.email, calendar.externalId).map((raw) => {
      const event = raw as {
        id: string;
        subject: string;
        body: { content: string };
        start: { dateTime: string };
        end: { dateTime: string };
        originalStartTimeZone: string;
        singleValueExtendedProperties?: Array<{ id: string; value: string }>;
      };
      const property = event.singleValueExtendedProperties?.find(
        (p) => canonicalPropertyId(p.id) === propertyId,
      );
      return {
        id: event.id,
        title: event.subject,
        description: event.body.content,
        // Graph JSON in UTC: wall clock without offset.
        start: new Date(`${event.start.dateTime.slice(0, 19)}Z`),
        end: new Date(`${event.end.dateTime.slice(0, 19)}Z`),
        timeZone: event.originalStartTimeZone,
        blockId: property?.value ?? null,
      };
    });
  }

  /** The user adds an event in Google Calendar / Outlook; answers its id. */
  userCreate(account: ConnectedAccount, calendar: Calendar, event: UserEvent): string {
    if (account.provider === 'google_calendar') {
      return this.google.asUser(account.email).insert(calendar.externalId, googleBody(event)).id!;
    }
    const created = this.ms.state.userCreate(account.email, graphBody(event), calendar.externalId);
    return created.id as string;
  }

  /** The user renames or moves an event in Google Calendar / Outlook. */
  userEdit(
    account: ConnectedAccount,
    calendar: Calendar,
    eventId: string,
    edit: Partial<UserEvent>,
  ) {
    if (account.provider === 'google_calendar') {
      this.google.asUser(account.email).patch(calendar.externalId, eventId, googleBody(edit));
    } else {
      this.ms.state.userEdit(account.email, eventId, graphBody(edit));
    }
  }

  /** The user deletes an event in Google Calendar / Outlook. */
  userDelete(account: ConnectedAccount, calendar: Calendar, eventId: string): void {
    if (account.provider === 'google_calendar') {
      this.google.asUser(account.email).delete(calendar.externalId, eventId);
    } else {
      this.ms.state.userDelete(account.email, eventId);
    }
  }

  /**
   * Schedules `fault` on `times` event writes (inside batches too) of `provider`, after letting
   * `after` of them through.
   */
  fault(provider: CalendarProviderName, fault: Fault, times = 1, after = 0): void {
    const emulator = provider === 'google_calendar' ? this.google : this.ms;
    const match = calendarFaultMatch(EMULATOR_OF[provider], 'write');
    emulator.faults.add({ match, times, after, fault });
  }

  /** A per-account request quota at the provider (429/403 beyond it); returns its removal. */
  quota(provider: CalendarProviderName, quota: { requests: number; windowMs: number }): () => void {
    if (provider === 'google_calendar') {
      const rule = this.google.faults.quota({ limit: quota.requests, windowMs: quota.windowMs });
      return () => rule.remove();
    }
    const saved = { ...this.ms.throttle };
    Object.assign(this.ms.throttle, {
      maxRequestsPerWindow: quota.requests,
      windowMs: quota.windowMs,
    });
    return () => Object.assign(this.ms.throttle, saved);
  }

  /** The next access token of the account is refused (401) although it looks fresh. */
  expireTokens(account: ConnectedAccount): void {
    if (account.provider === 'google_calendar') this.google.expireAccessTokens(account.email);
    else this.ms.state.expireAccessTokens(account.email);
  }

  /** The user revoked danwel's access: refreshing answers `invalid_grant`. */
  revokeAccess(account: ConnectedAccount): void {
    if (account.provider === 'google_calendar') this.google.revokeAccess(account.email);
    else this.ms.state.revokeRefreshTokens(account.email);
  }

  /** Event writes the emulator received (batch parts counted one by one), and the batch sizes. */
  writeTraffic(provider: CalendarProviderName): { writes: number; batches: number[] } {
    const isWrite = (method: string, path: string) =>
      /^(POST|PUT|PATCH|DELETE)$/.test(method) && /\/events(\/|$)/.test(path);
    const log =
      provider === 'google_calendar'
        ? this.google.requests.map((r) => ({ ...r, parent: r.batch?.parent }))
        : this.ms.requests.map((r) => ({ ...r, parent: r.batch?.parent }));
    const sizes = new Map<number, number>();
    let writes = 0;
    for (const request of log) {
      if (!isWrite(request.method, request.path)) continue;
      writes += 1;
      if (request.parent !== undefined)
        sizes.set(request.parent, (sizes.get(request.parent) ?? 0) + 1);
    }
    return { writes, batches: [...sizes.values()] };
  }

  /** Requests the provider's token endpoint has received (code exchanges and refreshes). */
  tokenRequests(provider: CalendarProviderName): number {
    return provider === 'google_calendar'
      ? this.google.requests.filter((r) => r.operation === 'oauth.token').length
      : this.ms.requests.filter((r) => r.endpoint === 'token').length;
  }

  clearTraffic(): void {
    this.google.clearRequests();
    this.ms.requests.length = 0;
  }
}

/** An event as a user types it in: title and times (UTC). */
export interface UserEvent {
  title: string;
  start: Date;
  end: Date;
}

function googleBody(event: Partial<UserEvent>): Record<string, unknown> {
  return {
    ...(event.title !== undefined ? { summary: event.title } : {}),
    ...(event.start ? { start: { dateTime: event.start.toISOString(), timeZone: 'UTC' } } : {}),
    ...(event.end ? { end: { dateTime: event.end.toISOString(), timeZone: 'UTC' } } : {}),
  };
}

function graphBody(event: Partial<UserEvent>): Record<string, unknown> {
  const wallClock = (date: Date) => ({
    dateTime: date.toISOString().slice(0, 19),
    timeZone: 'UTC',
  });
  return {
    ...(event.title !== undefined ? { subject: event.title } : {}),
    ...(event.start ? { start: wallClock(event.start) } : {}),
    ...(event.end ? { end: wallClock(event.end) } : {}),
  };
}

/** The integration row as the database holds it now. */
export function integrationRow(t: TestApp, id: number): Promise<Integration> {
  return t.dataSource.manager.findOneByOrFail(Integration, { id });
}
