import { MicrosoftCalendarProvider } from '../../../src/providers/microsoft/microsoft-calendar.provider';
import { ProviderHttp } from '../../../src/providers/provider-http';
import { startWebhookReceiver } from '../../emulators/common/webhook-receiver';
import { startMicrosoftEmulator } from '../../emulators/microsoft';
import { microsoftConfig } from '../../providers/provider-configs';
import { calendarFaultMatch, GRAPH_CALLS } from '../calendar-faults';
import {
  CalendarAccount,
  CalendarSubject,
  CalendarWorld,
  REQUEST_TIMEOUT_MS,
  UserEvent,
} from '../calendar-subject';

const SCOPES = ['openid', 'email', 'offline_access', 'Calendars.ReadWrite'];

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
        ms.faults.add({ match: calendarFaultMatch('microsoft', on, account.email), fault, after });
      },
      clearFaults() {
        ms.faults.clear();
      },
      requests(account, of) {
        if (!of) return mine(account).length;
        if (of === 'batch') return mine(account).filter((r) => r.path === '/v1.0/$batch').length;
        const call = GRAPH_CALLS[of];
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
