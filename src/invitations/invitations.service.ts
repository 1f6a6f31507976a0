import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { Membership } from '../auth/authenticated-user';
import { generateSecretToken, sha256Hex } from '../common/crypto/tokens';
import {
  ConflictError,
  DomainError,
  ForbiddenError,
  NotFoundError,
} from '../common/errors/domain.error';
import { CursorPage, CursorQueryDto, paginate } from '../common/pagination/cursor';
import { APP_CONFIG, AppConfig } from '../config';
import { currentTimestamp } from '../database/timestamped.entity';
import { inTransaction, isSqlite } from '../database/transaction';
import { JobHandlerRegistry } from '../jobs/job-handler';
import { JobQueue } from '../jobs/job-queue.service';
import { MailService } from '../mail/mail.service';
import { OrganizationMember } from '../organizations/organization-member.entity';
import { Organization } from '../organizations/organization.entity';
import { User } from '../users/user.entity';
import { CreateInvitationDto } from './dto/create-invitation.dto';
import { Invitation } from './invitation.entity';
import { invitationEmail } from './invitation.mail';
import { authFactsChanged } from '../auth/verified-tokens';

export type InvitationStatus = 'pending' | 'accepted' | 'revoked' | 'expired';

export function invitationStatus(invitation: Invitation, now = new Date()): InvitationStatus {
  if (invitation.acceptedAt) return 'accepted';
  if (invitation.revokedAt) return 'revoked';
  if (invitation.expiresAt <= now) return 'expired';
  return 'pending';
}

/** 410 Gone for links that existed but can no longer be used, each with a plain reason. */
class InvitationUnusableError extends DomainError {
  constructor(status: Exclude<InvitationStatus, 'pending'>) {
    const reasons = {
      accepted: 'This invitation has already been used.',
      revoked: 'This invitation has been revoked.',
      expired: 'This invitation has expired; ask for a new one.',
    };
    super(410, `invitation-${status}`, 'Gone', reasons[status]);
  }
}

const SEND_INVITATION = 'mail.invitation';

interface SendInvitationPayload {
  invitation_id: number;
  /** The plain token the mail needs (a job secret: encrypted in the jobs table). */
  token: string;
}

