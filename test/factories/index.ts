import { createHash, randomBytes } from 'node:crypto';
import { DataSource, DeepPartial, EntityTarget, ObjectLiteral } from 'typeorm';
import { AuditLog } from '../../src/audit/audit-log.entity';
import { Calendar } from '../../src/calendars/calendar.entity';
import { CalendarEvent } from '../../src/calendar-events/calendar-event.entity';
import { Client } from '../../src/clients/client.entity';
import { currentTimestamp } from '../../src/database/timestamped.entity';
import { Encrypter } from '../../src/common/crypto/encrypter';
import { generateSecretToken, sha256Hex } from '../../src/common/crypto/tokens';
import { Integration } from '../../src/integrations/integration.entity';
import { OAuthState } from '../../src/integrations/oauth-state.entity';
import { ParkedGrant } from '../../src/integrations/pending-grants.service';
import { Invitation } from '../../src/invitations/invitation.entity';
import {
  OrganizationMember,
  OrganizationRole,
} from '../../src/organizations/organization-member.entity';
import { Organization } from '../../src/organizations/organization.entity';
import { Project } from '../../src/projects/project.entity';
import { TimeBlock } from '../../src/time-blocks/time-block.entity';
import { User } from '../../src/users/user.entity';
import { authFactsChanged } from '../../src/auth/verified-tokens';

/** Every factory user's password; its argon2id hash is precomputed so factories stay fast. */
export const TEST_PASSWORD = 'password';
export const TEST_PASSWORD_HASH =
  '$argon2id$v=19$m=65536,p=4,t=3$7NVuuws91+ej+6H8AD6g1w$yZURBhYKoPlUgFxbEfELFC+wHYdGOCHdn/hIVYfIXgY';

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

/**
 * Saved rows with sensible, unique defaults, so a spec states only what matters to it:
 *
 *   const factory = new Factory(dataSource);
 *   const organization = await factory.organization();          // with its owner as a member
 *   const bob = await factory.user();
 *   await factory.member(organization, bob, 'admin');
 *   await factory.timeBlock(organization, bob, { title: 'Deep work' });
 *
 * Every method takes overrides for any column; related rows are passed as entities and stored
 * by id. Rows are saved through the entities (so the timestamp listeners and column transformers
 * run) and come back with their database defaults loaded.
 */
export class Factory {
  private sequence = 0;

  constructor(private readonly dataSource: DataSource) {}

  user(values: Partial<User> = {}): Promise<User> {
    const n = this.next();
    return this.save(User, {
      name: `User ${n}`,
      email: `user${n}@example.test`,
      emailVerifiedAt: new Date(),
      password: TEST_PASSWORD_HASH,
      ...values,
    });
  }

  /** An organization and its owner (created unless given), who is also its `owner` member. */
  async organization(
    options: Partial<Organization> & { owner?: User } = {},
  ): Promise<Organization> {
    const { owner = await this.user(), ...values } = options;
    const n = this.next();
    const organization = await this.save(Organization, {
      name: `Organization ${n}`,
      slug: `organization-${n}`,
      ownerId: owner.id,
      ...values,
    });
    await this.member(organization, owner, 'owner');
    return organization;
  }

  async member(
    organization: Organization,
    user: User,
    role: OrganizationRole = 'member',
    values: Partial<OrganizationMember> = {},
  ): Promise<OrganizationMember> {
    const member = await this.save(OrganizationMember, {
      organizationId: organization.id,
      userId: user.id,
      role,
      joinedAt: currentTimestamp(),
      ...values,
    });
    // As the app's own writes do: a verified token of this user may be cached as "no member".
    await authFactsChanged(this.dataSource.manager);
    return member;
  }

  /** Sent by `invitedBy`, else by the organization's owner. `token` is a SHA-256 hex digest. */
  async invitation(
    organization: Organization,
    options: Partial<Invitation> & { invitedBy?: User } = {},
  ): Promise<Invitation> {
    const { invitedBy, ...values } = options;
    const n = this.next();
    return this.save(Invitation, {
      organizationId: organization.id,
      email: `invitee${n}@example.test`,
      role: 'member',
      token: createHash('sha256').update(randomBytes(32)).digest('hex'),
      invitedById: invitedBy?.id ?? (await this.ownerOf(organization)),
      expiresAt: new Date(currentTimestamp().getTime() + 7 * DAY),
      ...values,
    });
  }

  /** A Google calendar integration unless overridden, connected by `connectedBy` or the owner. */
  async integration(
    organization: Organization,
    options: Partial<Integration> & { connectedBy?: User } = {},
  ): Promise<Integration> {
    const { connectedBy, ...values } = options;
    const n = this.next();
    return this.save(Integration, {
      organizationId: organization.id,
      connectedById: connectedBy?.id ?? (await this.ownerOf(organization)),
      provider: 'google_calendar',
      providerType: 'calendar',
      name: `Integration ${n}`,
      // Opaque: real rows hold AES-256-GCM ciphertext written by the encryption service.
      accessToken: `access-token-${n}`,
      providerAccountEmail: `account${n}@example.test`,
      ...values,
    });
  }

