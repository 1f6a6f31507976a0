/**
 * Moneybird API v2 resources: administrations, users, contacts (with synchronization), projects
 * and time entries, under `/api/v2/{administration_id}/{resource}[.json]`. Handlers validate what
 * Moneybird validates and throw a `MoneybirdError` with its answer otherwise.
 */
import { DateTime } from 'luxon';
import {
  ApiResponse,
  json,
  MoneybirdError,
  notFound,
  symbolicError,
  validationError,
} from './errors';
import {
  Administration,
  Grant,
  MoneybirdContact,
  MoneybirdProject,
  MoneybirdStore,
  MoneybirdTimeEntry,
  MoneybirdUser,
} from './state';
import type { MoneybirdWebhooks } from './webhooks';

export interface ApiCall {
  method: string;
  /** Path segments after `/api/v2/`, `.json` stripped from the last one. */
  segments: string[];
  query: URLSearchParams;
  body: unknown;
  grant: Grant;
  /** The request URL, for the `Link` header. */
  url: URL;
}

/** Scopes that open contacts (any one of them; `time_entries` alone does not). */
const CONTACT_SCOPES = ['estimates', 'sales_invoices', 'documents', 'bank', 'settings'];

export class MoneybirdApi {
  constructor(
    private readonly store: MoneybirdStore,
    private readonly webhooks: MoneybirdWebhooks,
  ) {}

  /** An operation name for logs and fault matching, e.g. `time_entries.create`. */
  static operation(method: string, segments: string[]): string {
    if (segments[0] === 'administrations') return 'administrations.list';
    const [, resource = '', id, sub] = segments;
    const verb =
      method === 'GET'
        ? id && id !== 'synchronization'
          ? 'get'
          : 'list'
        : method === 'POST'
          ? 'create'
          : method === 'PATCH'
            ? 'update'
            : method === 'DELETE'
              ? 'delete'
              : method.toLowerCase();
    if (id === 'synchronization')
      return `${resource}.synchronization.${method === 'GET' ? 'list' : 'fetch'}`;
    return `${resource}.${verb}${sub ? `.${sub}` : ''}`;
  }

  handle(call: ApiCall): ApiResponse {
    const { method, segments } = call;
    if (segments.length === 1 && segments[0] === 'administrations' && method === 'GET') {
      return json(200, this.store.administrationsOf(call.grant.email).map(renderAdministration));
    }
    const administration = this.store.administrations.get(segments[0] ?? '');
    if (!administration || !administration.members.has(call.grant.email)) throw notFound();
    const [, resource, id, sub, ...rest] = segments;
    if (rest.length > 0) throw notFound();
    switch (resource) {
      case 'users':
        this.requireScope(call.grant, ['settings']);
        if (method === 'GET' && !id) {
          return json(200, [...administration.users.values()].map(renderUser));
        }
        break;
      case 'contacts':
        this.requireScope(call.grant, CONTACT_SCOPES);
        return this.contacts(administration, call, id, sub);
      case 'projects':
        this.requireScope(call.grant, ['settings']);
        if (method === 'GET' && !id) return this.listProjects(administration, call);
        if (method === 'GET' && id && !sub) {
          const project = administration.projects.get(id);
          if (!project) throw notFound();
          return json(200, renderProject(project));
        }
        break;
      case 'time_entries':
        this.requireScope(call.grant, ['time_entries']);
        return this.timeEntries(administration, call, id, sub);
      case 'webhooks':
        // [U] which scope webhooks need: none is checked here.
        if (sub) break;
        return this.webhooks.handle(administration, method, id, call.body);
    }
    throw notFound();
  }

  private requireScope(grant: Grant, anyOf: string[]): void {
    if (anyOf.some((scope) => grant.scopes.includes(scope))) return;
    // [U] the status: Moneybird's example of this body is a 401; 403 here (a scope, not a token).
    throw symbolicError(403, `No access to ${anyOf.join(' or ')}`);
  }

