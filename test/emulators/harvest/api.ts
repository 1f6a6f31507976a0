/**
 * Harvest API v2 resources under `/v2`: users, clients, projects, task assignments (per project
 * and account-wide) and time entries of the account named by `Harvest-Account-Id`. Handlers
 * validate what Harvest validates and throw a `HarvestError` with its answer otherwise. Lists
 * page with a cursor (`links.next`), except time entries, which Harvest still pages by number.
 */
import { ApiResponse, json, messageError, notFound } from './errors';
import {
  ExternalReference,
  HarvestAccount,
  HarvestClient,
  HarvestProject,
  HarvestStore,
  HarvestTaskAssignment,
  HarvestTimeEntry,
  HarvestUser,
} from './state';

export interface ApiCall {
  method: string;
  /** Path segments after `/v2/`. */
  segments: string[];
  query: URLSearchParams;
  body: unknown;
  account: HarvestAccount;
  /** The Harvest user the token belongs to, in this account. */
  user: HarvestUser;
  /** The request URL as the client sent it, for `links`. */
  url: URL;
}

/** What a time entry create or update may carry. */
export interface TimeEntryInput {
  project_id?: unknown;
  task_id?: unknown;
  user_id?: unknown;
  spent_date?: unknown;
  hours?: unknown;
  started_time?: unknown;
  ended_time?: unknown;
  notes?: unknown;
  external_reference?: unknown;
}

const MAX_PER_PAGE = 2000;
const TIME_ENTRY_FIELDS = new Set([
  'project_id',
  'task_id',
  'user_id',
  'spent_date',
  'hours',
  'notes',
  'external_reference',
  'started_time',
  'ended_time',
]);

export class HarvestApi {
  constructor(private readonly store: HarvestStore) {}

  /** An operation name for logs and fault matching, e.g. `time_entries.create`. */
  static operation(method: string, segments: string[]): string {
    const [resource = '', id, sub] = segments;
    if (resource === 'users' && id === 'me') return 'users.me';
    if (resource === 'company') return 'company.get';
    if (sub) return `${resource}.${sub}.${method === 'GET' ? 'list' : method.toLowerCase()}`;
    const verb =
      method === 'GET'
        ? id
          ? 'get'
          : 'list'
        : method === 'POST'
          ? 'create'
          : method === 'PATCH'
            ? 'update'
            : method === 'DELETE'
              ? 'delete'
              : method.toLowerCase();
    return `${resource}.${verb}`;
  }

  handle(call: ApiCall): ApiResponse {
    const { method, segments, account } = call;
    const [resource, idText, sub, ...rest] = segments;
    if (rest.length > 0) throw notFound();
    const id = idText === undefined ? undefined : Number(idText);
    if (idText !== undefined && idText !== 'me' && !Number.isSafeInteger(id)) throw notFound();
    switch (resource) {
      case 'company':
        if (method !== 'GET' || idText !== undefined) break;
        return json(200, {
          name: account.name,
          is_active: true,
          wants_timestamp_timers: account.wantsTimestampTimers,
          weekly_capacity: 126000,
          time_format: 'hours_minutes',
          clock: '12h',
        });
      case 'users':
        if (method !== 'GET' || sub) break;
        if (idText === 'me') return json(200, renderUser(call.user));
        if (id === undefined) {
          return this.cursorList(call, 'users', [...account.users.values()], renderUser);
        }
        return json(200, renderUser(found(account.users.get(id!))));
      case 'clients':
        if (method !== 'GET' || sub) break;
        if (id === undefined) {
          return this.cursorList(call, 'clients', [...account.clients.values()], renderClient);
        }
        return json(200, renderClient(found(account.clients.get(id))));
      case 'projects': {
        if (method !== 'GET') break;
        if (id === undefined) {
          const clientId = call.query.get('client_id');
          const projects = [...account.projects.values()].filter(
            (p) => clientId === null || String(p.clientId) === clientId,
          );
          return this.cursorList(call, 'projects', projects, (p) => this.renderProject(account, p));
        }
        const project = found(account.projects.get(id));
        if (sub === 'task_assignments') {
          const assignments = [...account.taskAssignments.values()].filter(
            (a) => a.projectId === project.id,
          );
          return this.cursorList(call, 'task_assignments', assignments, (a) =>
            this.renderTaskAssignment(account, a),
          );
        }
        if (sub) break;
        return json(200, this.renderProject(account, project));
      }
      case 'task_assignments':
        // Every project's assignments at once, each with its project.
        if (method !== 'GET' || idText !== undefined) break;
        return this.cursorList(
          call,
          'task_assignments',
          [...account.taskAssignments.values()],
          (a) => this.renderTaskAssignment(account, a),
        );
      case 'time_entries':
        if (sub) break;
        return this.timeEntries(call, id);
    }
    throw notFound();
  }

