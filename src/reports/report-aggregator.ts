import { allocate, amountCents, billedQuarters, formatCents, formatQuarters } from './billing';
import { ReportDimension } from './dto/report-query.dto';
import { DayPart, isoUtc, LocalCalendar, Period, ReportRange } from './local-calendar';
import { ReportBlock } from './report-blocks';
import { APPROVAL_STATUSES, SYNC_STATUSES } from '../time-blocks/time-block.entity';

/** What one block contributes within the report's range. */
export interface PricedBlock {
  block: ReportBlock;
  /** The block clipped to the range, Unix seconds. */
  start: number;
  end: number;
  seconds: number;
  billableSeconds: number;
  /** Billed time in quarter-hours: the billable seconds in the range, rounded up once per block. */
  quarters: number;
  /** The effective hourly rate in cents (project's, else the organization default), or none. */
  rateCents: bigint | null;
  /** quarters × rate, rounded half-up to the cent once per block. */
  cents: bigint;
}

export function priceBlock(
  block: ReportBlock,
  range: ReportRange,
  rateCents: bigint | null,
): PricedBlock {
  const start = Math.max(block.start, range.fromSecond);
  const end = Math.min(block.end, range.toSecond);
  const seconds = Math.max(0, end - start);
  const billableSeconds = block.billable ? seconds : 0;
  const quarters = billedQuarters(billableSeconds);
  return {
    block,
    start,
    end,
    seconds,
    billableSeconds,
    quarters,
    rateCents,
    cents: amountCents(quarters, rateCents),
  };
}

export type GroupKey =
  | { dimension: 'user' | 'client' | 'project'; id: number | null; name: string | null }
  | { dimension: 'approval_status' | 'invoicing_status'; value: string }
  | {
      dimension: 'block';
      id: number;
      title: string;
      /** The whole block, UTC (its figures count only the part within the range). */
      start: string;
      end: string;
      approval_status: string;
      invoicing_status: string;
      invoice_reference: string | null;
    }
  | { dimension: 'day' | 'week' | 'month'; value: string; from: string; to: string };

export interface ReportFigures {
  total_seconds: number;
  billable_seconds: number;
  /** Decimal string, two decimals: `"1.25"`. */
  billed_hours: string;
  /** Decimal string, two decimals: `"106.25"`. */
  amount: string;
}

export interface ReportGroup extends ReportFigures {
  key: GroupKey;
  groups?: ReportGroup[];
}

interface Sums {
  seconds: number;
  billableSeconds: number;
  quarters: number;
  cents: bigint;
}

interface Node {
  key: GroupKey;
  /** Chronological for periods; by name (none last), then id, for the others. */
  order: [number, string, number];
  sums: Sums;
  children: Map<string, Node>;
}

const TIME_DIMENSIONS: ReadonlySet<ReportDimension> = new Set(['day', 'week', 'month']);

/**
 * Sums priced blocks into the requested levels of groups, in memory proportional to the number
 * of groups, never to the number of blocks (unless asked for a group per block).
 *
 * The allocation rule, chosen so that the figures always add up: billed hours are rounded up
 * once per block (its billable seconds within the range, to the next quarter-hour) and its amount
 * is that × the rate, rounded to the cent once per block — so the report's totals are the same
 * whatever `group_by` says, and equal what an invoicing push bills. A block belongs to exactly
 * one user, client and project. When time groups are asked for, a block is cut at local midnight
 * (weeks and months start at a local midnight too); each part's seconds count in its own day,
 * week and month, and the block's billed quarter-hours are shared out over its days in
 * proportion to the seconds in each (largest-remainder method on whole quarter-hours, the
 * earlier day first on a tie), then its cents in proportion to those quarter-hours. Weeks and
 * months add up their days. Every figure at every level is thus a sum of whole parts, and the
 * groups of each level add up exactly to their parent and to the totals. (Rounding each part on
 * its own, as some tools do, would make a block crossing midnight bill more when grouped by day
 * than in the totals.)
 */
export class ReportAggregator {
  private readonly root: Node = newNode({ dimension: 'user', id: null, name: null }, [0, '', 0]);
  private readonly splitByDay: boolean;

  constructor(
    private readonly groupBy: readonly ReportDimension[],
    private readonly calendar: LocalCalendar,
  ) {
    this.splitByDay = groupBy.some((dimension) => TIME_DIMENSIONS.has(dimension));
  }

