import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService, changes } from '../audit/audit.service';
import { Membership } from '../auth/authenticated-user';
import { ValidationFailedError } from '../common/errors/domain.error';
import { CursorPage, CursorQueryDto, paginate } from '../common/pagination/cursor';
import { inTransaction, isUniqueViolation } from '../database/transaction';
import { endConnections } from '../integrations/departures';
import { JobQueue } from '../jobs/job-queue.service';
import { User } from '../users/user.entity';
import { CreateOrganizationDto, UpdateOrganizationDto } from './dto/organization.dto';
import { TransferOwnershipDto } from './dto/member.dto';
import { OrganizationMember } from './organization-member.entity';
import { Organization } from './organization.entity';
import { authFactsChanged } from '../auth/verified-tokens';

/** New organizations start a 14-day trial, as most SaaS tools do. */
const TRIAL_DAYS = 14;

@Injectable()
export class OrganizationsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly queue: JobQueue,
  ) {}

  /** The caller's organizations with their role, oldest membership first. */
  listMine(userId: number, query: CursorQueryDto): Promise<CursorPage<OrganizationMember>> {
    const memberships = this.dataSource
      .getRepository(OrganizationMember)
      .createQueryBuilder('membership')
      .innerJoinAndSelect('membership.organization', 'organization')
      .where('membership.userId = :userId', { userId })
      .andWhere('organization.deletedAt IS NULL');
    return paginate(memberships, [{ column: 'membership.id', value: (m) => m.id }], query);
  }

  async create(userId: number, dto: CreateOrganizationDto): Promise<Organization> {
    return this.withUniqueSlug(() =>
      inTransaction(this.dataSource, async (manager) => {
        const slug = dto.slug ?? (await this.availableSlug(manager, dto.name));
        await this.assertSlugFree(manager, slug);
        const organization = await manager.save(
          manager.create(Organization, {
            name: dto.name,
            slug,
            ownerId: userId,
            timezone: dto.timezone ?? 'UTC',
            billingEmail: dto.billing_email ?? null,
            settings: {},
            subscriptionStatus: 'trial',
            trialEndsAt: new Date(Date.now() + TRIAL_DAYS * 86_400_000),
          }),
        );
        const now = new Date();
        await manager.save(
          manager.create(OrganizationMember, {
            organizationId: organization.id,
            userId,
            role: 'owner',
            invitedAt: null,
            joinedAt: now,
          }),
        );
        // The new id may have been asked for before it existed, and answered "no member".
        await authFactsChanged(manager);
        // The first organization becomes the one the SPA opens.
        await manager
          .createQueryBuilder()
          .update(User)
          .set({ currentOrganizationId: organization.id })
          .where('id = :userId AND current_organization_id IS NULL', { userId })
          .execute();
        await this.audit.record(manager, {
          action: 'organization.created',
          organizationId: organization.id,
          auditable: { type: 'organization', id: organization.id },
          newValues: { name: organization.name, slug, timezone: organization.timezone },
        });
        return organization;
      }),
    );
  }

  find(membership: Membership): Promise<Organization> {
    return this.dataSource
      .getRepository(Organization)
      .findOneByOrFail({ id: membership.organizationId });
  }

  async update(membership: Membership, dto: UpdateOrganizationDto): Promise<Organization> {
    return this.withUniqueSlug(() =>
      inTransaction(this.dataSource, async (manager) => {
        const organization = await manager.findOneByOrFail(Organization, {
          id: membership.organizationId,
        });
        const before = organizationFields(organization);
        if (dto.slug !== undefined && dto.slug !== organization.slug) {
          await this.assertSlugFree(manager, dto.slug);
          organization.slug = dto.slug;
        }
        if (dto.name !== undefined) organization.name = dto.name;
        if (dto.timezone !== undefined) organization.timezone = dto.timezone;
        if (dto.billing_email !== undefined) organization.billingEmail = dto.billing_email;
        if (dto.settings?.require_two_factor === true) {
          await this.assertOwnTwoFactor(manager, membership.userId);
        }
        if (dto.settings !== undefined) {
          organization.settings = {
            ...(organization.settings ?? {}),
            ...definedOnly(dto.settings),
          };
        }
        await manager.save(organization);
        // require_two_factor is part of what a verified token may do here.
        if (dto.settings !== undefined) await authFactsChanged(manager);
        const diff = changes(before, organizationFields(organization));
        if (Object.keys(diff.newValues).length > 0) {
          await this.audit.record(manager, {
            action: 'organization.updated',
            organizationId: organization.id,
            auditable: { type: 'organization', id: organization.id },
            ...diff,
          });
        }
        return organization;
      }),
    );
  }

  /** Requiring two-factor without having it would lock the caller out of their organization. */
  private async assertOwnTwoFactor(manager: EntityManager, userId: number) {
    const user = await manager.findOneByOrFail(User, { id: userId });
    if (!user.twoFactorConfirmedAt) {
      throw ValidationFailedError.field(
        'settings.require_two_factor',
        'Turn on two-factor authentication for yourself first (POST /api/v1/me/two-factor).',
      );
    }
  }

  /** Soft delete: the organization disappears from every endpoint; its rows stay for recovery. */
  async remove(membership: Membership): Promise<void> {
    await inTransaction(this.dataSource, async (manager) => {
      await manager.softDelete(Organization, { id: membership.organizationId });
      await authFactsChanged(manager);
      await endConnections(
        manager,
        this.queue,
        membership.organizationId,
        null,
        'organization_deleted',
      );
      await manager.update(
        User,
        { currentOrganizationId: membership.organizationId },
        { currentOrganizationId: null },
      );
      await this.audit.record(manager, {
        action: 'organization.deleted',
        organizationId: membership.organizationId,
        auditable: { type: 'organization', id: membership.organizationId },
      });
    });
  }

  async transferOwnership(
    membership: Membership,
    dto: TransferOwnershipDto,
  ): Promise<Organization> {
    return inTransaction(this.dataSource, async (manager) => {
      if (dto.user_id === membership.userId) {
        throw ValidationFailedError.field('user_id', 'You already own this organization.');
      }
      const target = await membership.scope
        .query(manager, OrganizationMember, 'membership')
        .andWhere('membership.userId = :userId', { userId: dto.user_id })
        .getOne();
      if (!target)
        throw ValidationFailedError.field(
          'user_id',
          'user_id is not a member of this organization.',
        );
      const previousRole = target.role;
      await manager.update(OrganizationMember, { id: target.id }, { role: 'owner' });
      await manager.update(
        OrganizationMember,
        { organizationId: membership.organizationId, userId: membership.userId },
        { role: 'admin' },
      );
      await manager.update(
        Organization,
        { id: membership.organizationId },
        { ownerId: target.userId },
      );
      await authFactsChanged(manager);
      await this.audit.record(manager, {
        action: 'organization.ownership_transferred',
        organizationId: membership.organizationId,
        auditable: { type: 'organization', id: membership.organizationId },
        oldValues: { owner_id: membership.userId, new_owner_previous_role: previousRole },
        newValues: { owner_id: target.userId, previous_owner_role: 'admin' },
      });
      return manager.findOneByOrFail(Organization, { id: membership.organizationId });
    });
  }

  private async availableSlug(manager: EntityManager, name: string): Promise<string> {
    const base =
      name
        .normalize('NFKD')
        .replace(/[\u0300-\u036f]/g, '')
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-+|-+$/g, '')
        .slice(0, 80) || 'organization';
    const taken = new Set(
      (
        await manager
          .getRepository(Organization)
          .createQueryBuilder('organization')
          .withDeleted()
          .select('organization.slug', 'slug')
          .where('organization.slug = :base OR organization.slug LIKE :pattern', {
            base,
            pattern: `${base}-%`,
          })
          .getRawMany<{ slug: string }>()
      ).map((row) => row.slug),
    );
    if (!taken.has(base)) return base;
    for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
  }

  private async assertSlugFree(manager: EntityManager, slug: string): Promise<void> {
    const taken = await manager
      .getRepository(Organization)
      .exists({ where: { slug }, withDeleted: true });
    if (taken) throw ValidationFailedError.field('slug', 'slug has already been taken.');
  }

  /** Two requests racing for one slug: the unique index decides, the loser gets the same 422. */
  private async withUniqueSlug<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (isUniqueViolation(error))
        throw ValidationFailedError.field('slug', 'slug has already been taken.');
      throw error;
    }
  }
}

function organizationFields(organization: Organization) {
  return {
    name: organization.name,
    slug: organization.slug,
    timezone: organization.timezone,
    billing_email: organization.billingEmail,
    settings: organization.settings,
  };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