  // ---- time entries -----------------------------------------------------------------------

  private timeEntries(call: ApiCall, id: number | undefined): ApiResponse {
    const { account } = call;
    if (id === undefined) {
      if (call.method === 'GET') return this.listTimeEntries(call);
      if (call.method === 'POST') {
        const entry = this.createTimeEntry(account, call.user, inputOf(call.body));
        return json(201, this.renderTimeEntry(account, entry));
      }
      throw notFound();
    }
    const entry = found(account.timeEntries.get(id));
    switch (call.method) {
      case 'GET':
        return json(200, this.renderTimeEntry(account, entry));
      case 'PATCH':
        this.updateTimeEntry(account, entry, inputOf(call.body));
        return json(200, this.renderTimeEntry(account, entry));
      case 'DELETE': {
        this.deleteTimeEntry(account, call.user, entry);
        // Harvest answers a delete with 200 and an empty body.
        return { status: 200 };
      }
    }
    throw notFound();
  }

  private listTimeEntries(call: ApiCall): ApiResponse {
    const q = call.query;
    const since = dateTimeParam(q, 'updated_since');
    const from = dateParam(q, 'from');
    const to = dateParam(q, 'to');
    const isBilled = booleanParam(q, 'is_billed');
    const isRunning = booleanParam(q, 'is_running');
    const ids = (name: string) => q.get(name);
    const entries = [...call.account.timeEntries.values()].filter((e) => {
      const project = call.account.projects.get(e.projectId);
      if (ids('user_id') !== null && String(e.userId) !== ids('user_id')) return false;
      if (ids('project_id') !== null && String(e.projectId) !== ids('project_id')) return false;
      if (ids('task_id') !== null && String(e.taskId) !== ids('task_id')) return false;
      if (ids('client_id') !== null && String(project?.clientId) !== ids('client_id')) return false;
      const reference = q.get('external_reference_id');
      if (reference !== null && e.externalReference?.id !== reference) return false;
      if (isBilled !== undefined && e.isBilled !== isBilled) return false;
      if (isRunning === true) return false;
      if (since && e.updatedAt < since) return false;
      if (from && e.spentDate < from) return false;
      if (to && e.spentDate > to) return false;
      return true;
    });
    entries.sort((a, b) => b.spentDate.localeCompare(a.spentDate) || b.id - a.id);
    return this.pagedList(call, 'time_entries', entries, (e) =>
      this.renderTimeEntry(call.account, e),
    );
  }

  createTimeEntry(
    account: HarvestAccount,
    me: HarvestUser,
    input: TimeEntryInput,
  ): HarvestTimeEntry {
    const problems: string[] = [];
    if (input.project_id === undefined || input.project_id === null) {
      problems.push("Project can't be blank");
    }
    if (input.task_id === undefined || input.task_id === null) problems.push("Task can't be blank");
    if (input.spent_date === undefined || input.spent_date === null || input.spent_date === '') {
      problems.push("Spent date can't be blank");
    }
    if (problems.length > 0) throw messageError(problems.join(', '));
    const userId = input.user_id === undefined ? me.id : idOf(input.user_id);
    const user = userId === undefined ? undefined : account.users.get(userId);
    if (!user) throw messageError('User not found'); // [U]
    if (userId !== me.id && !me.isAdmin) {
      throw messageError('Only administrators may track time for other users', 403); // [U]
    }
    const now = this.store.timestamp();
    const draft: HarvestTimeEntry = {
      id: 0,
      userId: user.id,
      projectId: 0,
      taskId: 0,
      spentDate: '',
      hours: 0,
      startedTime: null,
      endedTime: null,
      notes: null,
      externalReference: null,
      isLocked: false,
      lockedReason: null,
      isClosed: false,
      isBilled: false,
      invoice: null,
      createdAt: now,
      updatedAt: now,
    };
    this.applyInput(account, draft, input);
    draft.id = this.store.id();
    account.timeEntries.set(draft.id, draft);
    return draft;
  }

