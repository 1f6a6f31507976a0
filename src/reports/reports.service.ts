import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Membership } from '../auth/authenticated-user';
import { Organization } from '../organizations/organization.entity';
import { formatCents, formatQuarters, formatSecondsAsHours, rateToCents } from './billing';
import { csvRecord } from './csv';
import { ReportQueryDto, ReportSummaryQueryDto, ReportDimension } from './dto/report-query.dto';
import { LocalCalendar, parseRange, ReportRange } from './local-calendar';
import {
  priceBlock,
  ReportAggregator,
  ReportFigures,
  ReportGroup,
  PricedBlock,
} from './report-aggregator';
import { ReportBlock, ReportFilters, reportBlocks } from './report-blocks';
import { ZoneClock } from './zone-clock';

export interface ReportSummary {
  from: string;
  to: string;
  timezone: string;
  group_by: ReportDimension[];
  totals: ReportFigures;
  groups: ReportGroup[];
}

export interface CsvExport {
  filename: string;
  /** The CSV, one record per item; produced only as fast as it is consumed. */
  records: AsyncIterable<string>;
}

export const CSV_COLUMNS = [
  'block_id',
  'user',
  'title',
  'client',
  'project',
  'timezone',
  'local_start',
  'local_end',
  'start_utc',
  'end_utc',
  'hours',
  'billable',
  'billed_hours',
  'rate',
  'amount',
  'approval_status',
  'invoicing_status',
  'invoice_reference',
] as const;

interface ReportContext {
  range: ReportRange;
  filters: ReportFilters;
  defaultRateCents: bigint | null;
}

/**
 * Summaries and CSV exports of the organization's time blocks over a range. Blocks are read page
 * by page (report-blocks.ts) and folded as they come, so neither a year-long summary nor an
 * export of every block holds more than one page of blocks in memory.
 *
 * Filter ids (`user_id`, `client_id`, `project_id`) are matched within the organization: another
 * tenant's id, like an unknown one, matches no block — the convention of every list's query
 * filters (test/tenancy/route-isolation.e2e-spec.ts), so nothing reveals whether it exists.
 */
@Injectable()
export class ReportsService {
  constructor(private readonly dataSource: DataSource) {}

  async summary(membership: Membership, query: ReportSummaryQueryDto): Promise<ReportSummary> {
    const context = await this.prepare(membership, query);
    const groupBy = query.group_by ?? [];
    const aggregator = new ReportAggregator(groupBy, new LocalCalendar(context.range.zone));
    for await (const block of this.blocks(membership, context, 'id')) {
      aggregator.add(this.price(block, context));
    }
    return {
      from: context.range.from.toUTC().toISO()!,
      to: context.range.to.toUTC().toISO()!,
      timezone: context.range.zone,
      group_by: groupBy,
      totals: aggregator.totals(),
      groups: aggregator.groups(),
    };
  }

  /**
   * Validates and resolves everything first (errors still answer problem+json), then hands back
   * a lazy sequence of CSV records that reads the next page of blocks only when the response has
   * taken the previous ones. Hours, billed hours and amounts count the part of each block within
   * the range, exactly as the summary does, so the export adds up to the summary's totals.
   */
  async exportCsv(membership: Membership, query: ReportQueryDto): Promise<CsvExport> {
    const context = await this.prepare(membership, query);
    const { from, to } = context.range;
    return {
      filename: `danwel-${from.toISODate()}-${to.toISODate()}.csv`,
      records: this.csvRecords(membership, context),
    };
  }

  private async *csvRecords(membership: Membership, context: ReportContext) {
    yield csvRecord(CSV_COLUMNS);
    for await (const block of this.blocks(membership, context, 'chronological')) {
      yield csvRecord(csvRow(this.price(block, context), context.range.zone));
    }
  }

  private blocks(membership: Membership, context: ReportContext, order: 'id' | 'chronological') {
    return reportBlocks(this.dataSource.manager, membership, context.filters, order);
  }

  private price(block: ReportBlock, context: ReportContext): PricedBlock {
    // The most specific rate wins: the project's, else the organization's default.
    const rate = rateToCents(block.projectRate) ?? context.defaultRateCents;
    return priceBlock(block, context.range, rate);
  }

  private async prepare(membership: Membership, query: ReportQueryDto): Promise<ReportContext> {
    const organization = await this.dataSource
      .getRepository(Organization)
      .findOneByOrFail({ id: membership.organizationId });
    // The organization's zone was validated when it was set; a stale one falls back to UTC.
    const own =
      organization.timezone && ZoneClock.of(organization.timezone) ? organization.timezone : 'UTC';
    const zone = query.timezone ?? own;
    const range = parseRange(query.from, query.to, zone);
    return {
      range,
      filters: {
        fromSecond: range.fromSecond,
        toSecond: range.toSecond,
        userId: query.user_id === 'all' ? undefined : query.user_id,
        clientId: query.client_id,
        projectId: query.project_id,
        isBillable: query.is_billable,
        approvalStatus: query.approval_status,
        invoicingStatus: query.invoicing_status,
      },
      defaultRateCents: rateToCents(organization.settings?.default_hourly_rate),
    };
  }
}

/** One CSV row: local times in the block's own zone (the report's if it has none that works). */
function csvRow(priced: PricedBlock, reportZone: string) {
  const { block } = priced;
  const ownClock = ZoneClock.of(block.timezone);
  const zone = ownClock ? block.timezone : reportZone;
  const clock = ownClock ?? ZoneClock.of(reportZone)!;
  const utc = (second: number) => new Date(second * 1000).toISOString().replace('.000Z', 'Z');
  return [
    block.id,
    block.userName,
    block.title,
    block.clientName,
    block.projectName,
    zone,
    clock.localDateTime(block.start),
    clock.localDateTime(block.end),
    utc(block.start),
    utc(block.end),
    formatSecondsAsHours(priced.seconds),
    block.billable ? 'yes' : 'no',
    formatQuarters(priced.quarters),
    block.billable && priced.rateCents !== null ? formatCents(priced.rateCents) : '',
    formatCents(priced.cents),
    block.approvalStatus,
    block.invoicingStatus,
    block.invoiceReference,
  ];
}