  // ---- contacts ---------------------------------------------------------------------------

  private contacts(
    administration: Administration,
    call: ApiCall,
    id: string | undefined,
    sub: string | undefined,
  ): ApiResponse {
    const includeArchived = call.query.get('include_archived') === 'true';
    const visible = [...administration.contacts.values()].filter(
      (c) => includeArchived || !c.archived,
    );
    if (id === 'synchronization' && !sub) {
      if (call.method === 'GET') {
        return json(
          200,
          visible.map((c) => ({ id: c.id, version: c.version })),
        );
      }
      if (call.method === 'POST') {
        const ids = (call.body as { ids?: unknown } | undefined)?.ids;
        if (!Array.isArray(ids) || ids.length === 0) {
          throw symbolicError(400, 'Ids is required', { ids: 'required' });
        }
        if (ids.length > 100) {
          throw symbolicError(400, 'Ids can contain at most 100 items', { ids: 'max' }); // [U]
        }
        const wanted = new Set(ids.map(String));
        return json(
          200,
          [...administration.contacts.values()]
            .filter((c) => wanted.has(c.id))
            .map((c) => renderContact(administration, c)),
        );
      }
    }
    if (call.method !== 'GET') throw notFound();
    if (!id) {
      const query = call.query.get('query')?.toLowerCase();
      const matching = query
        ? visible.filter((c) =>
            [c.companyName, c.firstname, c.lastname, c.email, c.customerId].some((field) =>
              field.toLowerCase().includes(query),
            ),
          )
        : visible;
      return this.page(call, matching, 100, (c) => renderContact(administration, c));
    }
    if (id === 'customer_id' && sub) {
      const contact = [...administration.contacts.values()].find((c) => c.customerId === sub);
      if (!contact) throw notFound();
      return json(200, renderContact(administration, contact));
    }
    const contact = administration.contacts.get(id);
    if (!contact || sub) throw notFound();
    return json(200, renderContact(administration, contact));
  }

  // ---- projects ---------------------------------------------------------------------------

  private listProjects(administration: Administration, call: ApiCall): ApiResponse {
    const filter = parseFilter(call.query.get('filter'));
    const state = filter.get('state') ?? 'active';
    if (!['active', 'archived', 'all'].includes(state)) {
      throw symbolicError(400, 'Filter state is invalid', { filter: 'invalid' }); // [U]
    }
    const projects = [...administration.projects.values()].filter(
      (p) => state === 'all' || p.state === state,
    );
    return this.page(call, projects, 25, renderProject);
  }

  // ---- time entries -----------------------------------------------------------------------

  private timeEntries(
    administration: Administration,
    call: ApiCall,
    id: string | undefined,
    sub: string | undefined,
  ): ApiResponse {
    if (!id) {
      if (call.method === 'GET') return this.listTimeEntries(administration, call);
      if (call.method === 'POST') {
        const entry = this.createTimeEntry(administration, timeEntryInput(call.body));
        return json(201, this.renderTimeEntry(administration, entry));
      }
      throw notFound();
    }
    const entry = administration.timeEntries.get(id);
    if (!entry || sub) throw notFound();
    switch (call.method) {
      case 'GET':
        return json(200, this.renderTimeEntry(administration, entry));
      case 'PATCH':
        this.updateTimeEntry(administration, entry, timeEntryInput(call.body));
        return json(200, this.renderTimeEntry(administration, entry));
      case 'DELETE':
        this.deleteTimeEntry(administration, entry);
        return { status: 204 };
    }
    throw notFound();
  }