  add(priced: PricedBlock): void {
    if (priced.seconds <= 0) return;
    addTo(this.root.sums, priced.seconds, priced.billableSeconds, priced.quarters, priced.cents);
    if (this.groupBy.length === 0) return;

    const parts: (DayPart | null)[] = this.splitByDay
      ? this.calendar.splitByDay(priced.start, priced.end)
      : [null];
    const seconds = parts.map((part) => (part ? part.end - part.start : priced.seconds));
    const quarters =
      parts.length === 1 ? [BigInt(priced.quarters)] : allocate(BigInt(priced.quarters), seconds);
    const cents =
      parts.length === 1
        ? [priced.cents]
        : allocate(
            priced.cents,
            quarters.map((q) => Number(q)),
          );
    parts.forEach((part, index) => {
      let node = this.root;
      for (const dimension of this.groupBy) {
        const id = groupId(dimension, priced.block, part);
        let child = node.children.get(id);
        if (!child) {
          child = groupNode(dimension, priced.block, part);
          node.children.set(id, child);
        }
        addTo(
          child.sums,
          seconds[index],
          priced.block.billable ? seconds[index] : 0,
          Number(quarters[index]),
          cents[index],
        );
        node = child;
      }
    });
  }

  totals(): ReportFigures {
    return figures(this.root.sums);
  }

  groups(): ReportGroup[] {
    return present(this.root, this.groupBy.length);
  }
}

function newNode(key: GroupKey, order: Node['order']): Node {
  return {
    key,
    order,
    sums: { seconds: 0, billableSeconds: 0, quarters: 0, cents: 0n },
    children: new Map(),
  };
}

function addTo(
  sums: Sums,
  seconds: number,
  billableSeconds: number,
  quarters: number,
  cents: bigint,
) {
  sums.seconds += seconds;
  sums.billableSeconds += billableSeconds;
  sums.quarters += quarters;
  sums.cents += cents;
}

function figures(sums: Sums): ReportFigures {
  return {
    total_seconds: sums.seconds,
    billable_seconds: sums.billableSeconds,
    billed_hours: formatQuarters(sums.quarters),
    amount: formatCents(sums.cents),
  };
}

function periodKey(dimension: 'day' | 'week' | 'month', period: Period): GroupKey {
  return { dimension, value: period.value, from: isoUtc(period.start), to: isoUtc(period.end) };
}

/** Which group of a level a block part falls in (the key of its node among its siblings). */
function groupId(dimension: ReportDimension, block: ReportBlock, part: DayPart | null): string {
  switch (dimension) {
    case 'user':
      return String(block.userId);
    case 'client':
      return String(block.clientId);
    case 'project':
      return String(block.projectId);
    case 'approval_status':
      return block.approvalStatus;
    case 'invoicing_status':
      return block.invoicingStatus;
    case 'block':
      return String(block.id);
    case 'day':
      return part!.day.value;
    default:
      return part!.day[dimension].value;
  }
}

/** A new group for a block part: its presented key and its sort order. */
function groupNode(dimension: ReportDimension, block: ReportBlock, part: DayPart | null): Node {
  const named = (id: number | null, name: string | null) =>
    newNode({ dimension: dimension as 'user' | 'client' | 'project', id, name }, [
      id === null ? 1 : 0,
      (name ?? '').toLocaleLowerCase('en'),
      id ?? 0,
    ]);
  switch (dimension) {
    case 'user':
      return named(block.userId, block.userName);
    case 'client':
      return named(block.clientId, block.clientName);
    case 'project':
      return named(block.projectId, block.projectName);
    case 'approval_status':
      // In the order a block goes through them.
      return newNode({ dimension, value: block.approvalStatus }, [
        APPROVAL_STATUSES.indexOf(block.approvalStatus),
        '',
        0,
      ]);
    case 'invoicing_status':
      return newNode({ dimension, value: block.invoicingStatus }, [
        SYNC_STATUSES.indexOf(block.invoicingStatus),
        '',
        0,
      ]);
    case 'block':
      // Chronological, as the CSV lists them.
      return newNode(
        {
          dimension,
          id: block.id,
          title: block.title,
          start: isoUtc(block.start),
          end: isoUtc(block.end),
          approval_status: block.approvalStatus,
          invoicing_status: block.invoicingStatus,
          invoice_reference: block.invoiceReference,
        },
        [block.start, '', block.id],
      );
    default: {
      const period = dimension === 'day' ? part!.day : part!.day[dimension];
      return newNode(periodKey(dimension, period), [period.start, '', 0]);
    }
  }
}

function compare(a: Node, b: Node): number {
  for (let i = 0; i < 3; i++) {
    if (a.order[i] < b.order[i]) return -1;
    if (a.order[i] > b.order[i]) return 1;
  }
  return 0;
}

function present(node: Node, depth: number): ReportGroup[] {
  return [...node.children.values()].sort(compare).map((child) => ({
    key: child.key,
    ...figures(child.sums),
    ...(depth > 1 ? { groups: present(child, depth - 1) } : {}),
  }));
}
