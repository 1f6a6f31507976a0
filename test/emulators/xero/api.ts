/**
 * The Projects API (`/projects.xro/2.0`) and the Accounting API's contacts (`/api.xro/2.0`) of
 * one tenant. Handlers throw `XeroError` to answer an error; the emulator has checked the token,
 * the tenant header and the rate limits before.
 */
import {
  accountingError,
  ApiResponse,
  json,
  msJsonDate,
  notFound,
  projectsError,
  XeroError,
} from './errors';
import {
  ContactStatus,
  Tenant,
  TimeEntryStatus,
  uuid,
  XeroContact,
  XeroProject,
  XeroStore,
  XeroTask,
  XeroTimeEntry,
} from './state';

export interface ApiRequest {
  api: 'projects' | 'accounting';
  method: string;
  /** Path segments below the API base, decoded. */
  segments: string[];
  query: URLSearchParams;
  body: unknown;
  tenant: Tenant;
  ifModifiedSince?: string;
  idempotencyKey?: string;
}

/** The fields of a time entry a POST or PUT sets. */
export interface TimeEntryInput {
  userId?: unknown;
  taskId?: unknown;
  dateUtc?: unknown;
  duration?: unknown;
  description?: unknown;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const MAX_DURATION_MINUTES = 59_940;
export const MAX_IDEMPOTENCY_KEY_LENGTH = 128;
const CONTACTS_PAGE_SIZE = 100;

export class XeroApi {
  constructor(private readonly store: XeroStore) {}

  /** `projects.time.create`, `accounting.contacts.list` … for the request log and fault matches. */
  static operation(api: ApiRequest['api'], method: string, segments: string[]): string {
    const [resource, id, sub, subId] = segments.map((s) => s.toLowerCase());
    if (api === 'accounting') {
      return `accounting.${resource ?? ''}.${id ? 'get' : 'list'}`;
    }
    if (resource === 'projectsusers') return 'projects.users.list';
    if (resource === 'projects' && sub === 'time') {
      const verb = { GET: subId ? 'get' : 'list', POST: 'create', PUT: 'update', DELETE: 'delete' };
      return `projects.time.${verb[method as keyof typeof verb] ?? method.toLowerCase()}`;
    }
    if (resource === 'projects' && sub === 'tasks')
      return `projects.tasks.${subId ? 'get' : 'list'}`;
    if (resource === 'projects') return `projects.projects.${id ? 'get' : 'list'}`;
    return `${api}.${resource ?? ''}`;
  }

  handle(request: ApiRequest): ApiResponse {
    return request.api === 'projects' ? this.projects(request) : this.accounting(request);
  }

  // ---- Projects API ---------------------------------------------------------------------------

  private projects(request: ApiRequest): ApiResponse {
    const { method, segments, tenant, query } = request;
    const [resource, projectId, sub, subId, extra] = segments;
    if (extra !== undefined) throw notFound('projects');
    const key = resource?.toLowerCase();
    if (key === 'projectsusers' && segments.length === 1 && method === 'GET') {
      return json(200, paged([...tenant.users.values()], query));
    }
    if (key !== 'projects') throw notFound('projects');
    if (projectId === undefined) {
      if (method !== 'GET') throw methodNotAllowed();
      return json(
        200,
        paged(this.filterProjects(tenant, query), query, (p) => this.renderProject(tenant, p)),
      );
    }
    const project = tenant.projects.get(projectId);
    if (!project) throw notFound('projects');
    if (sub === undefined) {
      if (method !== 'GET') throw methodNotAllowed();
      return json(200, this.renderProject(tenant, project));
    }
    switch (sub.toLowerCase()) {
      case 'tasks': {
        if (method !== 'GET') throw methodNotAllowed();
        const tasks = [...tenant.tasks.values()].filter((t) => t.projectId === project.projectId);
        if (subId !== undefined) {
          const task = tasks.find((t) => t.taskId === subId);
          if (!task) throw notFound('projects');
          return json(200, renderTask(task));
        }
        const chargeType = query.get('chargeType');
        return json(
          200,
          paged(
            tasks.filter((t) => !chargeType || t.chargeType === chargeType),
            query,
            renderTask,
          ),
        );
      }
      case 'time':
        return this.time(request, project, subId);
      default:
        throw notFound('projects');
    }
  }

