import { DateTime } from 'luxon';
import { parseRetryAfter } from '../../providers/write-failure';
import {
  EntryBillingState,
  EntryContent,
  entryMarker,
  markedDescription,
  ProviderEntry,
  unmarkedDescription,
} from '../invoicing-provider';

/**
 * The pure parts of the Moneybird client: how a block becomes a time entry and back. Moneybird
 * ids are 18-digit numbers above 2^53, so they are kept as the strings the API sends.
 */

/** A time entry as Moneybird renders it (the fields danwel reads). */
export interface MoneybirdTimeEntry {
  id: string;
  user_id: string;
  project_id: string | null;
  contact_id: string | null;
  sales_invoice_id: string | null;
  /** The embedded invoice; `invoice_id` is its number once it has one. */
  sales_invoice?: { id: string; invoice_id?: string | null } | null;
  started_at: string;
  ended_at: string | null;
  paused_duration: number | null;
  description: string;
  billable: boolean | null;
}

/** What danwel knows of an administration when it reads an entry back. */
export interface AdministrationFacts {
  timeZone: string;
  /** Entries starting on or before this local date are locked. */
  periodLockedUntil: string | null;
}

/**
 * Moneybird stores a start and an end, floored to the minute: the rounded duration is expressed
 * as an end that many minutes after the start's minute (09:07:40 for 53 raw minutes rounded to
 * 60 books 09:07–10:07).
 */
export function moneybirdDurationFields(content: EntryContent): {
  started_at: string;
  ended_at: string;
} {
  const start = Math.floor(content.start.getTime() / 60_000) * 60_000;
  return {
    started_at: new Date(start).toISOString(),
    ended_at: new Date(start + content.minutes * 60_000).toISOString(),
  };
}

/** Whether this entry carries exactly this block's marker (`query=` matches substrings). */
export function carriesMarker(entry: MoneybirdTimeEntry, blockId: number): boolean {
  return entry.description.includes(entryMarker(blockId));
}

/** The `period` filter around a date: wide enough to find the entry of a block moved since. */
export function periodAround(spentDate: string, days: number): string {
  const date = DateTime.fromISO(spentDate, { zone: 'utc' });
  const format = (d: DateTime) => d.toFormat('yyyyMMdd');
  return `${format(date.minus({ days }))}..${format(date.plus({ days }))}`;
}

export function billingState(
  entry: MoneybirdTimeEntry,
  administration: AdministrationFacts,
): { billing: EntryBillingState; invoiceReference: string | null } {
  if (entry.sales_invoice_id) {
    const reference = entry.sales_invoice?.invoice_id || entry.sales_invoice_id;
    return { billing: 'invoiced', invoiceReference: reference };
  }
  const locked = administration.periodLockedUntil;
  if (locked && localDate(entry.started_at, administration.timeZone) <= locked) {
    return { billing: 'locked', invoiceReference: `period locked until ${locked}` };
  }
  return { billing: 'open', invoiceReference: null };
}

export function toProviderEntry(
  entry: MoneybirdTimeEntry,
  administration: AdministrationFacts,
): ProviderEntry {
  const ended = entry.ended_at ? Date.parse(entry.ended_at) : Date.parse(entry.started_at);
  const paused = Math.floor((entry.paused_duration ?? 0) / 60);
  return {
    externalId: entry.id,
    spentDate: localDate(entry.started_at, administration.timeZone),
    minutes: Math.round((ended - Date.parse(entry.started_at)) / 60_000) - paused,
    description: unmarkedDescription(entry.description),
    projectExternalId: entry.project_id,
    taskExternalId: null,
    userExternalId: entry.user_id,
    ...billingState(entry, administration),
  };
}

/** Whether the entry already says what `content` would write (a found create needs no update). */
export function entryMatches(entry: MoneybirdTimeEntry, content: EntryContent): boolean {
  const fields = moneybirdDurationFields(content);
  return (
    entry.description === markedDescription(content) &&
    sameInstant(entry.started_at, fields.started_at) &&
    sameInstant(entry.ended_at, fields.ended_at) &&
    (entry.paused_duration ?? 0) === 0 &&
    entry.project_id === content.projectExternalId &&
    entry.contact_id === content.contactExternalId &&
    entry.user_id === content.userExternalId &&
    entry.billable === content.billable
  );
}

/**
 * Moneybird writes `Retry-After` as the UTC epoch second the window opens, not delta-seconds.
 * Small numbers are read as delta-seconds and dates as HTTP dates, in case that ever changes.
 */
export function moneybirdRetryAfterSeconds(
  value: string | null | undefined,
  now = Date.now(),
): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text) && Number(text) > 1_000_000_000) {
    return Math.max(0, Math.ceil(Number(text) - now / 1000));
  }
  return parseRetryAfter(text, now);
}

function localDate(iso: string, timeZone: string): string {
  return DateTime.fromISO(iso, { zone: 'utc' }).setZone(timeZone).toISODate() ?? iso.slice(0, 10);
}

function sameInstant(a: string | null, b: string): boolean {
  return a !== null && Date.parse(a) === Date.parse(b);
}