  private listTimeEntries(administration: Administration, call: ApiCall): ApiResponse {
    const given = call.query.get('filter');
    // Any filter replaces the default one (`period:this_year`) entirely.
    const filter = parseFilter(given ?? 'period:this_year');
    for (const key of filter.keys()) {
      if (!TIME_ENTRY_FILTERS.has(key)) {
        throw symbolicError(400, `Filter ${key} is not supported`, { filter: 'invalid' }); // [U]
      }
    }
    const period = filter.has('period')
      ? resolvePeriod(filter.get('period')!, administration, this.store.now())
      : undefined;
    const states = (filter.get('state') ?? 'all').split('|');
    const includeActive = filter.get('include_active') === 'true';
    const contactIds = filter.get('contact_id')?.split('|');
    const includeNilContacts = filter.get('include_nil_contacts') === 'true';
    const projectIds = filter.get('project_id')?.split('|');
    const userIds = filter.get('user_id')?.split('|');
    const day = filter.get('day');
    const query = call.query.get('query')?.toLowerCase();
    const entries = [...administration.timeEntries.values()].filter((e) => {
      const date = this.store.localDate(administration, e.startedAt);
      if (period && (date < period.from || date > period.to)) return false;
      if (day && date !== day) return false;
      if (!includeActive && e.endedAt === null) return false;
      if (!states.includes('all')) {
        const open = e.billable && e.salesInvoiceId === null;
        const ok =
          (states.includes('open') && open) || (states.includes('non_billable') && !e.billable);
        if (!ok) return false;
      }
      if (contactIds) {
        const nil = e.contactId === null && includeNilContacts;
        if (!nil && !contactIds.includes(e.contactId ?? '')) return false;
      }
      if (projectIds && !projectIds.includes(e.projectId ?? '')) return false;
      if (userIds && !userIds.includes(e.userId)) return false;
      if (query && !e.description.toLowerCase().includes(query)) return false;
      return true;
    });
    entries.sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.id.localeCompare(a.id));
    return this.page(call, entries, 25, (e) => this.renderTimeEntry(administration, e));
  }

  createTimeEntry(administration: Administration, input: TimeEntryInput): MoneybirdTimeEntry {
    const errors: Record<string, [string, string]> = {};
    const userId = idOf(input.user_id);
    if (userId === undefined) errors.user_id = ["can't be blank", 'blank'];
    else if (!administration.users.has(userId)) errors.user_id = ['does not exist', 'invalid']; // [U]
    const startedAt = minuteOf(input.started_at);
    if (input.started_at === undefined || input.started_at === null || input.started_at === '') {
      errors.started_at = ["can't be blank", 'blank'];
    } else if (!startedAt) errors.started_at = ['is invalid', 'invalid'];
    const description = typeof input.description === 'string' ? input.description : '';
    if (!description.trim()) errors.description = ["can't be blank", 'blank'];
    const draft: MoneybirdTimeEntry = {
      id: '',
      administrationId: administration.id,
      userId: userId ?? '',
      contactId: null,
      projectId: null,
      salesInvoiceId: null,
      startedAt: startedAt ?? '',
      endedAt: null,
      description,
      pausedDuration: 0,
      billable: true,
      createdAt: this.store.timestamp(),
      updatedAt: this.store.timestamp(),
      events: [],
    };
    this.applyInput(administration, draft, input, errors);
    if (Object.keys(errors).length > 0) throw validationError(errors);
    this.checkPeriodLock(administration, draft.startedAt);
    draft.id = this.store.id();
    draft.events.push({ action: 'time_entry_created', created_at: draft.createdAt });
    administration.timeEntries.set(draft.id, draft);
    this.notify(administration, 'time_entry_created', draft);
    return draft;
  }

  updateTimeEntry(
    administration: Administration,
    entry: MoneybirdTimeEntry,
    input: TimeEntryInput,
    options: { asUser?: boolean } = {},
  ): void {
    if (!options.asUser) this.checkWritable(administration, entry);
    const errors: Record<string, [string, string]> = {};
    const next = structuredClone(entry);
    if (input.started_at !== undefined) {
      const startedAt = minuteOf(input.started_at);
      if (!startedAt) errors.started_at = ['is invalid', 'invalid'];
      else next.startedAt = startedAt;
    }
    if (input.description !== undefined) {
      if (typeof input.description !== 'string' || !input.description.trim()) {
        errors.description = ["can't be blank", 'blank'];
      } else next.description = input.description;
    }
    this.applyInput(administration, next, input, errors);
    if (Object.keys(errors).length > 0) throw validationError(errors);
    if (!options.asUser) this.checkPeriodLock(administration, next.startedAt);
    next.updatedAt = this.store.timestamp();
    next.events.push({ action: 'time_entry_updated', created_at: next.updatedAt });
    Object.assign(entry, next);
    this.notify(administration, 'time_entry_updated', entry);
  }

  deleteTimeEntry(
    administration: Administration,
    entry: MoneybirdTimeEntry,
    options: { asUser?: boolean } = {},
  ): void {
    if (!options.asUser) this.checkWritable(administration, entry);
    administration.timeEntries.delete(entry.id);
    this.notify(administration, 'time_entry_destroyed', entry);
  }

  /** The administration's webhooks hear of a change to a time entry (by the API or a person). */
  notify(administration: Administration, action: string, entry: MoneybirdTimeEntry): void {
    this.webhooks.emit(administration, action, 'TimeEntry', {
      ...this.renderTimeEntry(administration, entry),
      id: entry.id,
    });
  }

  /** The fields create and update share (user_id only on create, checked there). */
  private applyInput(
    administration: Administration,
    entry: MoneybirdTimeEntry,
    input: TimeEntryInput,
    errors: Record<string, [string, string]>,
  ): void {
    if (input.ended_at !== undefined) {
      if (input.ended_at === null || input.ended_at === '') entry.endedAt = null;
      else {
        const endedAt = minuteOf(input.ended_at);
        if (!endedAt) errors.ended_at = ['is invalid', 'invalid'];
        else entry.endedAt = endedAt;
      }
    }
    if (
      entry.startedAt &&
      entry.endedAt &&
      !errors.ended_at &&
      Date.parse(entry.endedAt) - Date.parse(entry.startedAt) < 60_000
    ) {
      errors.ended_at = ['cannot be before the start time', 'ended_at_before_started_at'];
    }
    if (input.contact_id !== undefined) {
      const contactId = idOf(input.contact_id);
      if (contactId !== undefined && !administration.contacts.has(contactId)) {
        errors.contact_id = ['does not exist', 'invalid']; // [U]
      } else entry.contactId = contactId ?? null;
    }
    if (input.project_id !== undefined) {
      const projectId = idOf(input.project_id);
      if (projectId !== undefined && !administration.projects.has(projectId)) {
        errors.project_id = ['does not exist', 'invalid']; // [U]
      } else entry.projectId = projectId ?? null;
    }
    if (input.billable !== undefined) {
      if (input.billable === true || input.billable === 'true') entry.billable = true;
      else if (input.billable === false || input.billable === 'false') entry.billable = false;
      else errors.billable = ['is invalid', 'invalid'];
    }
    if (input.paused_duration !== undefined) {
      const seconds = Number(input.paused_duration);
      if (!Number.isInteger(seconds) || seconds < 0) {
        errors.paused_duration = ['is invalid', 'invalid'];
      } else entry.pausedDuration = Math.floor(seconds / 60) * 60;
    }
  }

  /** [U] what Moneybird answers for a change to an invoiced entry is not documented. */
  private checkWritable(administration: Administration, entry: MoneybirdTimeEntry): void {
    if (entry.salesInvoiceId !== null) {
      throw validationError({ base: ['Time entry is already invoiced', 'invoiced'] });
    }
    this.checkPeriodLock(administration, entry.startedAt);
  }

  /** [U] the answer for a time entry in a locked period. */
  private checkPeriodLock(administration: Administration, startedAt: string): void {
    const locked = administration.periodLockedUntil;
    if (locked && this.store.localDate(administration, startedAt) <= locked) {
      throw validationError({ base: [`Period is locked until ${locked}`, 'period_locked'] });
    }
  }

  renderTimeEntry(administration: Administration, e: MoneybirdTimeEntry) {
    const contact = e.contactId ? administration.contacts.get(e.contactId) : undefined;
    const project = e.projectId ? administration.projects.get(e.projectId) : undefined;
    const user = administration.users.get(e.userId);
    return {
      id: e.id,
      administration_id: e.administrationId,
      contact_id: e.contactId,
      project_id: e.projectId,
      sales_invoice_id: e.salesInvoiceId,
      user_id: e.userId,
      started_at: e.startedAt,
      ended_at: e.endedAt,
      description: e.description,
      paused_duration: e.pausedDuration,
      billable: e.billable,
      created_at: e.createdAt,
      updated_at: e.updatedAt,
      contact: contact
        ? {
            id: contact.id,
            firstname: contact.firstname,
            lastname: contact.lastname,
            company_name: contact.companyName,
          }
        : null,
      user: user
        ? { id: user.id, name: user.name, created_at: user.createdAt, updated_at: user.updatedAt }
        : null,
      project: project ? renderProject(project) : null,
      sales_invoice: e.salesInvoiceId
        ? { id: e.salesInvoiceId, administration_id: e.administrationId, state: 'open' }
        : null,
      events: e.events.map((event) => ({
        administration_id: e.administrationId,
        user_id: e.userId,
        action: event.action,
        link_entity_id: null,
        link_entity_type: null,
        data: {},
        created_at: event.created_at,
        updated_at: event.created_at,
      })),
      notes: [],
    };
  }

  // ---- pagination -------------------------------------------------------------------------

  /** `page` (≥ 1) and `per_page` (1–100); a bare JSON array and a `Link` header. */
  private page<T>(
    call: ApiCall,
    items: T[],
    defaultPerPage: number,
    render: (item: T) => unknown,
  ): ApiResponse {
    const page = call.query.has('page') ? Number(call.query.get('page')) : 1;
    if (!Number.isInteger(page) || page < 1) {
      throw symbolicError(400, 'Page is too small', { page: 'min' });
    }
    const perPage = call.query.has('per_page')
      ? Number(call.query.get('per_page'))
      : defaultPerPage;
    if (!Number.isInteger(perPage) || perPage < 1 || perPage > 100) {
      throw symbolicError(400, 'per_page does not have a valid value');
    }
    const slice = items.slice((page - 1) * perPage, page * perPage);
    const link = (n: number, rel: string) => {
      const url = new URL(call.url.toString());
      url.searchParams.set('page', String(n));
      url.searchParams.set('per_page', String(perPage));
      return `<${url.toString()}>; rel="${rel}"`;
    };
    const links: string[] = [];
    if (page > 1) links.push(link(page - 1, 'prev'));
    if (page * perPage < items.length) links.push(link(page + 1, 'next'));
    return json(200, slice.map(render), {
      ...(links.length > 0 ? { Link: links.join(', ') } : {}),
      'X-Total-Count': String(items.length),
    });
  }
}

