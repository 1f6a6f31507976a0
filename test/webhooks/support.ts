import { Calendar } from '../../src/calendars/calendar.entity';
import { sha256Hex } from '../../src/common/crypto/tokens';
import { Organization } from '../../src/organizations/organization.entity';
import { InvoicingReconciler } from '../../src/sync/invoicing-reconciler';
import { TimeBlock } from '../../src/time-blocks/time-block.entity';
import { Factory } from '../factories';
import type { Actor, Team } from '../support/actors';
import { TestApp } from '../support/app';

export const HOUR_MS = 3_600_000;

/**
 * A calendar with a live push channel, as the sync worker leaves it after opening one: the
 * channel id, the SHA-256 of its secret, an expiry in the future, and its next pull an hour away.
 */
export async function watchedCalendar(
  factory: Factory,
  organization: Organization,
  options: {
    provider?: 'google_calendar' | 'office365';
    channelId: string;
    secret: string;
    expiresAt?: Date;
  },
): Promise<Calendar> {
  const integration = await factory.integration(organization, {
    provider: options.provider ?? 'google_calendar',
  });
  return factory.calendar(integration, {
    pushChannelId: options.channelId,
    pushResourceId: `resource-${options.channelId}`,
    pushSecretHash: sha256Hex(options.secret),
    pushExpiresAt: options.expiresAt ?? new Date(Date.now() + 5 * 24 * HOUR_MS),
    nextPullAt: new Date(Math.floor(Date.now() / 1000) * 1000 + HOUR_MS),
    lastPulledAt: new Date(Math.floor(Date.now() / 1000) * 1000 - HOUR_MS),
  });
}

/** The calendar row as stored (every column), to prove that nothing changed. */
export async function calendarRow(t: TestApp, id: number): Promise<Record<string, unknown>> {
  const rows: Record<string, unknown>[] = await t.dataSource.query(
    'SELECT * FROM calendars WHERE id = ?',
    [id],
  );
  return rows[0];
}

/** When the calendar is pulled next. */
export async function nextPullAt(t: TestApp, id: number): Promise<Date | null> {
  const calendar = await t.dataSource.getRepository(Calendar).findOneByOrFail({ id });
  return calendar.nextPullAt;
}

/** How many audit rows exist at all (webhooks record none). */
export async function auditCount(t: TestApp): Promise<number> {
  const [row]: { n: number | string }[] = await t.dataSource.query(
    'SELECT COUNT(*) AS n FROM audit_logs',
  );
  return Number(row.n);
}

/**
 * A one-hour billable block of `member`'s on the project, on day `day` of April 2026, pushed to
 * the invoicing account by the reconciler; answers its id and the entry it was booked as.
 */
export async function bookedBlock(
  t: TestApp,
  team: Team,
  member: Actor,
  projectId: number,
  day: number,
): Promise<{ id: number; entryId: string }> {
  const date = new Date(Date.UTC(2026, 3, 1 + day)).toISOString().slice(0, 10);
  const created = await member.post(team.url('/time-blocks')).send({
    title: `Workshop ${day}`,
    start_time: `${date}T09:00:00`,
    end_time: `${date}T10:00:00`,
    timezone: 'Europe/Amsterdam',
    project_id: projectId,
    is_billable: true,
  });
  expect(created.status).toBe(201);
  const id = (created.body as { id: number }).id;
  await t.app.get(InvoicingReconciler).drain();
  const block = await t.dataSource.manager.findOneByOrFail(TimeBlock, { id });
  expect(block.externalInvoicingEntryId).not.toBeNull();
  return { id, entryId: block.externalInvoicingEntryId! };
}
