import {
  CalendarChangesClient,
  ChangePage,
  PullFailedError,
  PullWindow,
} from '../../src/providers/calendar-changes';
import type {
  CalendarEventsClient,
  EventContent,
  EventWrite,
} from '../../src/providers/calendar-events';
import type { Fault } from '../emulators/common/faults';
import type { CalendarCall, FaultTarget } from './calendar-faults';

/**
 * One calendar provider as the contract specs see it: its emulator, danwel's real events and
 * changes clients pointed at it, and what a person working in the calendar can do. Each provider
 * has one subject (`test/support/calendar-subjects/<provider>.ts`); the contract spec runs the
 * same cases against every subject with `describe.each(CALENDAR_SUBJECTS)`, and only what differs
 * is written per provider (`test/providers/<provider>-calendar-*.e2e-spec.ts`).
 */
export interface CalendarSubject {
  readonly name: 'google' | 'microsoft';
  start(): Promise<CalendarWorld>;
}

/** The window every contract pull reads: March 2025. */
export const PULL_WINDOW: PullWindow = {
  from: new Date('2025-03-01T00:00:00Z'),
  to: new Date('2025-04-01T00:00:00Z'),
};

/** Short, so the timeout cases are quick; the emulators answer in a few milliseconds. */
export const REQUEST_TIMEOUT_MS = 800;

/** A fresh account with danwel's calendar: externalId is the provider's id, calendarId ours. */
export interface CalendarAccount {
  readonly email: string;
  readonly accessToken: string;
  readonly calendar: { externalId: string; calendarId: number };
}

/** An event a person adds in the calendar app, at UTC instants. */
export interface UserEvent {
  title: string;
  start: Date;
  end: Date;
}

export interface CalendarWorld {
  readonly events: CalendarEventsClient;
  readonly changes: CalendarChangesClient;
  /** Writes in one batch request (Google 50, Graph 20). */
  readonly maxBatchSize: number;
  /** Events on one page of a change read (Google 250, Graph 100). */
  readonly changePageSize: number;
  /** The provider's error codes for the answers the contract checks. */
  readonly codes: { unauthorized: string; throttled: string; serverError: string };

  newAccount(): CalendarAccount;
  /** The live (not deleted) events of the account's calendar, in the provider's order. */
  stored(account: CalendarAccount): Array<{ id: string; title: string }>;

  // --- a person working in the calendar ----------------------------------------------------------
  userCreate(account: CalendarAccount, event: UserEvent): string;
  userEdit(account: CalendarAccount, eventId: string, event: Partial<UserEvent>): void;
  userDelete(account: CalendarAccount, eventId: string): void;
  /** The event leaves what the calendar's pull sees (another calendar, or outside the window). */
  userMoveAway(account: CalendarAccount, eventId: string): void;
  /** The event is deleted and the provider has forgotten it (Google purges cancelled events). */
  forget(account: CalendarAccount, eventId: string): void;

  // --- the provider -------------------------------------------------------------------------------
  expireAccessTokens(account: CalendarAccount): void;
  /** Every cursor of the account's calendar is refused from now on. */
  expireCursors(account: CalendarAccount): void;
  /** True while the channel or subscription with this id delivers notifications. */
  isWatching(channelId: string): boolean;
  /** The next matching request of the account gets the fault (after `after` that pass). */
  fault(account: CalendarAccount, on: FaultTarget, fault: Fault, after?: number): void;
  clearFaults(): void;
  /** API requests of the account so far: all of them, or of one kind (top-level only). */
  requests(account: CalendarAccount, of?: CalendarCall): number;
  stop(): Promise<void>;
}

export function block(blockId: number, overrides: Partial<EventContent> = {}): EventContent {
  return {
    blockId,
    title: `Block ${blockId}`,
    description: 'Deep work',
    start: new Date('2025-03-10T08:00:00Z'),
    end: new Date('2025-03-10T09:30:00Z'),
    timeZone: 'Europe/Amsterdam',
    ...overrides,
  };
}

type Calendar = CalendarAccount['calendar'];

export const createEvent = (calendar: Calendar, event: EventContent): EventWrite => ({
  kind: 'create',
  calendarExternalId: calendar.externalId,
  calendarId: calendar.calendarId,
  event,
});

export const updateEvent = (calendar: Calendar, eventId: string, event: EventContent) =>
  ({ kind: 'update', calendarExternalId: calendar.externalId, eventId, event }) as EventWrite;

export const deleteEvent = (calendar: Calendar, eventId: string) =>
  ({ kind: 'delete', calendarExternalId: calendar.externalId, eventId }) as EventWrite;

/** Applies writes that must succeed and answers the event ids. */
export async function applied(
  events: CalendarEventsClient,
  account: CalendarAccount,
  writes: EventWrite[],
): Promise<string[]> {
  const results = await events.apply(account.accessToken, writes);
  return results.map((result) => {
    if (!result.ok) throw new Error(`write failed: ${JSON.stringify(result.failure)}`);
    return result.eventId;
  });
}

/** The error a call throws (fails the test if it resolves). */
export async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

export const upserts = (page: ChangePage) =>
  page.changes.flatMap((c) => (c.kind === 'upsert' ? [c.event] : []));
export const removedIds = (page: ChangePage) =>
  page.changes.flatMap((c) => (c.kind === 'removed' ? [c.id] : [])).sort();
export const upsertOf = (page: ChangePage, id: string) => upserts(page).find((e) => e.id === id);

/** The PullFailedError's failure a pull, watch or stop rejects with. */
export async function pullFailure(promise: Promise<unknown>) {
  const error = await failureOf(promise);
  expect(error).toBeInstanceOf(PullFailedError);
  return (error as PullFailedError).failure;
}