  private filterProjects(tenant: Tenant, query: URLSearchParams): XeroProject[] {
    const ids = query.get('projectIds')?.split(',').filter(Boolean);
    const contactId = query.get('contactID');
    // Without `states` only projects in progress are listed [U].
    const states = (query.get('states') ?? 'INPROGRESS')
      .split(',')
      .map((s) => s.trim().toUpperCase());
    return [...tenant.projects.values()].filter(
      (p) =>
        (!ids || ids.includes(p.projectId)) &&
        (!contactId || p.contactId === contactId) &&
        states.includes(p.status),
    );
  }

  private time(
    request: ApiRequest,
    project: XeroProject,
    entryId: string | undefined,
  ): ApiResponse {
    const { method, tenant, query } = request;
    if (entryId === undefined) {
      if (method === 'GET')
        return json(200, paged(this.filterEntries(tenant, project, query), query, renderEntry));
      if (method !== 'POST') throw methodNotAllowed();
      return this.idempotent(request, () => {
        const entry = this.createTimeEntry(tenant, project, request.body as TimeEntryInput);
        return json(200, renderEntry(entry));
      });
    }
    const entry = tenant.timeEntries.get(entryId);
    if (!entry || entry.projectId !== project.projectId) throw notFound('projects');
    switch (method) {
      case 'GET':
        return json(200, renderEntry(entry));
      case 'PUT':
        return this.idempotent(request, () => {
          this.updateTimeEntry(tenant, entry, request.body as TimeEntryInput);
          return { status: 204 };
        });
      case 'DELETE':
        // DELETE takes no Idempotency-Key: one sent is ignored [U].
        this.deleteTimeEntry(tenant, entry);
        return { status: 204 };
      default:
        throw methodNotAllowed();
    }
  }

  /**
   * `Idempotency-Key` on POST and PUT: the same key (per tenant) answers the first result again
   * without doing anything; a different request under a used key is refused.
   */
  private idempotent(request: ApiRequest, run: () => ApiResponse): ApiResponse {
    const key = request.idempotencyKey;
    if (key === undefined) return run();
    if (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
      throw projectsError(400, 'The Idempotency-Key header must be 1 to 128 characters.', {
        'Idempotency-Key': ['Must be at most 128 characters.'],
      }); // [U]
    }
    const fingerprint = `${request.method} /${request.segments.join('/')} ${JSON.stringify(request.body ?? null)}`;
    const seen = request.tenant.idempotency.get(key);
    if (seen) {
      if (seen.fingerprint !== fingerprint) {
        throw projectsError(400, `Idempotency Key: ${key} is used with a different request.`);
      }
      return json(seen.status, seen.body);
    }
    const response = run();
    if (response.status < 300) {
      request.tenant.idempotency.set(key, {
        fingerprint,
        status: response.status,
        body: response.body,
      });
    }
    return response;
  }

  private filterEntries(
    tenant: Tenant,
    project: XeroProject,
    query: URLSearchParams,
  ): XeroTimeEntry[] {
    const userId = query.get('userId');
    const taskId = query.get('taskId');
    const invoiceId = query.get('invoiceId');
    const states = query
      .get('states')
      ?.split(',')
      .map((s) => s.trim().toUpperCase());
    const after = parseDate(query.get('dateAfterUtc'), 'dateAfterUtc');
    const before = parseDate(query.get('dateBeforeUtc'), 'dateBeforeUtc');
    return [...tenant.timeEntries.values()]
      .filter(
        (e) =>
          e.projectId === project.projectId &&
          (!userId || e.userId === userId) &&
          (!taskId || e.taskId === taskId) &&
          (!invoiceId || e.invoiceId === invoiceId) &&
          (!states || states.includes(e.status)) &&
          (after === undefined || Date.parse(e.dateUtc) >= after) &&
          (before === undefined || Date.parse(e.dateUtc) <= before),
      )
      .sort(
        (a, b) =>
          a.dateUtc.localeCompare(b.dateUtc) || a.dateEnteredUtc.localeCompare(b.dateEnteredUtc),
      );
  }

  createTimeEntry(tenant: Tenant, project: XeroProject, input: TimeEntryInput): XeroTimeEntry {
    const fields = this.validEntry(tenant, project, input);
    const entry: XeroTimeEntry = {
      timeEntryId: uuid(),
      projectId: project.projectId,
      ...fields,
      dateEnteredUtc: this.store.timestamp(),
      status: 'ACTIVE',
      invoiceId: null,
    };
    tenant.timeEntries.set(entry.timeEntryId, entry);
    return entry;
  }

