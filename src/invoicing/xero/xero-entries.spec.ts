import { EntryContent } from '../invoicing-provider';
import {
  entryMatches,
  ifModifiedSince,
  MAX_IDEMPOTENCY_KEY_LENGTH,
  parseXeroEntryId,
  toProviderEntry,
  xeroDurationFields,
  xeroEntryBody,
  xeroEntryId,
  xeroIdempotencyKey,
  xeroReason,
  xeroRetryAfterSeconds,
  XeroTimeEntry,
} from './xero-entries';

const content = (overrides: Partial<EntryContent> = {}): EntryContent => ({
  blockId: 42,
  start: new Date('2026-03-10T08:07:40Z'),
  end: new Date('2026-03-10T09:00:10Z'),
  timeZone: 'Europe/Amsterdam',
  spentDate: '2026-03-10',
  minutes: 60,
  description: 'Design review',
  billable: true,
  projectExternalId: 'p-1',
  taskExternalId: 't-1',
  userExternalId: 'u-1',
  contactExternalId: 'c-1',
  ...overrides,
});

const entry = (overrides: Partial<XeroTimeEntry> = {}): XeroTimeEntry => ({
  timeEntryId: 'e-1',
  projectId: 'p-1',
  userId: 'u-1',
  taskId: 't-1',
  dateUtc: '2026-03-10T00:00:00Z',
  duration: 60,
  description: 'Design review [danwel:42]',
  status: 'ACTIVE',
  ...overrides,
});

describe('the Xero time entry of a block', () => {
  it('books the rounded minutes as integer duration on midnight UTC of the local date', () => {
    expect(xeroDurationFields(content({ minutes: 75 }))).toEqual({ duration: 75 });
    expect(xeroEntryBody(content())).toEqual({
      userId: 'u-1',
      taskId: 't-1',
      dateUtc: '2026-03-10T00:00:00Z',
      duration: 60,
      description: 'Design review [danwel:42]',
    });
  });

  it('needs a project user and a task', () => {
    expect(() => xeroEntryBody(content({ taskExternalId: null }))).toThrow(/task/);
    expect(() => xeroEntryBody(content({ userExternalId: null }))).toThrow(/user/);
  });

  it('reads back as the block’s date, minutes, unmarked description and billing state', () => {
    expect(toProviderEntry(entry())).toEqual({
      externalId: 'p-1/e-1',
      spentDate: '2026-03-10',
      minutes: 60,
      description: 'Design review',
      projectExternalId: 'p-1',
      taskExternalId: 't-1',
      userExternalId: 'u-1',
      billing: 'open',
      invoiceReference: null,
    });
    expect(toProviderEntry(entry({ status: 'LOCKED' })).billing).toBe('locked');
    expect(toProviderEntry(entry({ status: 'INVOICED' })).billing).toBe('invoiced');
    expect(toProviderEntry(entry({ description: null })).description).toBe('');
  });

  it('knows when a found entry already says what the block would write', () => {
    expect(entryMatches(entry(), content())).toBe(true);
    expect(entryMatches(entry({ duration: 45 }), content())).toBe(false);
    expect(entryMatches(entry({ description: 'Design review' }), content())).toBe(false);
    expect(entryMatches(entry(), content({ spentDate: '2026-03-11' }))).toBe(false);
  });

  it('names its project and entry in one external id', () => {
    expect(xeroEntryId('p-1', 'e-1')).toBe('p-1/e-1');
    expect(parseXeroEntryId('p-1/e-1')).toEqual({ projectId: 'p-1', timeEntryId: 'e-1' });
    expect(parseXeroEntryId('e-1')).toBeNull();
    expect(parseXeroEntryId('a/b/c')).toBeNull();
  });
});

describe('xeroIdempotencyKey', () => {
  const key = (c: EntryContent, attempt?: number) =>
    xeroIdempotencyKey(c, xeroEntryBody(c), attempt);

  it('is the same for the same create and differs for another block, content or attempt', () => {
    expect(key(content())).toBe(key(content()));
    expect(key(content())).toMatch(/^danwel-block-42-[0-9a-f]{40}$/);
    expect(key(content({ blockId: 43 }))).not.toBe(key(content()));
    expect(key(content({ minutes: 75 }))).not.toBe(key(content()));
    expect(key(content({ projectExternalId: 'p-2' }))).not.toBe(key(content()));
    expect(key(content(), 1)).not.toBe(key(content()));
  });

  it('stays within Xero’s 128 characters', () => {
    expect(key(content({ blockId: Number.MAX_SAFE_INTEGER }), 99).length).toBeLessThanOrEqual(
      MAX_IDEMPOTENCY_KEY_LENGTH,
    );
  });
});

describe('Xero request details', () => {
  it('writes If-Modified-Since as a UTC timestamp to the second', () => {
    expect(ifModifiedSince(new Date('2026-03-10T08:07:40.950Z'))).toBe('2026-03-10T08:07:40');
  });

  it('reads Retry-After as seconds', () => {
    expect(xeroRetryAfterSeconds('7')).toBe(7);
    expect(xeroRetryAfterSeconds(null)).toBeUndefined();
  });

  it('reads the reason from every error dialect', () => {
    expect(
      xeroReason({ message: 'Validation failed', modelState: { duration: ['Too long'] } }),
    ).toEqual({
      message: 'Validation failed (duration: Too long)',
    });
    expect(
      xeroReason({
        ErrorNumber: 10,
        Type: 'ValidationException',
        Message: 'A validation exception occurred',
        Elements: [{ ValidationErrors: [{ Message: 'Name is required' }] }],
      }),
    ).toEqual({ code: 'ValidationException', message: 'Name is required' });
    expect(
      xeroReason({ Title: 'Forbidden', Status: 403, Detail: 'AuthenticationUnsuccessful' }),
    ).toEqual({
      code: 'AuthenticationUnsuccessful',
      message: 'AuthenticationUnsuccessful',
    });
    expect(
      xeroReason({ Title: 'Unauthorized', Detail: 'TokenExpired: token expired at x' }).code,
    ).toBe('TokenExpired');
    expect(xeroReason({ Title: 'Too Many Requests' }, 'day')).toEqual({ code: 'rate_limit_day' });
    expect(xeroReason(undefined)).toEqual({});
  });
});