@Injectable()
export class InvitationsService implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly queue: JobQueue,
    private readonly registry: JobHandlerRegistry,
    private readonly mail: MailService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.registry.register<SendInvitationPayload>(SEND_INVITATION, {
      handle: (payload) => this.deliver(payload),
    });
  }

  async create(membership: Membership, dto: CreateInvitationDto): Promise<Invitation> {
    return inTransaction(this.dataSource, async (manager) => {
      await this.lockOrganization(manager, membership.organizationId);
      const alreadyMember = await membership.scope
        .query(manager, OrganizationMember, 'membership')
        .innerJoin('membership.user', 'user')
        .andWhere('user.email = :email', { email: dto.email })
        .getExists();
      if (alreadyMember)
        throw new ConflictError(`${dto.email} is already a member of this organization.`);
      const pending = await membership.scope
        .query(manager, Invitation, 'invitation')
        .andWhere('invitation.email = :email', { email: dto.email })
        .andWhere('invitation.acceptedAt IS NULL AND invitation.revokedAt IS NULL')
        .andWhere('invitation.expiresAt > :now', { now: new Date() })
        .getExists();
      if (pending) {
        throw new ConflictError(
          `${dto.email} already has a pending invitation; resend it instead.`,
        );
      }

      const token = generateSecretToken('inv');
      const invitation = await manager.save(
        manager.create(Invitation, {
          organizationId: membership.organizationId,
          email: dto.email,
          role: dto.role,
          token: sha256Hex(token),
          invitedById: membership.userId,
          expiresAt: this.expiry(),
          acceptedAt: null,
          revokedAt: null,
        }),
      );
      await this.enqueueEmail(manager, invitation, token);
      await this.audit.record(manager, {
        action: 'invitation.sent',
        organizationId: membership.organizationId,
        auditable: { type: 'invitation', id: invitation.id },
        newValues: { email: invitation.email, role: invitation.role },
      });
      return invitation;
    });
  }

  listPending(membership: Membership, query: CursorQueryDto): Promise<CursorPage<Invitation>> {
    const pending = membership.scope
      .query(this.dataSource.manager, Invitation, 'invitation')
      .andWhere('invitation.acceptedAt IS NULL AND invitation.revokedAt IS NULL')
      .andWhere('invitation.expiresAt > :now', { now: new Date() });
    return paginate(pending, [{ column: 'invitation.id', value: (i) => i.id }], query);
  }

  async revoke(membership: Membership, invitationId: number): Promise<void> {
    await inTransaction(this.dataSource, async (manager) => {
      const invitation = await this.findForUpdate(manager, membership, invitationId);
      const status = invitationStatus(invitation);
      if (status === 'accepted')
        throw new ConflictError('This invitation has already been accepted.');
      if (status === 'revoked') return;
      invitation.revokedAt = currentTimestamp();
      await manager.save(invitation);
      await this.audit.record(manager, {
        action: 'invitation.revoked',
        organizationId: membership.organizationId,
        auditable: { type: 'invitation', id: invitation.id },
        oldValues: { email: invitation.email, role: invitation.role },
      });
    });
  }

  /** A fresh token and expiry, mailed again; the previous link stops working. */
  async resend(membership: Membership, invitationId: number): Promise<Invitation> {
    return inTransaction(this.dataSource, async (manager) => {
      const invitation = await this.findForUpdate(manager, membership, invitationId);
      const status = invitationStatus(invitation);
      if (status === 'accepted' || status === 'revoked') {
        throw new ConflictError(`This invitation has been ${status}; send a new one instead.`);
      }
      const token = generateSecretToken('inv');
      invitation.token = sha256Hex(token);
      invitation.expiresAt = this.expiry();
      await manager.save(invitation);
      await this.enqueueEmail(manager, invitation, token);
      await this.audit.record(manager, {
        action: 'invitation.resent',
        organizationId: membership.organizationId,
        auditable: { type: 'invitation', id: invitation.id },
        newValues: { expires_at: invitation.expiresAt },
      });
      return invitation;
    });
  }

  /** What the public invitation page shows. Unknown tokens 404; used-up ones 410 with the reason. */
  async findByToken(
    token: string,
  ): Promise<{ invitation: Invitation; organization: Organization }> {
    const invitation = await this.dataSource
      .getRepository(Invitation)
      .findOneBy({ token: sha256Hex(token) });
    const organization = invitation
      ? await this.dataSource
          .getRepository(Organization)
          .findOneBy({ id: invitation.organizationId })
      : null;
    if (!invitation || !organization) throw new NotFoundError('Invitation');
    const status = invitationStatus(invitation);
    if (status !== 'pending') throw new InvitationUnusableError(status);
    return { invitation, organization };
  }

  /**
   * An existing account joins. Its address must be confirmed: otherwise whoever registered
   * someone's address first could collect the invitations sent to it.
   */
  async accept(user: User, token: string): Promise<OrganizationMember> {
    if (!user.emailVerifiedAt) {
      throw new ForbiddenError(
        'Confirm your email address first: POST /api/v1/me/email/verification mails the link.',
      );
    }
    return inTransaction(this.dataSource, (manager) => this.acceptForUser(manager, token, user));
  }

  /**
   * Redeems a token for `user` inside the caller's transaction (also used by registration). The
   * invitation row is locked, so two simultaneous accepts cannot both succeed.
   */
  async acceptForUser(
    manager: EntityManager,
    token: string,
    user: User,
  ): Promise<OrganizationMember> {
    const query = manager
      .getRepository(Invitation)
      .createQueryBuilder('invitation')
      .where('invitation.token = :hash', { hash: sha256Hex(token) });
    if (!isSqlite(this.dataSource)) query.setLock('pessimistic_write');
    const invitation = await query.getOne();
    const organization = invitation
      ? await manager.findOneBy(Organization, { id: invitation.organizationId })
      : null;
    if (!invitation || !organization) throw new NotFoundError('Invitation');
    const status = invitationStatus(invitation);
    if (status !== 'pending') throw new InvitationUnusableError(status);
    if (invitation.email.toLowerCase() !== user.email.toLowerCase()) {
      throw new ForbiddenError('This invitation was sent to a different email address.');
    }
    const existing = await manager.findOneBy(OrganizationMember, {
      organizationId: invitation.organizationId,
      userId: user.id,
    });
    if (existing) throw new ConflictError('You are already a member of this organization.');

    const now = currentTimestamp();
    const membership = await manager.save(
      manager.create(OrganizationMember, {
        organizationId: invitation.organizationId,
        userId: user.id,
        role: invitation.role,
        invitedAt: invitation.createdAt,
        joinedAt: now,
      }),
    );
    // A token of this user may be cached as "no member" here.
    await authFactsChanged(manager);
    invitation.acceptedAt = now;
    await manager.save(invitation);
    await this.audit.record(manager, {
      action: 'invitation.accepted',
      organizationId: invitation.organizationId,
      userId: user.id,
      auditable: { type: 'invitation', id: invitation.id },
      newValues: { email: invitation.email, role: invitation.role },
    });
    await this.audit.record(manager, {
      action: 'member.joined',
      organizationId: invitation.organizationId,
      userId: user.id,
      auditable: { type: 'user', id: user.id },
      newValues: { role: invitation.role },
    });
    return membership;
  }

  /**
   * Serialises invitation writes per organization: without it, two simultaneous invitations of
   * one email both pass the "already pending" check on MySQL. (SQLite runs one transaction at a
   * time.) The lock is on the organization row, held until the transaction ends.
   */
  private async lockOrganization(manager: EntityManager, organizationId: number): Promise<void> {
    if (isSqlite(this.dataSource)) return;
    await manager
      .getRepository(Organization)
      .createQueryBuilder('organization')
      .select('organization.id')
      .where('organization.id = :organizationId', { organizationId })
      .setLock('pessimistic_write')
      .getOne();
  }

  /** The organization's invitation, locked, so a revoke or resend cannot race an accept. */
  private async findForUpdate(
    manager: EntityManager,
    membership: Membership,
    invitationId: number,
  ): Promise<Invitation> {
    const query = membership.scope
      .query(manager, Invitation, 'invitation')
      .andWhere('invitation.id = :invitationId', { invitationId });
    if (!isSqlite(this.dataSource)) query.setLock('pessimistic_write');
    const invitation = await query.getOne();
    if (!invitation) throw new NotFoundError('Invitation');
    return invitation;
  }

  /**
   * What the mail links to: the web app's invitation page at APP_URL, which shows who invites
   * whom to what and lets the person sign up or sign in to accept.
   */
  private link(token: string): string {
    return `${this.config.appUrl}/invitations/${token}`;
  }

  /** Whole seconds, as stored: the expiry the API answers now is the one it answers later. */
  private expiry(): Date {
    return new Date(currentTimestamp().getTime() + this.config.auth.invitationTtlDays * 86_400_000);
  }

  private async enqueueEmail(manager: EntityManager, invitation: Invitation, token: string) {
    await this.queue.enqueue(
      manager,
      SEND_INVITATION,
      { invitation_id: invitation.id },
      { organizationId: invitation.organizationId, maxAttempts: 8, secrets: { token } },
    );
  }

  /** The job: mail the link, unless the invitation was used, revoked or re-sent meanwhile. */
  private async deliver(payload: SendInvitationPayload): Promise<void> {
    const invitation = await this.dataSource.getRepository(Invitation).findOne({
      where: { id: payload.invitation_id },
      relations: { organization: true, invitedBy: true },
    });
    if (!invitation || invitationStatus(invitation) !== 'pending') return;
    const token = payload.token;
    if (sha256Hex(token) !== invitation.token) return; // superseded by a resend
    await this.mail.send(
      invitationEmail({
        to: invitation.email,
        organizationName: invitation.organization!.name,
        inviterName: invitation.invitedBy?.name ?? 'A colleague',
        role: invitation.role,
        link: this.link(token),
        expiresAt: invitation.expiresAt,
      }),
    );
  }
}
