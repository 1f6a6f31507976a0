import { EntryContent, InvoicingError } from '../invoicing-provider';
import {
  billingState,
  entryBody,
  entryMatches,
  externalReferenceId,
  harvestDuration,
  harvestHours,
  HarvestTimeEntry,
  projectTasks,
  providerEntry,
  tasksByProject,
} from './harvest-entries';
import { invoicingHttpError } from '../invoicing-http';
import { HarvestCall, harvestReason } from './harvest-api';

const content = (overrides: Partial<EntryContent> = {}): EntryContent => ({
  blockId: 42,
  start: new Date('2026-03-10T09:00:00Z'),
  end: new Date('2026-03-10T10:11:00Z'),
  timeZone: 'Europe/Amsterdam',
  spentDate: '2026-03-10',
  minutes: 75,
  description: 'Design review',
  billable: true,
  projectExternalId: '301',
  taskExternalId: '401',
  userExternalId: null,
  contactExternalId: '201',
  ...overrides,
});

const entry = (overrides: Partial<HarvestTimeEntry> = {}): HarvestTimeEntry => ({
  id: 9001,
  spent_date: '2026-03-10',
  hours: 1.25,
  notes: 'Design review',
  is_locked: false,
  locked_reason: null,
  is_closed: false,
  is_billed: false,
  invoice: null,
  project: { id: 301 },
  task: { id: 401 },
  user: { id: 501 },
  ...overrides,
});

describe('harvestHours', () => {
  it.each([
    [15, 0.25],
    [60, 1],
    [75, 1.25],
    [510, 8.5],
  ])('sends %i minutes as %d hours', (minutes, hours) => {
    expect(harvestHours(minutes)).toBe(hours);
  });
});

describe('entryBody', () => {
  it('books the project task, local date, decimal hours and the block as external_reference', () => {
    expect(entryBody(content(), '401')).toEqual({
      project_id: 301,
      task_id: 401,
      spent_date: '2026-03-10',
      hours: 1.25,
      notes: 'Design review',
      external_reference: {
        id: 'danwel-block-42',
        group_id: 'danwel',
        account_id: null,
        permalink: null,
      },
    });
  });

  it('books for a user only when one is mapped', () => {
    expect(entryBody(content({ userExternalId: '501' }), '401')).toMatchObject({ user_id: 501 });
  });

  it('derives one reference per block', () => {
    expect(externalReferenceId(42)).toBe('danwel-block-42');
    expect(externalReferenceId(42)).not.toBe(externalReferenceId(421));
  });
});

describe('harvestDuration', () => {
  it('sends decimal hours to an account that tracks durations', () => {
    expect(harvestDuration(content(), false)).toEqual({ hours: 1.25 });
  });

  it('sends local start and end times the rounded duration apart to a timestamp account', () => {
    // 09:00:40Z is 10:00 in Amsterdam (the seconds are dropped); 75 minutes later is 11:15.
    const fields = harvestDuration(content({ start: new Date('2026-03-10T09:00:40Z') }), true);
    expect(fields).toEqual({ started_time: '10:00am', ended_time: '11:15am' });
    expect(harvestDuration(content({ start: new Date('2026-03-10T11:30:00Z') }), true)).toEqual({
      started_time: '12:30pm',
      ended_time: '1:45pm',
    });
    expect(entryBody(content(), '401', true)).not.toHaveProperty('hours');
  });

  it('refuses a timestamp entry that would run past midnight', () => {
    const late = content({ start: new Date('2026-03-10T22:00:00Z'), minutes: 60 });
    expect(() => harvestDuration(late, true)).toThrow(InvoicingError);
    expect(() => harvestDuration(late, false)).not.toThrow();
  });
});