  /** `asUser`: someone working in Harvest, who may edit entries the API refuses to change. */
  updateTimeEntry(
    account: HarvestAccount,
    entry: HarvestTimeEntry,
    input: TimeEntryInput,
    options: { asUser?: boolean } = {},
  ): void {
    if (!options.asUser) checkWritable(entry);
    const next = structuredClone(entry);
    this.applyInput(account, next, input);
    next.updatedAt = this.store.timestamp();
    Object.assign(entry, next);
  }

  deleteTimeEntry(
    account: HarvestAccount,
    me: HarvestUser | undefined,
    entry: HarvestTimeEntry,
  ): void {
    if (me) {
      // "Deleting a time entry is only possible if it's not closed and the associated project and
      // task haven't been archived. However, Admins can delete closed entries."
      if (entry.isLocked || entry.isBilled) checkWritable(entry);
      if (entry.isClosed && !me.isAdmin) {
        throw messageError('This time entry is closed and cannot be deleted'); // [U]
      }
      const assignment = this.assignment(account, entry.projectId, entry.taskId);
      if (!account.projects.get(entry.projectId)?.isActive || !assignment?.isActive) {
        throw messageError('The project or task of this time entry is archived'); // [U]
      }
    }
    account.timeEntries.delete(entry.id);
  }

  /** The fields create and update share; a 422 `{message}` names every problem. */
  private applyInput(account: HarvestAccount, entry: HarvestTimeEntry, input: TimeEntryInput) {
    const problems: string[] = [];
    if (input.project_id !== undefined) {
      const project = account.projects.get(idOf(input.project_id) ?? -1);
      if (!project)
        problems.push('Project not found'); // [U]
      else if (!project.isActive)
        problems.push('Project is archived'); // [U]
      else entry.projectId = project.id;
    }
    if (input.task_id !== undefined) {
      const taskId = idOf(input.task_id);
      if (taskId === undefined || !account.tasks.has(taskId))
        problems.push('Task not found'); // [U]
      else entry.taskId = taskId;
    }
    if (!problems.length) {
      const assignment = this.assignment(account, entry.projectId, entry.taskId);
      if (!assignment || !assignment.isActive) {
        problems.push('Task is not assigned to the project'); // [U]
      }
    }
    if (input.spent_date !== undefined) {
      if (typeof input.spent_date !== 'string' || !isDate(input.spent_date)) {
        problems.push('Spent date is invalid'); // [U]
      } else entry.spentDate = input.spent_date;
    }
    const times = input.started_time !== undefined || input.ended_time !== undefined;
    if (times && !account.wantsTimestampTimers) {
      problems.push('Started time and ended time are only for timestamp accounts'); // [U]
    }
    if (account.wantsTimestampTimers && input.hours !== undefined && !times) {
      // The account tracks start and end times: a bare duration has nowhere to go. // [U]
      problems.push('Hours cannot be set on an account that tracks start and end times');
    }
    if (times && account.wantsTimestampTimers) {
      const started = minutesOfDay(input.started_time ?? entry.startedTime);
      const ended = minutesOfDay(input.ended_time ?? entry.endedTime);
      if (started === undefined || ended === undefined || ended < started) {
        problems.push('Started time and ended time are invalid'); // [U]
      } else {
        entry.startedTime = String(input.started_time ?? entry.startedTime);
        entry.endedTime = String(input.ended_time ?? entry.endedTime);
        entry.hours = Math.round(((ended - started) / 60) * 100) / 100;
      }
    }
    if (input.hours !== undefined && input.hours !== null && !account.wantsTimestampTimers) {
      const hours = typeof input.hours === 'string' ? Number(input.hours) : input.hours;
      if (typeof hours !== 'number' || !Number.isFinite(hours) || hours < 0 || hours > 24) {
        problems.push('Hours must be a number between 0 and 24'); // [U]
      } else entry.hours = Math.round(hours * 100) / 100;
    }
    if (input.notes !== undefined) {
      if (input.notes !== null && typeof input.notes !== 'string')
        problems.push('Notes is invalid');
      else entry.notes = input.notes === '' ? null : input.notes;
    }
    if (input.external_reference !== undefined) {
      const reference = externalReferenceOf(input.external_reference);
      if (reference === 'invalid')
        problems.push('External reference is invalid'); // [U]
      else entry.externalReference = reference;
    }
    if (problems.length > 0) throw messageError(problems.join(', '));
  }

