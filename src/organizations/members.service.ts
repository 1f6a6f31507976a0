import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { Membership } from '../auth/authenticated-user';
import { ROLE_RANK, can } from '../auth/permissions';
import { ConflictError, ForbiddenError, NotFoundError } from '../common/errors/domain.error';
import { CursorPage, CursorQueryDto, paginate } from '../common/pagination/cursor';
import { inTransaction } from '../database/transaction';
import { CalendarFeed } from '../ical-feeds/calendar-feed.entity';
import { endConnections } from '../integrations/departures';
import { revokeInvitationsSentBy } from '../invitations/revoke-sent-by';
import { JobQueue } from '../jobs/job-queue.service';
import { User } from '../users/user.entity';
import { UpdateMemberDto } from './dto/member.dto';
import { OrganizationMember } from './organization-member.entity';
import { authFactsChanged } from '../auth/verified-tokens';

/** The people of an organization: who they are, their roles, and their leaving. */
@Injectable()
export class MembersService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly queue: JobQueue,
  ) {}

  listMembers(
    membership: Membership,
    query: CursorQueryDto,
  ): Promise<CursorPage<OrganizationMember>> {
    const members = membership.scope
      .query(this.dataSource.manager, OrganizationMember, 'membership')
      .innerJoinAndSelect('membership.user', 'user');
    return paginate(members, [{ column: 'membership.id', value: (m) => m.id }], query);
  }

  /**
   * Role changes: admins and owners may change members ranked below them; only the owner may
   * change an admin; nobody changes the owner's role (ownership is transferred instead).
   */
  async updateMember(
    membership: Membership,
    userId: number,
    dto: UpdateMemberDto,
  ): Promise<OrganizationMember> {
    return inTransaction(this.dataSource, async (manager) => {
      const target = await this.findMember(manager, membership, userId);
      if (target.role === 'owner') {
        throw new ForbiddenError("The owner's role cannot be changed; transfer ownership instead.");
      }
      if (
        target.userId !== membership.userId &&
        ROLE_RANK[target.role] >= ROLE_RANK[membership.role]
      ) {
        throw new ForbiddenError('Only the owner can change the role of an admin.');
      }
      if (target.role === dto.role) return target;
      const oldRole = target.role;
      target.role = dto.role;
      await manager.save(target);
      await authFactsChanged(manager);
      if (!can(dto.role, 'invitations:create')) {
        await revokeInvitationsSentBy(
          manager,
          this.audit,
          membership.organizationId,
          target.userId,
          'role_changed',
        );
      }
      await this.audit.record(manager, {
        action: 'member.role_changed',
        organizationId: membership.organizationId,
        auditable: { type: 'user', id: target.userId },
        oldValues: { role: oldRole },
        newValues: { role: dto.role },
      });
      return target;
    });
  }

  /** Anyone may leave (except the owner, who must transfer first); admins remove members below them. */
  async removeMember(membership: Membership, userId: number): Promise<void> {
    await inTransaction(this.dataSource, async (manager) => {
      const target = await this.findMember(manager, membership, userId);
      const leaving = target.userId === membership.userId;
      if (target.role === 'owner') {
        throw leaving
          ? new ConflictError('The owner cannot leave; transfer ownership first.')
          : new ForbiddenError('The owner cannot be removed.');
      }
      if (!leaving) {
        if (!can(membership.role, 'members:remove')) throw new ForbiddenError();
        if (ROLE_RANK[target.role] >= ROLE_RANK[membership.role]) {
          throw new ForbiddenError('Only the owner can remove an admin.');
        }
      }
      await manager.delete(OrganizationMember, { id: target.id });
      await authFactsChanged(manager);
      const reason = leaving ? 'member_left' : 'member_removed';
      await endConnections(manager, this.queue, membership.organizationId, target.userId, reason);
      await revokeInvitationsSentBy(
        manager,
        this.audit,
        membership.organizationId,
        target.userId,
        reason,
      );
      // Their secret calendar feed of this organization dies with the membership.
      await manager.delete(CalendarFeed, {
        organizationId: membership.organizationId,
        userId: target.userId,
      });
      await manager.update(
        User,
        { id: target.userId, currentOrganizationId: membership.organizationId },
        { currentOrganizationId: null },
      );
      await this.audit.record(manager, {
        action: leaving ? 'member.left' : 'member.removed',
        organizationId: membership.organizationId,
        auditable: { type: 'user', id: target.userId },
        oldValues: { role: target.role },
      });
    });
  }

  /** The owner hands over: the new owner must already be a member; the old owner stays as admin. */
  private async findMember(manager: EntityManager, membership: Membership, userId: number) {
    const target = await membership.scope
      .query(manager, OrganizationMember, 'membership')
      .andWhere('membership.userId = :userId', { userId })
      .getOne();
    if (!target) throw new NotFoundError('Member');
    return target;
  }
}
