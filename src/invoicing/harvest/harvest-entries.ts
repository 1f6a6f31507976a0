import { DateTime } from 'luxon';
import {
  EntryBillingState,
  InvoicingError,
  EntryContent,
  ProviderEntry,
  ProviderTask,
} from '../invoicing-provider';

/** A Harvest time entry as the API answers it (the fields danwel reads). */
export interface HarvestTimeEntry {
  id: number;
  spent_date: string;
  hours: number | null;
  notes: string | null;
  is_locked?: boolean;
  locked_reason?: string | null;
  is_closed?: boolean;
  is_billed?: boolean;
  invoice?: { id: number; number: string | null } | null;
  project?: { id: number } | null;
  task?: { id: number } | null;
  user?: { id: number } | null;
  external_reference?: { id: string } | null;
}

export interface HarvestTaskAssignment {
  billable: boolean;
  is_active: boolean;
  task: { id: number; name: string };
  /** Given by the account-wide listing (`GET /v2/task_assignments`). */
  project?: { id: number };
}

/** `external_reference.group_id` of every entry danwel books. */
export const EXTERNAL_REFERENCE_GROUP = 'danwel';

/**
 * The `external_reference.id` of a block's entry: the same block always gets the same id, so a
 * create whose answer was lost is found with `external_reference_id=` instead of made twice.
 */
export function externalReferenceId(blockId: number): string {
  return `danwel-block-${blockId}`;
}

/**
 * The billable minutes as Harvest's decimal `hours`, to two places (as Harvest keeps them). The
 * minutes are whole quarter hours, so nothing is lost: 75 minutes is sent as `hours: 1.25`.
 */
export function harvestHours(minutes: number): number {
  return Math.round((minutes / 60) * 100) / 100;
}

/**
 * How an account wants its time: decimal `hours`, or — where the Company API's
 * `wants_timestamp_timers` is on — `started_time`/`ended_time` (`8:00am`) in the block's zone,
 * the end the rounded duration after the start (to the minute), so the entry still books the
 * rounded time. A time of day cannot reach into the next day: such a block is refused.
 */
export function harvestDuration(
  content: EntryContent,
  timestampTimers: boolean,
): Record<string, string | number> {
  if (!timestampTimers) return { hours: harvestHours(content.minutes) };
  const start = DateTime.fromJSDate(content.start, { zone: content.timeZone }).startOf('minute');
  const end = start.plus({ minutes: content.minutes });
  if (!end.hasSame(start, 'day')) {
    throw new InvoicingError({
      kind: 'permanent',
      status: null,
      code: 'crosses_midnight',
      message: 'Harvest: a timestamp entry cannot run past midnight; split the block',
    });
  }
  const timeOfDay = (at: DateTime) => at.toFormat('h:mma').toLowerCase();
  return { started_time: timeOfDay(start), ended_time: timeOfDay(end) };
}

/** The fields a create or update sends (PATCH takes the same ones). */
export function entryBody(
  content: EntryContent,
  taskId: string,
  timestampTimers = false,
): Record<string, unknown> {
  return {
    project_id: Number(content.projectExternalId),
    task_id: Number(taskId),
    spent_date: content.spentDate,
    ...harvestDuration(content, timestampTimers),
    notes: content.description,
    ...(content.userExternalId ? { user_id: Number(content.userExternalId) } : {}),
    external_reference: {
      id: externalReferenceId(content.blockId),
      group_id: EXTERNAL_REFERENCE_GROUP,
      account_id: null,
      permalink: null,
    },
  };
}

/**
 * Invoiced (`is_billed` or an `invoice`) wins over locked (`is_locked`, or `is_closed` by
 * timesheet approval): the invoice number is what the block then shows.
 */
export function billingState(entry: HarvestTimeEntry): {
  billing: EntryBillingState;
  invoiceReference: string | null;
} {
  if (entry.is_billed || entry.invoice) {
    const invoice = entry.invoice;
    return {
      billing: 'invoiced',
      invoiceReference: invoice ? (invoice.number ?? String(invoice.id)) : null,
    };
  }
  if (entry.is_locked || entry.is_closed) {
    return { billing: 'locked', invoiceReference: entry.locked_reason ?? null };
  }
  return { billing: 'open', invoiceReference: null };
}

export function providerEntry(entry: HarvestTimeEntry): ProviderEntry {
  const id = (ref: { id: number } | null | undefined) => (ref ? String(ref.id) : null);
  return {
    externalId: String(entry.id),
    spentDate: entry.spent_date,
    minutes: Math.round((entry.hours ?? 0) * 60),
    description: entry.notes ?? '',
    projectExternalId: id(entry.project),
    taskExternalId: id(entry.task),
    userExternalId: id(entry.user),
    ...billingState(entry),
  };
}

/** Whether the entry already holds what `content` would write (project, task, date, hours, notes). */
export function entryMatches(entry: ProviderEntry, content: EntryContent, taskId: string): boolean {
  return (
    entry.projectExternalId === content.projectExternalId &&
    entry.taskExternalId === taskId &&
    entry.spentDate === content.spentDate &&
    entry.minutes === content.minutes &&
    entry.description === content.description &&
    (!content.userExternalId || entry.userExternalId === content.userExternalId)
  );
}

/** A project's tasks from its task assignments, billable ones first (otherwise in Harvest's order). */
/** Account-wide task assignments as each project's tasks (`projectTasks`), by project id. */
export function tasksByProject(assignments: HarvestTaskAssignment[]): Map<string, ProviderTask[]> {
  const byProject = new Map<string, HarvestTaskAssignment[]>();
  for (const assignment of assignments) {
    if (!assignment.project) continue;
    const projectId = String(assignment.project.id);
    const list = byProject.get(projectId);
    if (list) list.push(assignment);
    else byProject.set(projectId, [assignment]);
  }
  return new Map([...byProject].map(([projectId, list]) => [projectId, projectTasks(list)]));
}

export function projectTasks(assignments: HarvestTaskAssignment[]): ProviderTask[] {
  const tasks = assignments.map((a) => ({
    externalId: String(a.task.id),
    name: a.task.name,
    billable: a.billable,
    active: a.is_active,
  }));
  return [...tasks.filter((t) => t.billable), ...tasks.filter((t) => !t.billable)];
}
