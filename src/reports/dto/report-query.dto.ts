import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, TransformFnParams, Type } from 'class-transformer';
import {
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsPositive,
  ValidateIf,
} from 'class-validator';
import { IsTimeZone } from '../../common/validation/validators';
import {
  APPROVAL_STATUSES,
  ApprovalStatus,
  SYNC_STATUSES,
  SyncStatus,
} from '../../time-blocks/time-block.entity';

export const REPORT_DIMENSIONS = [
  'user',
  'client',
  'project',
  'approval_status',
  'invoicing_status',
  'day',
  'week',
  'month',
  'block',
] as const;
export type ReportDimension = (typeof REPORT_DIMENSIONS)[number];

const RANGE_NOTE =
  'ISO 8601. With an offset (`Z`, `+02:00`) it is that instant; without one (`2025-03-01`, ' +
  '`2025-03-01T08:00`) it is wall-clock time in the report’s `timezone`, so a bare date is local ' +
  'midnight. The range is half-open `[from, to)` and at most 366 days long.';

/** The range, time zone and filters shared by the summary and the CSV export. */
export class ReportQueryDto {
  @ApiProperty({ example: '2025-03-01', description: `Start (inclusive). ${RANGE_NOTE}` })
  @IsISO8601({ strict: true }, { message: 'from must be an ISO 8601 date or date-time' })
  from!: string;

  @ApiProperty({ example: '2025-04-01', description: `End (exclusive). ${RANGE_NOTE}` })
  @IsISO8601({ strict: true }, { message: 'to must be an ISO 8601 date or date-time' })
  to!: string;

  @ApiPropertyOptional({
    example: 'Europe/Amsterdam',
    description: 'IANA zone that cuts days, weeks and months. Default: the organization’s.',
  })
  @IsOptional()
  @IsTimeZone()
  timezone?: string;

  @ApiPropertyOptional({
    description: 'A member’s user id, or `all` (the default): everyone’s blocks.',
    oneOf: [
      { type: 'integer', minimum: 1 },
      { type: 'string', enum: ['all'] },
    ],
  })
  @IsOptional()
  @Transform(({ value }: TransformFnParams): unknown =>
    typeof value === 'string' && /^[1-9]\d{0,14}$/.test(value) ? Number(value) : value,
  )
  @ValidateIf((_, value) => value !== 'all')
  @IsInt({ message: 'user_id must be a member’s user id or all' })
  @IsPositive({ message: 'user_id must be a member’s user id or all' })
  user_id?: number | 'all';

  @ApiPropertyOptional({ type: 'integer', minimum: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @IsPositive()
  client_id?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @IsPositive()
  project_id?: number;

  @ApiPropertyOptional({
    type: Boolean,
    description: 'Omitted: all blocks. `true`: billable ones only. `false`: the others.',
  })
  @IsOptional()
  @Transform(({ value }: TransformFnParams): unknown =>
    value === 'true' ? true : value === 'false' ? false : value,
  )
  @IsBoolean({ message: 'is_billable must be true or false' })
  is_billable?: boolean;

  @ApiPropertyOptional({ enum: APPROVAL_STATUSES })
  @IsOptional()
  @IsIn(APPROVAL_STATUSES, {
    message: `approval_status must be one of ${APPROVAL_STATUSES.join(', ')}`,
  })
  approval_status?: ApprovalStatus;

  @ApiPropertyOptional({
    enum: SYNC_STATUSES,
    description:
      'Where the block stands with the invoicing integration: `pending` (to be booked), ' +
      '`synced` (booked), `error` (cannot be booked, see the block’s `invoicing_sync_error`), `disabled` ' +
      '(not to be booked: not billable, not approved, or no invoicing integration).',
  })
  @IsOptional()
  @IsIn(SYNC_STATUSES, {
    message: `invoicing_status must be one of ${SYNC_STATUSES.join(', ')}`,
  })
  invoicing_status?: SyncStatus;
}

export class ReportSummaryQueryDto extends ReportQueryDto {
  @ApiPropertyOptional({
    type: String,
    example: 'client,project',
    description:
      'Comma-separated levels, outermost first, each at most once: ' +
      `${REPORT_DIMENSIONS.join(', ')}. Omitted: totals only. \`block\` is the detailed ` +
      'report: one group per block, its key with the title, UTC start and end, approval and ' +
      'invoicing status and `invoice_reference`.',
  })
  @IsOptional()
  @Transform(({ value }: TransformFnParams): unknown =>
    typeof value === 'string'
      ? value.split(',').map((part) => part.trim())
      : Array.isArray(value)
        ? value.flatMap((part) => String(part).split(',')).map((part) => part.trim())
        : value,
  )
  @IsArray()
  @IsIn(REPORT_DIMENSIONS, {
    each: true,
    message: `group_by must be a comma-separated list of ${REPORT_DIMENSIONS.join(', ')}`,
  })
  @ArrayUnique({ message: 'group_by must not name a level twice' })
  group_by?: ReportDimension[];
}