export interface TimeEntryInput {
  user_id?: unknown;
  started_at?: unknown;
  ended_at?: unknown;
  description?: unknown;
  contact_id?: unknown;
  project_id?: unknown;
  billable?: unknown;
  paused_duration?: unknown;
}

function timeEntryInput(body: unknown): TimeEntryInput {
  const entry = (body as { time_entry?: unknown } | undefined)?.time_entry;
  if (!entry || typeof entry !== 'object') {
    throw symbolicError(400, 'Time entry is required', { time_entry: 'required' }); // [U]
  }
  return entry as TimeEntryInput;
}

/** An id as Moneybird reads one: a string or a number (a lossy number finds nothing). */
function idOf(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'number') return BigInt(Math.trunc(value)).toString();
  return String(value);
}

/** An ISO date-time floored to the minute, as Moneybird stores it; undefined when invalid. */
function minuteOf(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const parsed = DateTime.fromISO(value, { setZone: true });
  if (!parsed.isValid) return undefined;
  return parsed.toUTC().startOf('minute').toISO({ suppressMilliseconds: false })!;
}

const TIME_ENTRY_FILTERS = new Set([
  'state',
  'period',
  'contact_id',
  'include_nil_contacts',
  'include_active',
  'project_id',
  'user_id',
  'day',
]);

