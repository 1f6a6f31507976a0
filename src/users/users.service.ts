import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditService, changes } from '../audit/audit.service';
import { ValidationFailedError } from '../common/errors/domain.error';
import { inTransaction } from '../database/transaction';
import { OrganizationMember } from '../organizations/organization-member.entity';
import { UpdateProfileDto } from './dto/update-profile.dto';
import { User } from './user.entity';
import { authFactsChanged } from '../auth/verified-tokens';

const withSeconds = (time: string) => (time.length === 5 ? `${time}:00` : time);

@Injectable()
export class UsersService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  findOrFail(userId: number): Promise<User> {
    return this.dataSource.getRepository(User).findOneByOrFail({ id: userId });
  }

  /** The caller's live memberships (soft-deleted organizations are gone from everywhere). */
  memberships(userId: number): Promise<OrganizationMember[]> {
    return this.dataSource
      .getRepository(OrganizationMember)
      .createQueryBuilder('membership')
      .innerJoinAndSelect('membership.organization', 'organization')
      .where('membership.userId = :userId', { userId })
      .andWhere('organization.deletedAt IS NULL')
      .orderBy('organization.name', 'ASC')
      .getMany();
  }

  async updateProfile(userId: number, dto: UpdateProfileDto): Promise<User> {
    return inTransaction(this.dataSource, async (manager) => {
      const user = await manager.findOneByOrFail(User, { id: userId });
      const before = profileFields(user);
      if (dto.name !== undefined) user.name = dto.name.trim();
      if (dto.timezone !== undefined) user.timezone = dto.timezone;
      if (dto.work_days !== undefined) user.workDays = dto.work_days;
      if (dto.work_hours_start !== undefined)
        user.workHoursStart = withSeconds(dto.work_hours_start);
      if (dto.work_hours_end !== undefined) user.workHoursEnd = withSeconds(dto.work_hours_end);
      if (dto.preferences !== undefined) user.preferences = dto.preferences;
      if (user.workHoursStart && user.workHoursEnd && user.workHoursEnd <= user.workHoursStart) {
        throw ValidationFailedError.field(
          'work_hours_end',
          'work_hours_end must be after work_hours_start.',
        );
      }
      await manager.save(user);
      // The name travels with a verified token (src/auth/verified-tokens.ts).
      if (user.name !== before.name) await authFactsChanged(manager);
      const diff = changes(before, profileFields(user));
      if (Object.keys(diff.newValues).length > 0) {
        await this.audit.record(manager, {
          action: 'user.updated',
          organizationId: null,
          auditable: { type: 'user', id: user.id },
          ...diff,
        });
      }
      return user;
    });
  }

  /** Remembers the organization the SPA opens by default; only a live membership counts. */
  async switchOrganization(userId: number, organizationId: number): Promise<User> {
    const isMember = (await this.memberships(userId)).some(
      (m) => m.organizationId === organizationId,
    );
    if (!isMember) {
      throw ValidationFailedError.field(
        'organization_id',
        'You are not a member of that organization.',
      );
    }
    await inTransaction(this.dataSource, (manager) =>
      manager.update(User, { id: userId }, { currentOrganizationId: organizationId }),
    );
    return this.findOrFail(userId);
  }
}

function profileFields(user: User) {
  return {
    name: user.name,
    timezone: user.timezone,
    work_days: user.workDays,
    work_hours_start: user.workHoursStart,
    work_hours_end: user.workHoursEnd,
    preferences: user.preferences,
  };
}
