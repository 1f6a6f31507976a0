import { isDeepStrictEqual } from 'node:util';
import { DateTime } from 'luxon';
import { TimeBlock } from '../../src/time-blocks/time-block.entity';
import type { InvoicingChaosWorld, Tenant } from './invoicing-world';

/*
 * What must hold once the invoicing chaos has settled: every approved billable block on a
 * bookable project has exactly one entry in its provider account, with the right rounded
 * duration, project, task, user and local date; deleted, unapproved, non-billable and local
 * blocks have none; an entry the provider locked or invoiced is exactly as it was then, its block
 * sent to billing with the invoice reference; no entry belongs to no block; every block is
 * settled.
 */

/** Each count must be zero. */
export interface InvoicingViolations {
  duplicates: number;
  mismatches: number;
  missing: number;
  orphans: number;
  lockedTouched: number;
  notSettled: number;
}

export const NO_VIOLATIONS: InvoicingViolations = {
  duplicates: 0,
  mismatches: 0,
  missing: 0,
  orphans: 0,
  lockedTouched: 0,
  notSettled: 0,
};

/** Compares every block of every tenant with the entries in its provider account. */
export async function checkInvoicing(world: InvoicingChaosWorld) {
  const totals = { blocks: 0, entries: 0, expected: 0, locked: 0, ...NO_VIOLATIONS };
  const problems: unknown[] = [];
  for (const tenant of world.tenants) {
    const rows = await world.t.dataSource.manager.find(TimeBlock, {
      where: { organizationId: tenant.team.organization.id },
      withDeleted: true,
    });
    const entries = tenant.world.entries();
    totals.blocks += rows.length;
    totals.entries += entries.length;
    const claimed = new Set<string>();
    for (const block of rows) {
      const tag = `[chaos ${block.description?.match(/\[chaos (\d+)\]/)?.[1]}]`;
      const own = entries.filter((entry) => entry.description.includes(tag));
      own.forEach((entry) => claimed.add(entry.externalId));
      if (block.invoicingSyncStatus === 'pending' || block.invoicingSyncStatus === 'error') {
        totals.notSettled += 1;
        problems.push({ notSettled: summary(block) });
      }
      if (own.length > 1) {
        totals.duplicates += own.length - 1;
        problems.push({ duplicates: block.id, entries: own });
      }
      const lockedEntry = own.find((entry) => tenant.locked.has(entry.externalId));
      if (lockedEntry) {
        // Locked or invoiced upstream: left exactly as it was, the block sent to billing.
        totals.locked += 1;
        const { entry, reference } = tenant.locked.get(lockedEntry.externalId)!;
        if (
          !isDeepStrictEqual(lockedEntry, entry) ||
          block.approvalStatus !== 'sent_to_billing' ||
          (reference !== undefined && block.invoiceReference !== reference)
        ) {
          totals.lockedTouched += 1;
          problems.push({
            lockedTouched: block.id,
            entry: lockedEntry,
            status: block.approvalStatus,
          });
        }
        continue;
      }
      if (!expectsEntry(tenant, block)) {
        if (own.length > 0) {
          totals.orphans += own.length;
          problems.push({ orphan: summary(block), entries: own });
        }
        continue;
      }
      totals.expected += 1;
      const [entry] = own;
      if (!entry) {
        totals.missing += 1;
        problems.push({ missing: summary(block) });
        continue;
      }
      const seconds = (block.endTime.getTime() - block.startTime.getTime()) / 1000;
      const want = {
        externalId: block.externalInvoicingEntryId,
        minutes: Math.ceil(seconds / 900) * 15,
        spentDate: DateTime.fromJSDate(block.startTime, { zone: block.timezone }).toISODate(),
        projectExternalId: tenant.world.fixtures.projectExternalId,
        taskExternalId: tenant.world.fixtures.taskExternalId,
        userExternalId: tenant.world.fixtures.userExternalId,
        title: true,
      };
      const got = {
        externalId: entry.externalId,
        minutes: entry.minutes,
        spentDate: entry.spentDate,
        projectExternalId: entry.projectExternalId,
        taskExternalId: entry.taskExternalId,
        userExternalId: entry.userExternalId,
        title: entry.description.includes(block.title),
      };
      if (!isDeepStrictEqual(want, got)) {
        totals.mismatches += 1;
        problems.push({ mismatch: block.id, want, got });
      }
    }
    // Entries that belong to no block at all.
    for (const entry of entries) {
      if (claimed.has(entry.externalId)) continue;
      totals.orphans += 1;
      problems.push({ orphan: null, entry });
    }
  }
  if (problems.length > 0) process.stdout.write(`problems: ${JSON.stringify(problems)}\n`);
  return totals;
}

/** Whether the block must have an entry: live, billable, approved, on the provider's project. */
function expectsEntry(tenant: Tenant, block: TimeBlock): boolean {
  return (
    block.deletedAt === null &&
    block.isBillable === true &&
    block.projectId === tenant.bookable.id &&
    (block.approvalStatus === 'approved' || block.approvalStatus === 'sent_to_billing')
  );
}

/** A block's billing state, for a problem report. */
function summary(block: TimeBlock) {
  return {
    id: block.id,
    description: block.description,
    deleted: block.deletedAt !== null,
    billable: block.isBillable,
    project: block.projectId,
    approval: block.approvalStatus,
    invoicing: block.invoicingSyncStatus,
    entry: block.externalInvoicingEntryId,
    error: block.invoicingSyncError,
  };
}