/** `key:value,key:value` (a value may hold `|` for OR). */
export function parseFilter(filter: string | null): Map<string, string> {
  const result = new Map<string, string>();
  if (!filter) return result;
  for (const part of filter.split(',')) {
    const colon = part.indexOf(':');
    if (colon <= 0) throw symbolicError(400, 'Filter is invalid', { filter: 'invalid' }); // [U]
    result.set(part.slice(0, colon).trim(), part.slice(colon + 1).trim());
  }
  return result;
}

/** A period filter as inclusive local dates: `this_month`, `20260101..20260131`, `202601..202603`. */
export function resolvePeriod(
  period: string,
  administration: Administration,
  nowMs: number,
): { from: string; to: string } {
  const now = DateTime.fromMillis(nowMs, { zone: administration.timeZone });
  const relative = /^(this|prev|next)_(week|month|quarter|year)$/.exec(period);
  if (relative) {
    const unit = relative[2] as 'week' | 'month' | 'quarter' | 'year';
    const shift = relative[1] === 'prev' ? -1 : relative[1] === 'next' ? 1 : 0;
    const anchor = now.plus({ [`${unit}s`]: shift });
    return { from: anchor.startOf(unit).toISODate()!, to: anchor.endOf(unit).toISODate()! };
  }
  const days = /^(\d{8})\.\.(\d{8})$/.exec(period);
  if (days) {
    const from = DateTime.fromFormat(days[1], 'yyyyMMdd');
    const to = DateTime.fromFormat(days[2], 'yyyyMMdd');
    if (from.isValid && to.isValid) return { from: from.toISODate()!, to: to.toISODate()! };
  }
  const months = /^(\d{6})\.\.(\d{6})$/.exec(period);
  if (months) {
    const from = DateTime.fromFormat(months[1], 'yyyyMM');
    const to = DateTime.fromFormat(months[2], 'yyyyMM');
    if (from.isValid && to.isValid) {
      return { from: from.toISODate()!, to: to.endOf('month').toISODate()! };
    }
  }
  throw symbolicError(400, 'Period is invalid', { period: 'invalid' }); // [U]
}

