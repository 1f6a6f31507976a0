import { createHash } from 'node:crypto';
import { parseRetryAfter } from '../../providers/write-failure';
import {
  EntryBillingState,
  EntryContent,
  markedDescription,
  ProviderEntry,
  unmarkedDescription,
} from '../invoicing-provider';

/**
 * The pure parts of the Xero client: how a block becomes a Projects API time entry and back, the
 * idempotency key derived from it, and Xero's error bodies.
 */

/** A Projects API time entry as Xero renders it. */
export interface XeroTimeEntry {
  timeEntryId: string;
  userId: string;
  projectId: string;
  taskId: string;
  dateUtc: string;
  dateEnteredUtc?: string;
  duration: number;
  description?: string | null;
  status: 'ACTIVE' | 'LOCKED' | 'INVOICED';
}

/** `TimeEntryCreateOrUpdate`: every field, since a PUT replaces the whole entry. */
export interface XeroTimeEntryBody {
  userId: string;
  taskId: string;
  dateUtc: string;
  duration: number;
  description: string;
}

/** Xero takes at most 128 characters in `Idempotency-Key`. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 128;

/**
 * Xero's Projects app files an entry under the date of `dateUtc`: midnight UTC of the block's
 * local date puts it on that date and reads back as the same date, whatever the zones.
 */
export function xeroDateUtc(spentDate: string): string {
  return `${spentDate}T00:00:00Z`;
}

/** The rounded duration as Xero's integer `duration` minutes. */
export function xeroDurationFields(content: EntryContent): { duration: number } {
  return { duration: content.minutes };
}

export function xeroEntryBody(content: EntryContent): XeroTimeEntryBody {
  if (!content.userExternalId || !content.taskExternalId) {
    throw new Error('a Xero time entry needs a project user and a task');
  }
  return {
    userId: content.userExternalId,
    taskId: content.taskExternalId,
    dateUtc: xeroDateUtc(content.spentDate),
    ...xeroDurationFields(content),
    description: markedDescription(content),
  };
}

/**
 * The `Idempotency-Key` of a create: the block and a digest of what is sent, so a retry of the
 * same create answers the entry made first, and a changed block is never refused as "the key
 * with a different request". `attempt` makes a fresh key once the first entry is known gone.
 */
export function xeroIdempotencyKey(
  content: EntryContent,
  body: XeroTimeEntryBody,
  attempt = 0,
): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([content.projectExternalId, body]))
    .digest('hex')
    .slice(0, 40);
  const key = `danwel-block-${content.blockId}-${digest}${attempt ? `-${attempt}` : ''}`;
  return key.slice(0, MAX_IDEMPOTENCY_KEY_LENGTH);
}

/** Entries live under their project (`/Projects/{p}/Time/{t}`): the external id names both. */
export function xeroEntryId(projectId: string, timeEntryId: string): string {
  return `${projectId}/${timeEntryId}`;
}

export function parseXeroEntryId(
  externalId: string,
): { projectId: string; timeEntryId: string } | null {
  const match = /^([^/]+)\/([^/]+)$/.exec(externalId);
  return match ? { projectId: match[1], timeEntryId: match[2] } : null;
}

const BILLING: Record<XeroTimeEntry['status'], EntryBillingState> = {
  ACTIVE: 'open',
  LOCKED: 'locked',
  INVOICED: 'invoiced',
};

/**
 * Xero's time entries do not name their invoice (only `?invoiceId=` lists the entries of a
 * known one), so an invoiced entry carries no reference.
 */
export function toProviderEntry(entry: XeroTimeEntry): ProviderEntry {
  return {
    externalId: xeroEntryId(entry.projectId, entry.timeEntryId),
    spentDate: entry.dateUtc.slice(0, 10),
    minutes: entry.duration,
    description: unmarkedDescription(entry.description ?? ''),
    projectExternalId: entry.projectId,
    taskExternalId: entry.taskId,
    userExternalId: entry.userId,
    billing: BILLING[entry.status] ?? 'locked',
    invoiceReference: null,
  };
}

/** Whether the entry already says what `content` would write (a found create needs no update). */
export function entryMatches(entry: XeroTimeEntry, content: EntryContent): boolean {
  const body = xeroEntryBody(content);
  return (
    entry.projectId === content.projectExternalId &&
    entry.userId === body.userId &&
    entry.taskId === body.taskId &&
    Date.parse(entry.dateUtc) === Date.parse(body.dateUtc) &&
    entry.duration === body.duration &&
    (entry.description ?? '') === body.description
  );
}

/** `If-Modified-Since` as Xero documents it: a UTC timestamp `yyyy-mm-ddThh:mm:ss`. */
export function ifModifiedSince(since: Date): string {
  return since.toISOString().slice(0, 19);
}

/** Xero writes `Retry-After` as delta-seconds. */
export function xeroRetryAfterSeconds(
  value: string | null | undefined,
  now = Date.now(),
): number | undefined {
  return parseRetryAfter(value, now);
}

/**
 * Xero's reason from an error body, in any of its dialects: the Projects API's `{message,
 * modelState}`, the Accounting API's `{Type, Message, Elements}`, the gateway's problem details
 * `{Title, Detail}` and OAuth's `{error}`. A 429's `X-Rate-Limit-Problem` names which limit.
 */
export function xeroReason(
  body: unknown,
  rateLimitProblem?: string | null,
): { code?: string; message?: string } {
  if (rateLimitProblem) return { code: `rate_limit_${rateLimitProblem}` };
  if (typeof body === 'string') return { message: body.slice(0, 200) };
  if (!body || typeof body !== 'object') return {};
  const record = body as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === 'string' && value ? value : undefined);
  if (text(record.message) !== undefined) {
    const fields = record.modelState as Record<string, unknown> | undefined;
    const details =
      fields && typeof fields === 'object'
        ? Object.entries(fields)
            .map(([field, messages]) => `${field}: ${[messages].flat().join(', ')}`)
            .join('; ')
        : '';
    return { message: details ? `${text(record.message)} (${details})` : text(record.message) };
  }
  if (text(record.Message) !== undefined) {
    const elements = Array.isArray(record.Elements) ? record.Elements : [];
    const validation = elements
      .flatMap(
        (e) => (e as { ValidationErrors?: Array<{ Message?: string }> }).ValidationErrors ?? [],
      )
      .map((v) => v.Message)
      .filter(Boolean);
    return {
      code: text(record.Type),
      message: validation.length ? validation.join('; ') : text(record.Message),
    };
  }
  if (text(record.Detail) !== undefined || text(record.Title) !== undefined) {
    const detail = text(record.Detail);
    return { code: detail?.split(':')[0], message: detail ?? text(record.Title) };
  }
  return { code: text(record.error) };
}