  /** A full replace: an omitted description becomes null. Locked and invoiced entries refuse. */
  updateTimeEntry(
    tenant: Tenant,
    entry: XeroTimeEntry,
    input: TimeEntryInput,
    options: { asUser?: boolean } = {},
  ): void {
    const project = tenant.projects.get(entry.projectId)!;
    if (!options.asUser) refuseUnlessActive(entry, 'updated');
    Object.assign(entry, this.validEntry(tenant, project, input));
  }

  deleteTimeEntry(tenant: Tenant, entry: XeroTimeEntry, options: { asUser?: boolean } = {}): void {
    if (!options.asUser) refuseUnlessActive(entry, 'deleted');
    tenant.timeEntries.delete(entry.timeEntryId);
  }

  private validEntry(tenant: Tenant, project: XeroProject, input: TimeEntryInput) {
    const errors: Record<string, string[]> = {};
    const body = input && typeof input === 'object' ? input : {};
    const userId = typeof body.userId === 'string' ? body.userId : '';
    const taskId = typeof body.taskId === 'string' ? body.taskId : '';
    if (!UUID.test(userId)) errors.userId = ['The UserId field is required.'];
    else if (!tenant.users.has(userId)) errors.userId = ['The user could not be found.']; // [U]
    if (!UUID.test(taskId)) errors.taskId = ['The TaskId field is required.'];
    else if (tenant.tasks.get(taskId)?.projectId !== project.projectId) {
      errors.taskId = ['The task could not be found on this project.']; // [U]
    }
    const dateUtc = typeof body.dateUtc === 'string' ? body.dateUtc : '';
    if (!dateUtc || Number.isNaN(Date.parse(dateUtc)))
      errors.dateUtc = ['The DateUtc field is required.'];
    const duration = body.duration;
    if (
      typeof duration !== 'number' ||
      !Number.isInteger(duration) ||
      duration < 1 ||
      duration > MAX_DURATION_MINUTES
    ) {
      errors.duration = [
        `Duration must be a whole number of minutes between 1 and ${MAX_DURATION_MINUTES}.`,
      ];
    }
    if (
      body.description !== undefined &&
      body.description !== null &&
      typeof body.description !== 'string'
    ) {
      errors.description = ['The Description field must be a string.'];
    }
    if (project.status === 'CLOSED')
      errors.projectId = ['Time cannot be added to a closed project.']; // [U]
    if (Object.keys(errors).length > 0) throw projectsError(400, 'Validation failed', errors); // [U]
    return {
      userId,
      taskId,
      dateUtc: new Date(Date.parse(dateUtc)).toISOString().replace(/\.000Z$/, 'Z'),
      duration: duration as number,
      description: typeof body.description === 'string' ? body.description : null,
    };
  }

  renderProject(tenant: Tenant, project: XeroProject) {
    const entries = [...tenant.timeEntries.values()].filter(
      (e) => e.projectId === project.projectId,
    );
    const minutes = (status?: TimeEntryStatus) =>
      entries.filter((e) => !status || e.status === status).reduce((sum, e) => sum + e.duration, 0);
    return {
      projectId: project.projectId,
      contactId: project.contactId,
      name: project.name,
      currencyCode: project.currencyCode,
      minutesLogged: minutes(),
      minutesToBeInvoiced: minutes('ACTIVE'),
      deadlineUtc: project.deadlineUtc,
      status: project.status,
    };
  }

  // ---- Accounting API: contacts --------------------------------------------------------------

  private accounting(request: ApiRequest): ApiResponse {
    const { method, segments, tenant, query } = request;
    const [resource, id, extra] = segments;
    if (resource?.toLowerCase() !== 'contacts' || extra !== undefined) {
      throw notFound('accounting');
    }
    if (method !== 'GET')
      throw accountingError(405, 'MethodNotAllowed', 'The method is not allowed.'); // [U]
    if (id !== undefined) {
      const contact = tenant.contacts.get(id);
      if (!contact) throw notFound('accounting');
      return json(200, this.envelope({ Contacts: [renderContact(contact)] }));
    }
    let contacts = [...tenant.contacts.values()];
    if (request.ifModifiedSince !== undefined) {
      const since = parseIfModifiedSince(request.ifModifiedSince);
      contacts = contacts.filter((c) => c.updatedMs >= since);
    }
    const where = query.get('where');
    if (where) {
      const status = /^\s*ContactStatus\s*==\s*"(ACTIVE|ARCHIVED|GDPRREQUEST)"\s*$/.exec(
        where,
      )?.[1];
      if (!status) {
        throw accountingError(
          400,
          'QueryParseException',
          `The where clause is not supported: ${where}`,
        ); // [U]
      }
      contacts = contacts.filter((c) => c.status === (status as ContactStatus));
    } else if (query.get('includeArchived')?.toLowerCase() !== 'true') {
      contacts = contacts.filter((c) => c.status !== 'ARCHIVED');
    }
    contacts.sort((a, b) => a.name.localeCompare(b.name) || a.contactId.localeCompare(b.contactId));
    const pageParam = query.get('page');
    if (pageParam === null)
      return json(200, this.envelope({ Contacts: contacts.map(renderContact) }));
    const page = positiveInt(pageParam, 'page', accountingBadRequest);
    const pageSize = Math.min(
      1000,
      query.get('pageSize') === null
        ? CONTACTS_PAGE_SIZE
        : positiveInt(query.get('pageSize')!, 'pageSize', accountingBadRequest),
    );
    const slice = contacts.slice((page - 1) * pageSize, page * pageSize);
    return json(
      200,
      this.envelope({
        pagination: {
          page,
          pageSize,
          pageCount: Math.ceil(contacts.length / pageSize),
          itemCount: contacts.length,
        },
        Contacts: slice.map(renderContact),
      }),
    );
  }

