import { DataSource } from 'typeorm';
import { Integration } from '../integrations/integration.entity';
import { blocksWithActingCalendar } from '../sync/pending-blocks';
import { Output, writeLine } from './output';
import { renderTable } from './table';

/** How much of `last_error` the table shows (JSON has all of it). */
const ERROR_WIDTH = 40;

export interface IntegrationSyncStatus {
  id: number;
  organization_id: number;
  organization: string;
  provider: string;
  account_email: string | null;
  state: 'active' | 'needs_reconnect' | 'inactive';
  pending_blocks: number;
  error_blocks: number;
  last_sync_at: string | null;
  last_error: string | null;
  /** `now`, an ISO time, or null when nothing will be attempted (nothing pending, or stuck). */
  next_attempt_at: string | null;
  lease: { owner: string; expires_at: string } | null;
}

interface BlockCounts {
  pending: number;
  error: number;
  /** Pending blocks without a retry time: due at once. */
  dueNow: number;
  /** The earliest retry time among pending blocks that have one. */
  earliestRetry: Date | null;
}

/**
 * `sync:status`: one line per calendar integration — its health, its pending and failed blocks,
 * when the reconciler will try next and which worker holds it. `--json` prints the same data.
 */
export async function syncStatus(
  dataSource: DataSource,
  out: Output,
  options: { json?: boolean; now?: Date } = {},
): Promise<IntegrationSyncStatus[]> {
  const now = options.now ?? new Date();
  const integrations = await dataSource
    .getRepository(Integration)
    .createQueryBuilder('integration')
    .withDeleted()
    .innerJoinAndSelect('integration.organization', 'organization')
    .where('integration.providerType = :calendar', { calendar: 'calendar' })
    .orderBy('integration.organizationId', 'ASC')
    .addOrderBy('integration.id', 'ASC')
    .getMany();
  const counts = await blockCounts(dataSource);

  const statuses = integrations.map((integration): IntegrationSyncStatus => {
    const blocks = counts.get(integration.id) ?? {
      pending: 0,
      error: 0,
      dueNow: 0,
      earliestRetry: null,
    };
    const state =
      integration.needsReconnect === true
        ? 'needs_reconnect'
        : integration.isActive === false
          ? 'inactive'
          : 'active';
    const leased =
      integration.syncLeaseOwner !== null &&
      integration.syncLeaseExpiresAt !== null &&
      integration.syncLeaseExpiresAt.getTime() > now.getTime();
    return {
      id: integration.id,
      organization_id: integration.organizationId,
      organization: integration.organization?.name ?? '',
      provider: integration.provider,
      account_email: integration.providerAccountEmail,
      state,
      pending_blocks: blocks.pending,
      error_blocks: blocks.error,
      last_sync_at: iso(integration.lastSyncAt),
      last_error: integration.lastError,
      next_attempt_at: state === 'active' ? nextAttempt(integration, blocks, now) : null,
      lease: leased
        ? { owner: integration.syncLeaseOwner!, expires_at: iso(integration.syncLeaseExpiresAt)! }
        : null,
    };
  });

  if (options.json) {
    writeLine(out, JSON.stringify(statuses, null, 2));
  } else if (statuses.length === 0) {
    writeLine(out, 'No calendar integrations.');
  } else {
    writeLine(
      out,
      renderTable(
        [
          'ID',
          'Organization',
          'Provider',
          'Account',
          'State',
          'Pending',
          'Errors',
          'Last sync',
          'Last error',
          'Next attempt',
          'Lease',
        ],
        statuses.map((status) => [
          String(status.id),
          status.organization,
          status.provider,
          status.account_email ?? '-',
          status.state,
          String(status.pending_blocks),
          String(status.error_blocks),
          status.last_sync_at ?? 'never',
          shorten(status.last_error),
          status.next_attempt_at ?? '-',
          status.lease ? `${status.lease.owner} until ${status.lease.expires_at}` : '-',
        ]),
      ),
    );
  }
  return statuses;
}

/** Pending and failed blocks (soft-deleted ones included) per acting integration. */
export async function blockCounts(dataSource: DataSource): Promise<Map<number, BlockCounts>> {
  const rows = await blocksWithActingCalendar(dataSource.manager)
    .where('block.calendarSyncStatus IN (:...statuses)', { statuses: ['pending', 'error'] })
    .select('calendar.integrationId', 'integration_id')
    .addSelect('block.calendarSyncStatus', 'status')
    .addSelect('COUNT(*)', 'blocks')
    .addSelect('SUM(CASE WHEN block.syncRetryAt IS NULL THEN 1 ELSE 0 END)', 'due_now')
    .addSelect('MIN(block.syncRetryAt)', 'earliest_retry')
    .groupBy('calendar.integrationId')
    .addGroupBy('block.calendarSyncStatus')
    .getRawMany<{
      integration_id: number | string;
      status: 'pending' | 'error';
      blocks: number | string;
      due_now: number | string | null;
      earliest_retry: Date | string | null;
    }>();
  const counts = new Map<number, BlockCounts>();
  for (const row of rows) {
    const id = Number(row.integration_id);
    const entry = counts.get(id) ?? { pending: 0, error: 0, dueNow: 0, earliestRetry: null };
    entry[row.status] = Number(row.blocks);
    if (row.status === 'pending') {
      entry.dueNow = Number(row.due_now ?? 0);
      entry.earliestRetry = toDate(row.earliest_retry);
    }
    counts.set(id, entry);
  }
  return counts;
}

/**
 * The later of the integration's own wait (`sync_retry_at`) and its earliest due pending block;
 * `now` when that time has come. Nothing pending: only a wait still ahead is worth showing.
 */
function nextAttempt(integration: Integration, blocks: BlockCounts, now: Date): string | null {
  const integrationRetry = integration.syncRetryAt?.getTime() ?? null;
  if (blocks.pending === 0) {
    return integrationRetry !== null && integrationRetry > now.getTime()
      ? iso(integration.syncRetryAt)
      : null;
  }
  const blockRetry = blocks.dueNow > 0 ? now.getTime() : blocks.earliestRetry!.getTime();
  const next = Math.max(integrationRetry ?? blockRetry, blockRetry);
  return next <= now.getTime() ? 'now' : iso(new Date(next));
}

/** ISO 8601 to the second (the columns hold no more). */
function iso(date: Date | null): string | null {
  return date ? date.toISOString().replace(/\.\d{3}Z$/, 'Z') : null;
}

/** mysql2 gives Dates (the connection is UTC); SQLite gives the stored UTC text. */
export function toDate(value: Date | string | null): Date | null {
  if (value === null) return null;
  if (value instanceof Date) return value;
  const text = value.includes('T') ? value : value.replace(' ', 'T');
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`);
}

function shorten(text: string | null): string {
  if (!text) return '-';
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= ERROR_WIDTH ? line : `${line.slice(0, ERROR_WIDTH - 1)}…`;
}