  private assignment(
    account: HarvestAccount,
    projectId: number,
    taskId: number,
  ): HarvestTaskAssignment | undefined {
    return [...account.taskAssignments.values()].find(
      (a) => a.projectId === projectId && a.taskId === taskId,
    );
  }

  // ---- rendering --------------------------------------------------------------------------

  renderTimeEntry(account: HarvestAccount, entry: HarvestTimeEntry) {
    const user = account.users.get(entry.userId)!;
    const project = account.projects.get(entry.projectId)!;
    const client = account.clients.get(project.clientId)!;
    const task = account.tasks.get(entry.taskId)!;
    const assignment = this.assignment(account, entry.projectId, entry.taskId)!;
    const reference = entry.externalReference;
    return {
      id: entry.id,
      spent_date: entry.spentDate,
      hours: entry.hours,
      hours_without_timer: entry.hours,
      rounded_hours: entry.hours,
      notes: entry.notes,
      is_locked: entry.isLocked,
      locked_reason: entry.lockedReason,
      is_closed: entry.isClosed,
      is_billed: entry.isBilled,
      timer_started_at: null,
      started_time: entry.startedTime,
      ended_time: entry.endedTime,
      is_running: false,
      billable: project.isBillable && assignment.billable,
      budgeted: false,
      billable_rate: null,
      cost_rate: null,
      created_at: entry.createdAt,
      updated_at: entry.updatedAt,
      user: { id: user.id, name: `${user.firstName} ${user.lastName}`.trim() },
      client: { id: client.id, name: client.name, currency: client.currency },
      project: { id: project.id, name: project.name, code: project.code },
      task: { id: task.id, name: task.name },
      task_assignment: this.renderTaskAssignment(account, assignment, { nested: true }),
      invoice: entry.invoice,
      external_reference: reference && {
        ...reference,
        service: reference.permalink ? hostOf(reference.permalink) : null,
        service_icon_url: null,
      },
    };
  }

  private renderProject(account: HarvestAccount, project: HarvestProject) {
    const client = account.clients.get(project.clientId)!;
    return {
      id: project.id,
      name: project.name,
      code: project.code,
      is_active: project.isActive,
      is_billable: project.isBillable,
      is_fixed_fee: false,
      bill_by: 'Tasks',
      budget_by: 'none',
      hourly_rate: null,
      fee: null,
      starts_on: null,
      ends_on: null,
      notes: '',
      created_at: project.createdAt,
      updated_at: project.updatedAt,
      client: { id: client.id, name: client.name, currency: client.currency },
    };
  }

  private renderTaskAssignment(
    account: HarvestAccount,
    assignment: HarvestTaskAssignment,
    options: { nested?: boolean } = {},
  ) {
    const task = account.tasks.get(assignment.taskId)!;
    const project = account.projects.get(assignment.projectId)!;
    return {
      id: assignment.id,
      billable: assignment.billable,
      is_active: assignment.isActive,
      hourly_rate: null,
      budget: null,
      created_at: assignment.createdAt,
      updated_at: assignment.updatedAt,
      ...(options.nested
        ? {}
        : {
            project: { id: project.id, name: project.name, code: project.code },
            task: { id: task.id, name: task.name },
          }),
    };
  }