  private envelope(content: Record<string, unknown>) {
    return {
      Id: uuid(),
      Status: 'OK',
      ProviderName: 'danwel',
      DateTimeUTC: msJsonDate(this.store.now()),
      ...content,
    };
  }
}

function refuseUnlessActive(entry: XeroTimeEntry, verb: string): void {
  if (entry.status !== 'ACTIVE') {
    throw projectsError(400, `A time entry with status ${entry.status} cannot be ${verb}.`); // [U]
  }
}

const methodNotAllowed = () =>
  projectsError(405, 'The requested resource does not support this method.'); // [U]

const projectsBadRequest = (field: string, message: string) =>
  projectsError(400, 'Validation failed', { [field]: [message] });
const accountingBadRequest = (field: string, message: string) =>
  accountingError(400, 'ValidationException', 'A validation exception occurred', [
    `${field}: ${message}`,
  ]);

function positiveInt(
  value: string,
  field: string,
  error: (field: string, message: string) => XeroError,
): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) throw error(field, 'Must be a positive whole number.');
  return n;
}

function parseDate(value: string | null, field: string): number | undefined {
  if (value === null || value === '') return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw projectsBadRequest(field, 'Must be an ISO-8601 date-time.');
  return ms;
}

/** `If-Modified-Since` as Xero takes it: `yyyy-mm-ddThh:mm:ss` (UTC) or an HTTP date. */
function parseIfModifiedSince(value: string): number {
  const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$/.test(value) ? `${value}Z` : value;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw accountingBadRequest('If-Modified-Since', 'Not a valid date.'); // [U]
  return ms;
}

/** The Projects API's envelope: `{pagination: {page, pageSize, pageCount, itemCount}, items}`. */
function paged<T>(items: T[], query: URLSearchParams, render: (item: T) => unknown = (i) => i) {
  const page =
    query.get('page') === null ? 1 : positiveInt(query.get('page')!, 'page', projectsBadRequest);
  const sizeParam = query.get('pageSize');
  const pageSize = sizeParam === null ? 50 : positiveInt(sizeParam, 'pageSize', projectsBadRequest);
  if (pageSize > 500) throw projectsBadRequest('pageSize', 'Must be between 1 and 500.');
  return {
    pagination: {
      page,
      pageSize,
      pageCount: Math.ceil(items.length / pageSize),
      itemCount: items.length,
    },
    items: items.slice((page - 1) * pageSize, page * pageSize).map(render),
  };
}

export function renderEntry(entry: XeroTimeEntry) {
  return {
    timeEntryId: entry.timeEntryId,
    userId: entry.userId,
    projectId: entry.projectId,
    taskId: entry.taskId,
    dateUtc: entry.dateUtc,
    dateEnteredUtc: entry.dateEnteredUtc,
    duration: entry.duration,
    description: entry.description,
    status: entry.status,
  };
}

function renderTask(task: XeroTask) {
  return {
    taskId: task.taskId,
    name: task.name,
    rate: task.rate,
    chargeType: task.chargeType,
    projectId: task.projectId,
    status: task.status,
  };
}

function renderContact(contact: XeroContact) {
  return {
    ContactID: contact.contactId,
    ContactStatus: contact.status,
    Name: contact.name,
    EmailAddress: contact.emailAddress,
    IsCustomer: contact.isCustomer,
    IsSupplier: contact.isSupplier,
    UpdatedDateUTC: msJsonDate(contact.updatedMs),
  };
}
