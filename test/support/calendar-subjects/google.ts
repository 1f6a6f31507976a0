import { GoogleCalendarProvider } from '../../../src/providers/google/google-calendar.provider';
import { startWebhookReceiver } from '../../emulators/common/webhook-receiver';
import { startGoogleEmulator } from '../../emulators/google';
import { googleConfig } from '../../providers/provider-configs';
import { calendarFaultMatch, GOOGLE_CALLS } from '../calendar-faults';
import {
  CalendarAccount,
  CalendarSubject,
  CalendarWorld,
  REQUEST_TIMEOUT_MS,
  UserEvent,
} from '../calendar-subject';

/** Google: one account per test, with a "Danwel" calendar and an "Elsewhere" one to move to. */
export const googleSubject: CalendarSubject = {
  name: 'google',
  async start(): Promise<CalendarWorld> {
    const receiver = await startWebhookReceiver();
    const google = await startGoogleEmulator({
      notificationRewrite: (address) => `${receiver.url}${new URL(address).pathname}`,
    });
    const provider = new GoogleCalendarProvider(googleConfig(google), REQUEST_TIMEOUT_MS);
    const elsewhere = new Map<string, string>();
    let seq = 0;

    const dateTime = (at: Date) => ({ dateTime: at.toISOString(), timeZone: 'Europe/Amsterdam' });
    const asUser = (account: CalendarAccount) => google.asUser(account.email);
    const mine = (account: CalendarAccount) =>
      google.requests.filter((r) => r.user === account.email);

    return {
      events: provider.events(),
      changes: provider.changes(),
      maxBatchSize: 50,
      changePageSize: 250,
      codes: {
        unauthorized: 'authError',
        throttled: 'rateLimitExceeded',
        serverError: 'backendError',
      },

      newAccount() {
        seq++;
        const email = `user${seq}@example.com`;
        google.addAccount({ email, timeZone: 'Europe/Amsterdam' });
        const { id } = google.addCalendar(email, { summary: 'Danwel' });
        elsewhere.set(email, google.addCalendar(email, { summary: 'Elsewhere' }).id);
        const accessToken = google.issueTokens({ email }).access_token;
        return { email, accessToken, calendar: { externalId: id, calendarId: seq } };
      },
      stored: (account) =>
        google
          .events(account.email, account.calendar.externalId)
          .map((e) => ({ id: e.id, title: e.summary ?? '' })),

      userCreate: (account, event: UserEvent) =>
        asUser(account).insert(account.calendar.externalId, {
          summary: event.title,
          start: dateTime(event.start),
          end: dateTime(event.end),
        }).id,
      userEdit(account, eventId, event) {
        asUser(account).patch(account.calendar.externalId, eventId, {
          ...(event.title !== undefined && { summary: event.title }),
          ...(event.start && { start: dateTime(event.start) }),
          ...(event.end && { end: dateTime(event.end) }),
        });
      },
      userDelete(account, eventId) {
        asUser(account).delete(account.calendar.externalId, eventId);
      },
      userMoveAway(account, eventId) {
        asUser(account).move(account.calendar.externalId, eventId, elsewhere.get(account.email)!);
      },
      forget(account, eventId) {
        asUser(account).delete(account.calendar.externalId, eventId);
        google.purgeDeleted(account.email, account.calendar.externalId);
      },

      expireAccessTokens(account) {
        google.expireAccessTokens(account.email);
      },
      expireCursors(account) {
        google.invalidateSyncTokens(account.email, account.calendar.externalId);
      },
      isWatching: (channelId) => google.channels().find((c) => c.id === channelId)?.live ?? false,
      fault(account, on, fault, after) {
        google.faults.add({ match: calendarFaultMatch('google', on, account.email), fault, after });
      },
      clearFaults() {
        google.faults.clear();
      },
      requests: (account, of) =>
        mine(account).filter((r) => !r.batch && (!of || r.operation === GOOGLE_CALLS[of])).length,
      async stop() {
        await google.stop();
        await receiver.stop();
      },
    };
  },
};
