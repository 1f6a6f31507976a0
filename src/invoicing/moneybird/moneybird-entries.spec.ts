import { EntryContent, markedDescription, unmarkedDescription } from '../invoicing-provider';
import {
  billingState,
  moneybirdDurationFields,
  moneybirdRetryAfterSeconds,
  MoneybirdTimeEntry,
  periodAround,
  toProviderEntry,
} from './moneybird-entries';

const content = (overrides: Partial<EntryContent> = {}): EntryContent => ({
  blockId: 42,
  start: new Date('2026-03-10T08:07:40Z'),
  end: new Date('2026-03-10T09:00:10Z'),
  timeZone: 'Europe/Amsterdam',
  spentDate: '2026-03-10',
  minutes: 60,
  description: 'Design review',
  billable: true,
  projectExternalId: '496081425181705337',
  taskExternalId: null,
  userExternalId: '496081425181705338',
  contactExternalId: null,
  ...overrides,
});

const entry = (overrides: Partial<MoneybirdTimeEntry> = {}): MoneybirdTimeEntry => ({
  id: '496081425181705339',
  user_id: '496081425181705338',
  project_id: '496081425181705337',
  contact_id: null,
  sales_invoice_id: null,
  started_at: '2026-03-10T08:07:00.000Z',
  ended_at: '2026-03-10T09:07:00.000Z',
  paused_duration: 0,
  description: 'Design review [danwel:42]',
  billable: true,
  ...overrides,
});

describe('moneybirdDurationFields', () => {
  it('puts the end the rounded duration after the start’s minute', () => {
    expect(moneybirdDurationFields(content())).toEqual({
      started_at: '2026-03-10T08:07:00.000Z',
      ended_at: '2026-03-10T09:07:00.000Z',
    });
    expect(moneybirdDurationFields(content({ minutes: 75 })).ended_at).toBe(
      '2026-03-10T09:22:00.000Z',
    );
  });
});

describe('moneybirdRetryAfterSeconds', () => {
  const now = Date.parse('2026-03-10T12:00:00.400Z');
  const epoch = (iso: string) => String(Date.parse(iso) / 1000);

  it('reads an epoch timestamp as the seconds until then', () => {
    expect(moneybirdRetryAfterSeconds(epoch('2026-03-10T12:00:07Z'), now)).toBe(7);
    expect(moneybirdRetryAfterSeconds(epoch('2026-03-10T12:05:00Z'), now)).toBe(300);
  });

  it('never answers a negative wait for a moment already past', () => {
    expect(moneybirdRetryAfterSeconds(epoch('2026-03-10T11:59:00Z'), now)).toBe(0);
  });

  it('still reads delta-seconds and HTTP dates', () => {
    expect(moneybirdRetryAfterSeconds('30', now)).toBe(30);
    expect(moneybirdRetryAfterSeconds('Tue, 10 Mar 2026 12:01:00 GMT', now)).toBe(60);
  });

  it('is undefined without a usable value', () => {
    expect(moneybirdRetryAfterSeconds(undefined, now)).toBeUndefined();
    expect(moneybirdRetryAfterSeconds('', now)).toBeUndefined();
    expect(moneybirdRetryAfterSeconds('soon', now)).toBeUndefined();
  });
});

describe('descriptions', () => {
  it('carries the marker after the text, and reads back without it', () => {
    expect(markedDescription(content())).toBe('Design review [danwel:42]');
    expect(markedDescription(content({ description: '  ' }))).toBe('[danwel:42]');
    expect(unmarkedDescription('Design review [danwel:42]')).toBe('Design review');
  });
});

describe('periodAround', () => {
  it('spans the days either side of the date, across month and year ends', () => {
    expect(periodAround('2026-03-10', 2)).toBe('20260308..20260312');
    expect(periodAround('2026-01-01', 1)).toBe('20251231..20260102');
  });
});

describe('toProviderEntry', () => {
  const amsterdam = { timeZone: 'Europe/Amsterdam', periodLockedUntil: null };

  it('keeps 18-digit ids as strings and dates the entry in the administration’s zone', () => {
    const late = entry({
      started_at: '2026-03-10T23:30:00.000Z',
      ended_at: '2026-03-11T00:00:00.000Z',
    });
    expect(toProviderEntry(late, amsterdam)).toEqual({
      externalId: '496081425181705339',
      spentDate: '2026-03-11',
      minutes: 30,
      description: 'Design review',
      projectExternalId: '496081425181705337',
      taskExternalId: null,
      userExternalId: '496081425181705338',
      billing: 'open',
      invoiceReference: null,
    });
  });

  it('subtracts a pause', () => {
    expect(toProviderEntry(entry({ paused_duration: 900 }), amsterdam).minutes).toBe(45);
  });
});

describe('billingState', () => {
  it('is invoiced with the sales invoice, locked in a locked period, else open', () => {
    const zone = 'Europe/Amsterdam';
    expect(
      billingState(entry({ sales_invoice_id: '496081425181709999' }), {
        timeZone: zone,
        periodLockedUntil: null,
      }),
    ).toEqual({ billing: 'invoiced', invoiceReference: '496081425181709999' });
    expect(billingState(entry(), { timeZone: zone, periodLockedUntil: '2026-03-10' })).toEqual({
      billing: 'locked',
      invoiceReference: 'period locked until 2026-03-10',
    });
    expect(billingState(entry(), { timeZone: zone, periodLockedUntil: '2026-03-09' })).toEqual({
      billing: 'open',
      invoiceReference: null,
    });
  });
});

describe('the invoice reference', () => {
  it('is the invoice number once the invoice has one', () => {
    const invoiced = entry({
      sales_invoice_id: '496081425181709999',
      sales_invoice: { id: '496081425181709999', invoice_id: '2026-0042' },
    });
    expect(
      billingState(invoiced, { timeZone: 'Europe/Amsterdam', periodLockedUntil: null }),
    ).toEqual({ billing: 'invoiced', invoiceReference: '2026-0042' });
  });
});