  // ---- pagination -------------------------------------------------------------------------

  /** Newest first, `cursor` (base64 `{"after":{"id":…}}`) and `links.next`, as Harvest pages now. */
  private cursorList<T extends ListItem>(
    call: ApiCall,
    key: string,
    items: T[],
    render: (item: T) => unknown,
  ): ApiResponse {
    const perPage = perPageOf(call.query);
    const matching = filterActiveAndUpdated(call.query, items).sort((a, b) => b.id - a.id);
    let after: number | undefined;
    const cursor = call.query.get('cursor');
    if (cursor !== null) {
      try {
        const decoded = JSON.parse(Buffer.from(cursor, 'base64').toString('utf8')) as {
          after?: { id?: unknown };
        };
        if (typeof decoded.after?.id !== 'number') throw new Error('no id');
        after = decoded.after.id;
      } catch {
        throw messageError('Invalid cursor'); // [U]
      }
    }
    const rest = after === undefined ? matching : matching.filter((item) => item.id < after!);
    const page = rest.slice(0, perPage);
    const more = rest.length > perPage;
    const first = after === undefined;
    const link = (extra: Record<string, string>) => linkTo(call.url, extra);
    const totalPages = Math.max(1, Math.ceil(matching.length / perPage));
    return json(200, {
      [key]: page.map(render),
      per_page: perPage,
      total_pages: totalPages,
      total_entries: matching.length,
      next_page: first && more ? 2 : null,
      previous_page: null,
      page: first ? 1 : null,
      links: {
        first: link({ per_page: String(perPage), ref: 'first' }),
        next: more
          ? link({
              cursor: Buffer.from(JSON.stringify({ after: { id: page[page.length - 1].id } }))
                .toString('base64')
                .replace(/=+$/, ''),
              per_page: String(perPage),
              ref: 'next_cursor',
            })
          : null,
        previous: null,
        last: null,
      },
    });
  }

  /** Numbered pages (`page`, `next_page`, `links.next`), as Harvest still pages time entries. */
  private pagedList<T>(
    call: ApiCall,
    key: string,
    items: T[],
    render: (item: T) => unknown,
  ): ApiResponse {
    const perPage = perPageOf(call.query);
    const pageText = call.query.get('page') ?? '1';
    const page = Number(pageText);
    if (!Number.isInteger(page) || page < 1) throw messageError('Invalid page'); // [U]
    const totalPages = Math.max(1, Math.ceil(items.length / perPage));
    const link = (n: number) => linkTo(call.url, { page: String(n), per_page: String(perPage) });
    return json(200, {
      [key]: items.slice((page - 1) * perPage, page * perPage).map(render),
      per_page: perPage,
      total_pages: totalPages,
      total_entries: items.length,
      next_page: page < totalPages ? page + 1 : null,
      previous_page: page > 1 ? page - 1 : null,
      page,
      links: {
        first: link(1),
        next: page < totalPages ? link(page + 1) : null,
        previous: page > 1 ? link(page - 1) : null,
        last: link(totalPages),
      },
    });
  }
}

interface ListItem {
  id: number;
  isActive: boolean;
  updatedAt: string;
}

function filterActiveAndUpdated<T extends ListItem>(query: URLSearchParams, items: T[]): T[] {
  const active = booleanParam(query, 'is_active');
  const since = dateTimeParam(query, 'updated_since');
  return items.filter(
    (item) =>
      (active === undefined || item.isActive === active) && (!since || item.updatedAt >= since),
  );
}

function renderUser(user: HarvestUser) {
  return {
    id: user.id,
    first_name: user.firstName,
    last_name: user.lastName,
    email: user.email,
    is_active: user.isActive,
    is_contractor: false,
    timezone: 'Eastern Time (US & Canada)',
    access_roles: user.isAdmin ? ['administrator'] : ['member'],
    created_at: user.createdAt,
    updated_at: user.updatedAt,
  };
}