  /**
   * A Google grant the callback parked for `user`, as if they had just consented, with its
   * reference (what their browser was sent to). `encrypter` is the app's: the grant is sealed
   * the way the callback seals it.
   */
  async pendingGrant(
    organization: Organization,
    user: User,
    encrypter: Encrypter,
  ): Promise<{ reference: string; state: OAuthState; email: string }> {
    const n = this.next();
    const email = `grant${n}@example.test`;
    const grant: ParkedGrant = {
      account: {
        accessToken: `parked-access-token-${n}`,
        refreshToken: `parked-refresh-token-${n}`,
        expiresAt: new Date(currentTimestamp().getTime() + HOUR).toISOString(),
        metadata: { scope: 'openid email' },
        accountId: `parked-account-${n}`,
        email,
      },
      calendars: [{ externalId: email, name: email, color: null, primary: true }],
    };
    const reference = generateSecretToken('pg');
    const state = await this.save(OAuthState, {
      stateHash: sha256Hex(generateSecretToken('st')),
      userId: user.id,
      organizationId: organization.id,
      provider: 'google_calendar',
      codeVerifier: null,
      parkedGrant: null,
      grantReferenceHash: sha256Hex(reference),
      expiresAt: new Date(currentTimestamp().getTime() + 10 * 60_000),
      usedAt: currentTimestamp(),
    });
    state.parkedGrant = encrypter.encrypt(JSON.stringify(grant), {
      column: 'oauth_states.parked_grant',
      id: state.id,
    });
    await this.dataSource.manager.update(OAuthState, state.id, { parkedGrant: state.parkedGrant });
    return { reference, state, email };
  }

  calendar(integration: Integration, values: Partial<Calendar> = {}): Promise<Calendar> {
    const n = this.next();
    return this.save(Calendar, {
      organizationId: integration.organizationId,
      integrationId: integration.id,
      externalId: `calendar-${n}@group.calendar.google.com`,
      name: `Calendar ${n}`,
      ...values,
    });
  }

  client(organization: Organization, values: Partial<Client> = {}): Promise<Client> {
    const n = this.next();
    return this.save(Client, {
      organizationId: organization.id,
      name: `Client ${n}`,
      ...values,
    });
  }

  project(
    organization: Organization,
    options: Partial<Project> & { client?: Client } = {},
  ): Promise<Project> {
    const { client, ...values } = options;
    const n = this.next();
    return this.save(Project, {
      organizationId: organization.id,
      clientId: client?.id ?? null,
      name: `Project ${n}`,
      hourlyRate: '85.00',
      ...values,
    });
  }

  /** A one-hour block; successive blocks fall in successive hours, so none overlap. */
  timeBlock(
    organization: Organization,
    user: User,
    options: Partial<TimeBlock> & { calendar?: Calendar; client?: Client; project?: Project } = {},
  ): Promise<TimeBlock> {
    const { calendar, client, project, ...values } = options;
    const n = this.next();
    const startTime = new Date(Date.UTC(2024, 0, 1, 9) + n * HOUR);
    return this.save(TimeBlock, {
      organizationId: organization.id,
      userId: user.id,
      calendarId: calendar?.id ?? null,
      clientId: client?.id ?? project?.clientId ?? null,
      projectId: project?.id ?? null,
      title: `Block ${n}`,
      startTime,
      endTime: new Date(startTime.getTime() + HOUR),
      timezone: 'UTC',
      ...values,
    });
  }

  auditLog(
    options: Partial<AuditLog> & { organization?: Organization; user?: User } = {},
  ): Promise<AuditLog> {
    const { organization, user, ...values } = options;
    return this.save(AuditLog, {
      organizationId: organization?.id ?? null,
      userId: user?.id ?? null,
      action: 'test.event',
      ...values,
    });
  }

  /**
   * An external event (busy time) in `calendar`, belonging to the member who connected the
   * calendar's account unless `user` is given; one hour, successive events in successive hours.
   */
  async calendarEvent(
    calendar: Calendar,
    options: Partial<CalendarEvent> & { user?: User } = {},
  ): Promise<CalendarEvent> {
    const { user, ...values } = options;
    const n = this.next();
    const startTime = new Date(Date.UTC(2024, 0, 1, 9) + n * HOUR);
    const userId =
      user?.id ??
      (
        await this.dataSource
          .getRepository(Integration)
          .findOneByOrFail({ id: calendar.integrationId })
      ).connectedById;
    return this.save(CalendarEvent, {
      organizationId: calendar.organizationId,
      calendarId: calendar.id,
      userId,
      externalId: `external-event-${n}`,
      title: `Event ${n}`,
      startTime,
      endTime: new Date(startTime.getTime() + HOUR),
      timezone: 'UTC',
      ...values,
    });
  }

  private next(): number {
    return ++this.sequence;
  }

  private async ownerOf(organization: Organization): Promise<number> {
    return organization.ownerId ?? (await this.user()).id;
  }

  private save<T extends ObjectLiteral>(
    target: EntityTarget<T>,
    values: DeepPartial<T>,
  ): Promise<T> {
    const repository = this.dataSource.getRepository(target);
    return repository.save(repository.create(values));
  }
}