describe('providerEntry and billingState', () => {
  it('reads an open entry back in minutes', () => {
    expect(providerEntry(entry())).toEqual({
      externalId: '9001',
      spentDate: '2026-03-10',
      minutes: 75,
      description: 'Design review',
      projectExternalId: '301',
      taskExternalId: '401',
      userExternalId: '501',
      billing: 'open',
      invoiceReference: null,
    });
  });

  it('is locked when locked or closed by approval, with the reason', () => {
    expect(billingState(entry({ is_locked: true, locked_reason: 'Period locked' }))).toEqual({
      billing: 'locked',
      invoiceReference: 'Period locked',
    });
    expect(billingState(entry({ is_closed: true })).billing).toBe('locked');
  });

  it('is invoiced with the invoice number, over a lock', () => {
    const invoiced = entry({
      is_billed: true,
      is_locked: true,
      locked_reason: 'Item Invoiced',
      invoice: { id: 77, number: '2026-014' },
    });
    expect(billingState(invoiced)).toEqual({ billing: 'invoiced', invoiceReference: '2026-014' });
    expect(billingState(entry({ is_billed: true })).billing).toBe('invoiced');
  });
});

describe('entryMatches', () => {
  it('compares what a create would write', () => {
    const read = providerEntry(entry());
    expect(entryMatches(read, content(), '401')).toBe(true);
    expect(entryMatches(read, content({ minutes: 90 }), '401')).toBe(false);
    expect(entryMatches(read, content({ description: 'Other' }), '401')).toBe(false);
    expect(entryMatches(read, content(), '402')).toBe(false);
  });
});

describe('projectTasks', () => {
  it('lists billable task assignments first, otherwise in order', () => {
    const tasks = projectTasks([
      { billable: false, is_active: true, task: { id: 1, name: 'Admin' } },
      { billable: true, is_active: false, task: { id: 2, name: 'Design' } },
      { billable: true, is_active: true, task: { id: 3, name: 'Build' } },
    ]);
    expect(tasks.map((t) => [t.externalId, t.billable, t.active])).toEqual([
      ['2', true, false],
      ['3', true, true],
      ['1', false, true],
    ]);
  });
});

describe('tasksByProject', () => {
  it('groups account-wide assignments by project, each as projectTasks orders them', () => {
    const byProject = tasksByProject([
      { billable: false, is_active: true, task: { id: 1, name: 'Admin' }, project: { id: 10 } },
      { billable: true, is_active: true, task: { id: 2, name: 'Design' }, project: { id: 20 } },
      { billable: true, is_active: true, task: { id: 3, name: 'Build' }, project: { id: 10 } },
    ]);
    expect([...byProject.keys()]).toEqual(['10', '20']);
    expect(byProject.get('10')!.map((t) => t.externalId)).toEqual(['3', '1']);
    expect(byProject.get('20')!.map((t) => t.externalId)).toEqual(['2']);
  });
});

describe('Harvest failures', () => {
  const failure = (status: number, body: unknown, call: HarvestCall, retryAfter?: string) =>
    invoicingHttpError('Harvest', { status, ...harvestReason(body), retryAfter }, call, 'secret')
      .failure;

  it.each([
    [401, { error: 'invalid_token', error_description: 'expired' }, 'update', 'unauthorized'],
    [429, { status: 429, error: 'Too Many Requests' }, 'create', 'throttled'],
    [500, { status: 500, error: 'Internal Server Error' }, 'create', 'retryable'],
    [404, { status: 404, error: 'Not Found' }, 'update', 'gone'],
    [404, { status: 404, error: 'Not Found' }, 'request', 'permanent'],
    [422, { message: 'Task is not assigned' }, 'create', 'permanent'],
  ] as const)('classifies %i %j on %s as %s', (status, body, call, kind) => {
    expect(failure(status, body, call).kind).toBe(kind);
  });

  it('reads Retry-After seconds and the message', () => {
    expect(failure(429, undefined, 'request', '12')).toMatchObject({
      kind: 'throttled',
      retryAfterSeconds: 12,
      code: 'http_429',
    });
    expect(failure(422, { message: 'Hours too big' }, 'create').message).toBe(
      'Harvest 422 http_422: Hours too big',
    );
  });

  it('takes OAuth codes as codes and other errors as messages', () => {
    expect(harvestReason({ error: 'invalid_token', error_description: 'x' })).toEqual({
      code: 'invalid_token',
      message: 'x',
    });
    expect(harvestReason({ status: 404, error: 'Not Found' })).toEqual({ message: 'Not Found' });
    expect(harvestReason('<html>')).toEqual({});
  });
});