export function renderAdministration(a: Administration) {
  return {
    id: a.id,
    name: a.name,
    language: a.language,
    currency: a.currency,
    country: a.country,
    time_zone: a.timeZone,
    access: 'user',
    suspended: false,
    period_locked_until: a.periodLockedUntil,
    period_start_date: `${new Date().getUTCFullYear()}-01-01`,
  };
}

export function renderUser(u: MoneybirdUser) {
  return {
    id: u.id,
    name: u.name,
    created_at: u.createdAt,
    updated_at: u.updatedAt,
    email: u.email,
    email_validated: true,
    language: 'nl',
    time_zone: 'Europe/Amsterdam',
    user_type: u.userType,
    permissions: ['sales_invoices', 'documents', 'estimates', 'bank', 'settings', 'time_entries'],
  };
}

export function renderContact(administration: Administration, c: MoneybirdContact) {
  return {
    id: c.id,
    administration_id: administration.id,
    company_name: c.companyName,
    firstname: c.firstname,
    lastname: c.lastname,
    customer_id: c.customerId,
    email: c.email,
    archived: c.archived,
    version: c.version,
    created_at: c.createdAt,
    updated_at: c.updatedAt,
    contact_people: [],
    custom_fields: [],
  };
}

export function renderProject(p: MoneybirdProject) {
  return { id: p.id, name: p.name, state: p.state, budget: p.budget };
}

export { MoneybirdError };
