import { Readable } from 'node:stream';
import { Controller, Get, Query, StreamableFile } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Membership } from '../auth/authenticated-user';
import { CurrentMembership, RequirePermission } from '../auth/decorators';
import { ReportQueryDto, ReportSummaryQueryDto } from './dto/report-query.dto';
import { ReportsService } from './reports.service';

@ApiTags('reports')
@Controller('organizations/:organizationId/reports')
export class ReportsController {
  constructor(private readonly reports: ReportsService) {}

  /** Seconds, billed hours and amounts over a range, optionally in nested groups. */
  @Get('summary')
  @RequirePermission('reports:view')
  summary(@CurrentMembership() membership: Membership, @Query() query: ReportSummaryQueryDto) {
    return this.reports.summary(membership, query);
  }

  /** Every block of the range, one CSV row each, streamed as it is read. */
  @Get('export.csv')
  @RequirePermission('reports:view')
  @ApiProduces('text/csv')
  @ApiOkResponse({ description: 'RFC 4180 CSV (UTF-8, CRLF), sent in chunks as it is read.' })
  async export(@CurrentMembership() membership: Membership, @Query() query: ReportQueryDto) {
    const csv = await this.reports.exportCsv(membership, query);
    return new StreamableFile(Readable.from(csv.records), {
      type: 'text/csv; charset=utf-8',
      disposition: `attachment; filename="${csv.filename}"`,
    });
  }
}
