import { EntityManager } from 'typeorm';
import { Membership } from '../auth/authenticated-user';
import { Calendar } from '../calendars/calendar.entity';
import { holdsBlocksOf } from '../calendars/calendar-use';
import { Client } from '../clients/client.entity';
import { FieldErrors } from '../common/validation/field-errors';
import { OrganizationMember } from '../organizations/organization-member.entity';
import { Project } from '../projects/project.entity';

/**
 * The rows a block refers to — its owner's membership, client, project and calendar — looked up
 * in the organization, each read once per transaction (a bulk request names the same ones often).
 */
export class BlockReferences {
  private readonly members = new Map<number, { timezone: string | null } | null>();
  private readonly clients = new Map<number, Client | null>();
  private readonly projects = new Map<number, Project | null>();
  private readonly calendars = new Map<number, Calendar | null>();

  constructor(
    private readonly manager: EntityManager,
    private readonly membership: Membership,
  ) {}

  /**
   * The client and project the block will have. A project's client (if it has one) must be the
   * block's client; when the request names a project but no client, the project's fills it in.
   */
  async clientAndProject(
    errors: FieldErrors,
    data: { client_id?: number | null; project_id?: number | null },
    current: { clientId: number | null; projectId: number | null },
  ): Promise<{ clientId: number | null; projectId: number | null }> {
    if (data.client_id !== undefined && data.client_id !== null) {
      if (!(await this.find(Client, this.clients, data.client_id)))
        errors.add('client_id', 'client_id does not exist in this organization.');
    }
    let project: Project | null = null;
    const projectId = data.project_id === undefined ? current.projectId : data.project_id;
    if (projectId !== null) {
      project = await this.find(Project, this.projects, projectId);
      if (!project && data.project_id !== undefined)
        errors.add('project_id', 'project_id does not exist in this organization.');
    }
    let clientId = data.client_id === undefined ? current.clientId : data.client_id;
    if (project?.clientId != null && data.client_id === undefined && data.project_id != null) {
      clientId = project.clientId;
    }
    if (
      project?.clientId != null &&
      clientId !== project.clientId &&
      !errors.has('client_id') &&
      !errors.has('project_id')
    ) {
      errors.add(
        data.client_id !== undefined ? 'client_id' : 'project_id',
        `client_id must be the project's client (${project.clientId}).`,
      );
    }
    return { clientId, projectId };
  }

  /**
   * A calendar `userId`'s block may be placed on: enabled, written to, and theirs or shared
   * (`userId` null: no member, refused on `user_id` already).
   */
  async checkCalendar(errors: FieldErrors, calendarId: number, userId: number | null) {
    const calendar = await this.calendar(calendarId);
    if (!calendar) {
      errors.add('calendar_id', 'calendar_id does not exist in this organization.');
    } else if (calendar.isEnabled !== true) {
      errors.add('calendar_id', 'calendar_id is a disabled calendar.');
    } else if (calendar.syncDirection !== 'write' && calendar.syncDirection !== 'both') {
      errors.add('calendar_id', 'calendar_id is read-only: blocks cannot be written to it.');
    } else if (userId !== null) {
      this.ownedBy(errors, calendar, userId);
    }
  }

  /** Only the ownership rule, for a block handed to `userId` on the calendar it already has. */
  async checkCalendarOwner(errors: FieldErrors, calendarId: number, userId: number) {
    const calendar = await this.calendar(calendarId);
    if (calendar) this.ownedBy(errors, calendar, userId);
  }

  private ownedBy(errors: FieldErrors, calendar: Calendar, userId: number): void {
    if (!holdsBlocksOf(calendar, userId)) {
      errors.add(
        'calendar_id',
        "calendar_id is another member's calendar: it holds only their own blocks, unless " +
          'they share it with the organization.',
      );
    }
  }

  /** A calendar of this organization with the member who connected its account. */
  private async calendar(id: number): Promise<Calendar | null> {
    if (!this.calendars.has(id)) {
      const row = await this.membership.scope
        .query(this.manager, Calendar, 'calendar')
        .innerJoin('calendar.integration', 'integration')
        .addSelect(['integration.id', 'integration.connectedById'])
        .andWhere('calendar.id = :id', { id })
        .getOne();
      this.calendars.set(id, row);
    }
    return this.calendars.get(id)!;
  }

  /** A member's timezone, or null when `userId` is no member of this organization. */
  async member(userId: number): Promise<{ timezone: string | null } | null> {
    if (!this.members.has(userId)) {
      const membership = await this.membership.scope
        .query(this.manager, OrganizationMember, 'membership')
        .innerJoinAndSelect('membership.user', 'user')
        .andWhere('membership.userId = :userId', { userId })
        .getOne();
      this.members.set(userId, membership ? { timezone: membership.user!.timezone } : null);
    }
    return this.members.get(userId)!;
  }

  private async find<T extends Client | Project>(
    entity: new () => T,
    cache: Map<number, T | null>,
    id: number,
  ): Promise<T | null> {
    if (!cache.has(id)) {
      const row = await this.membership.scope
        .query(this.manager, entity, 'row')
        .andWhere('row.id = :id', { id })
        .getOne();
      cache.set(id, row);
    }
    return cache.get(id)!;
  }
}
