import { Injectable, OnModuleInit } from '@nestjs/common';
import { EntityManager, In } from 'typeorm';
import { CalendarEvent } from '../calendar-events/calendar-event.entity';
import { Calendar } from '../calendars/calendar.entity';
import { JobHandlerRegistry } from '../jobs/job-handler';
import { JobQueue } from '../jobs/job-queue.service';
import { IntegrationDisconnectService } from './integration-disconnect.service';
import { Integration } from './integration.entity';

export const DISCONNECT_DEPARTED = 'integrations.disconnect_departed';

/** Why a connection is ended without its owner asking. */
export type DepartureReason = 'member_removed' | 'member_left' | 'organization_deleted';

interface DisconnectDepartedPayload {
  organization_id: number;
  integration_id: number;
  reason: DepartureReason;
}

/**
 * Nothing of a member outlives their membership. In the transaction that ends it (removal,
 * leaving, the organization's deletion), their connected accounts there stop at once — no push,
 * no pull, no new blocks on their calendars — and their busy time disappears; a durable job then
 * disconnects each account for real (grant revoked, push channels stopped, blocks detached).
 * `userId` null: everyone's, for a deleted organization.
 */
export async function endConnections(
  manager: EntityManager,
  queue: JobQueue,
  organizationId: number,
  userId: number | null,
  reason: DepartureReason,
): Promise<void> {
  const owned = userId === null ? { organizationId } : { organizationId, connectedById: userId };
  const integrations = await manager.find(Integration, { select: { id: true }, where: owned });
  if (integrations.length > 0) {
    const ids = integrations.map(({ id }) => id);
    await manager.update(Integration, owned, { isActive: false });
    // Nobody plans onto these calendars any more; the job detaches the blocks already there.
    await manager.update(
      Calendar,
      { organizationId, integrationId: In(ids) },
      { isEnabled: false },
    );
  }
  await manager.delete(
    CalendarEvent,
    userId === null ? { organizationId } : { organizationId, userId },
  );
  for (const { id } of integrations) {
    const payload: DisconnectDepartedPayload = {
      organization_id: organizationId,
      integration_id: id,
      reason,
    };
    await queue.enqueue(
      manager,
      DISCONNECT_DEPARTED,
      { ...payload },
      {
        organizationId,
        maxAttempts: 20,
      },
    );
  }
}

/** The job half of `endConnections`. */
@Injectable()
export class DepartedConnections implements OnModuleInit {
  constructor(
    private readonly registry: JobHandlerRegistry,
    private readonly disconnector: IntegrationDisconnectService,
  ) {}

  onModuleInit(): void {
    this.registry.register<DisconnectDepartedPayload>(DISCONNECT_DEPARTED, {
      handle: (payload) =>
        this.disconnector.disconnectDeparted(
          payload.organization_id,
          payload.integration_id,
          payload.reason,
        ),
    });
  }
}
