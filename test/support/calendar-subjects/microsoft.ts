import { MicrosoftCalendarProvider } from '../../../src/providers/microsoft/microsoft-calendar.provider';
import { ProviderHttp } from '../../../src/providers/provider-http';
import type { FaultMatch } from '../../emulators/common/faults';
import { startWebhookReceiver } from '../../emulators/common/webhook-receiver';
import { startMicrosoftEmulator } from '../../emulators/microsoft';
import { microsoftConfig } from '../../providers/provider-configs';
import {
  CalendarAccount,
  CalendarCall,
  CalendarSubject,
  CalendarWorld,
  REQUEST_TIMEOUT_MS,
  UserEvent,
} from '../calendar-subject';

const SCOPES = ['openid', 'email', 'offline_access', 'Calendars.ReadWrite'];

/** Top-level Graph requests of each kind, and where a fault on them matches. */
const CALLS: Record<CalendarCall, { method: string; path: RegExp; batch?: boolean }> = {
  create: { method: 'POST', path: /\/calendars\/[^/]+\/events$/ },
  update: { method: 'PATCH', path: /\/events\/[^/]+$/ },
  // A transport fault on the first item ends the whole $batch.
  batch: { method: 'POST', path: /./, batch: true },
  page: { method: 'GET', path: /\/delta$/ },
  watch: { method: 'POST', path: /^\/v1\.0\/subscriptions$/ },
};

/** Graph: one mailbox per test (Graph limits are per mailbox), with a "Danwel" calendar. */
export const microsoftSubject: CalendarSubject = {
  name: 'microsoft',
  async start(): Promise<CalendarWorld> {
    const receiver = await startWebhookReceiver();
    const ms = await startMicrosoftEmulator({
      notificationRewrite: (address) => `${receiver.url}${new URL(address).pathname}`,
    });
    const http = new ProviderHttp();
    http.dispatcher = await ms.dispatcher();
    const provider = new MicrosoftCalendarProvider(microsoftConfig(ms), http, REQUEST_TIMEOUT_MS);
    let seq = 0;

    const dateTime = (at: Date) => ({ dateTime: at.toISOString().slice(0, 19), timeZone: 'UTC' });
    const mine = (account: CalendarAccount) =>
      ms.requests
        .filter((r) => r.endpoint === 'graph' && r.account === account.email && !r.batch)
        .map((r) => ({ ...r, path: decodeURIComponent(r.path) }));

    return {
      events: provider.events(),
      changes: provider.changes(),
      maxBatchSize: 20,
      changePageSize: 100,
      codes: {
        unauthorized: 'InvalidAuthenticationToken',
        throttled: 'TooManyRequests',
        serverError: 'generalException',
      },

      newAccount() {
        seq++;
        const email = `user${seq}@contoso.test`;
        const account = ms.addAccount({ email, calendars: ['Danwel'] });
        const { accessToken } = ms.state.issueTokens(account.id, ms.app.clientId, SCOPES);
        return {
          email,
          accessToken,
          calendar: { externalId: account.calendarIds[1], calendarId: seq },
        };
      },
      stored: (account) =>
        ms.state
          .events(account.email, account.calendar.externalId)
          .map((e) => ({ id: e.id as string, title: e.subject as string })),

      userCreate: (account, event: UserEvent) =>
        ms.state.userCreate(
          account.email,
          { subject: event.title, start: dateTime(event.start), end: dateTime(event.end) },
          account.calendar.externalId,
        ).id as string,
      userEdit(account, eventId, event) {
        ms.state.userEdit(account.email, eventId, {
          ...(event.title !== undefined && { subject: event.title }),
          ...(event.start && { start: dateTime(event.start) }),
          ...(event.end && { end: dateTime(event.end) }),
        });
      },
      userDelete(account, eventId) {
        ms.state.userDelete(account.email, eventId);
      },
      userMoveAway(account, eventId) {
        ms.state.userEdit(account.email, eventId, {
          start: dateTime(new Date('2025-06-11T09:00:00Z')),
          end: dateTime(new Date('2025-06-11T17:00:00Z')),
        });
      },
      forget(account, eventId) {
        ms.state.userDelete(account.email, eventId);
      },

      expireAccessTokens(account) {
        ms.state.expireAccessTokens(account.email);
      },
      expireCursors(account) {
        ms.state.expireDeltaTokens(account.email);
      },
      isWatching: (id) => ms.subscriptions().find((s) => s.id === id)?.live ?? false,
      fault(account, on, fault, after) {
        let match: FaultMatch;
        if (typeof on === 'string') {
          const call = CALLS[on];
          match = call.batch
            ? { user: account.email, batch: true }
            : { user: account.email, batch: false, method: call.method, path: call.path };
        } else {
          const path = `/v1.0/me/events/${encodeURIComponent(on.batchPart)}`;
          match = { user: account.email, batch: true, path };
        }
        ms.faults.add({ match, fault, after });
      },
      clearFaults() {
        ms.faults.clear();
      },
      requests(account, of) {
        if (!of) return mine(account).length;
        if (of === 'batch') return mine(account).filter((r) => r.path === '/v1.0/$batch').length;
        const call = CALLS[of];
        return mine(account).filter((r) => r.method === call.method && call.path.test(r.path))
          .length;
      },
      async stop() {
        await ms.stop();
        await receiver.stop();
      },
    };
  },
};