function renderClient(client: HarvestClient) {
  return {
    id: client.id,
    name: client.name,
    is_active: client.isActive,
    address: null,
    statement_key: client.id.toString(16).padStart(32, '0'),
    currency: client.currency,
    created_at: client.createdAt,
    updated_at: client.updatedAt,
  };
}

/** A refusal of a change to a locked or invoiced entry. [U] Harvest does not document it. */
function checkWritable(entry: HarvestTimeEntry): void {
  if (entry.isBilled || entry.invoice) {
    throw messageError('This time entry has been invoiced and cannot be changed');
  }
  if (entry.isLocked) {
    throw messageError(`This time entry is locked: ${entry.lockedReason ?? 'locked'}`);
  }
}

function found<T>(item: T | undefined): T {
  if (item === undefined) throw notFound();
  return item;
}

function inputOf(body: unknown): TimeEntryInput {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return {};
  const input: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (TIME_ENTRY_FIELDS.has(key)) input[key] = value;
  }
  return input as TimeEntryInput;
}

/** `8:00am`, `12:30pm` (and `17:45`) as minutes after midnight; undefined when not a time. */
function minutesOfDay(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^(\d{1,2}):(\d{2})\s*(am|pm)?$/i.exec(value.trim());
  if (!match) return undefined;
  let hours = Number(match[1]);
  const minutes = Number(match[2]);
  const half = match[3]?.toLowerCase();
  if (minutes > 59 || (half ? hours < 1 || hours > 12 : hours > 23)) return undefined;
  if (half) hours = (hours % 12) + (half === 'pm' ? 12 : 0);
  return hours * 60 + minutes;
}

/** An integer id sent as a number or a string of digits. */
function idOf(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return undefined;
}

function externalReferenceOf(value: unknown): ExternalReference | null | 'invalid' {
  if (value === null) return null;
  if (!value || typeof value !== 'object' || Array.isArray(value)) return 'invalid';
  const record = value as Record<string, unknown>;
  const text = (v: unknown) =>
    v === undefined || v === null
      ? null
      : typeof v === 'string' || typeof v === 'number'
        ? String(v)
        : undefined;
  const id = text(record.id);
  const groupId = text(record.group_id);
  const accountId = text(record.account_id);
  const permalink = text(record.permalink);
  if (!id || groupId === undefined || accountId === undefined || permalink === undefined) {
    return 'invalid';
  }
  return { id, group_id: groupId, account_id: accountId, permalink };
}

function perPageOf(query: URLSearchParams): number {
  const text = query.get('per_page');
  if (text === null) return MAX_PER_PAGE;
  const perPage = Number(text);
  if (!Number.isInteger(perPage) || perPage < 1 || perPage > MAX_PER_PAGE) {
    throw messageError(`per_page must be between 1 and ${MAX_PER_PAGE}`); // [U]
  }
  return perPage;
}

function booleanParam(query: URLSearchParams, name: string): boolean | undefined {
  const text = query.get(name);
  if (text === null) return undefined;
  if (text === 'true') return true;
  if (text === 'false') return false;
  throw messageError(`${name} is invalid`); // [U]
}

/** `updated_since` as a comparable UTC timestamp (`YYYY-MM-DDTHH:MM:SSZ`). */
function dateTimeParam(query: URLSearchParams, name: string): string | undefined {
  const text = query.get(name);
  if (text === null) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) throw messageError(`${name} is invalid`); // [U]
  return new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function dateParam(query: URLSearchParams, name: string): string | undefined {
  const text = query.get(name);
  if (text === null) return undefined;
  if (!isDate(text)) throw messageError(`${name} is invalid`); // [U]
  return text;
}

function isDate(text: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(text) && !Number.isNaN(Date.parse(`${text}T00:00:00Z`));
}

function hostOf(url: string): string | null {
  try {
    return new URL(url).host;
  } catch {
    return null;
  }
}

function linkTo(url: URL, params: Record<string, string>): string {
  const next = new URL(url);
  for (const name of ['cursor', 'page', 'per_page', 'ref']) next.searchParams.delete(name);
  for (const [name, value] of Object.entries(params)) next.searchParams.set(name, value);
  return next.toString();
}
