import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsPositive, IsString, Matches } from 'class-validator';
import { CursorQueryDto } from '../../common/pagination/cursor';
import { INSTANT_PATTERN } from '../block-time';
import { APPROVAL_STATUSES, ApprovalStatus, SYNC_STATUSES, SyncStatus } from '../time-block.entity';

/** The longest range one list request may ask for (a quarter, with room for 31-day months). */
export const MAX_RANGE_DAYS = 93;

const instantMessage = {
  message: '$property must be an ISO 8601 date and time with an offset, e.g. 2025-03-31T00:00:00Z',
};

const toBoolean = ({ value }: { value: unknown }) =>
  value === 'true' ? true : value === 'false' ? false : value;

export class ListTimeBlocksQueryDto extends CursorQueryDto {
  @ApiProperty({
    example: '2025-03-31T00:00:00+02:00',
    description: 'Blocks that end after this instant (half-open ranges: [from, to)).',
  })
  @IsString()
  @Matches(INSTANT_PATTERN, instantMessage)
  from!: string;

  @ApiProperty({
    example: '2025-04-07T00:00:00+02:00',
    description: `Blocks that start before this instant; at most ${MAX_RANGE_DAYS} days after from.`,
  })
  @IsString()
  @Matches(INSTANT_PATTERN, instantMessage)
  to!: string;

  @ApiPropertyOptional({
    type: 'string',
    pattern: '^(all|[1-9][0-9]*)$',
    example: 'all',
    description: 'A member’s id, or `all` for everyone’s blocks. Defaults to yours.',
  })
  @IsOptional()
  @Matches(/^(all|[1-9]\d{0,14})$/, { message: 'user_id must be a member’s id or all' })
  user_id?: string;

  @ApiPropertyOptional({ type: 'integer' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @IsPositive()
  client_id?: number;

  @ApiPropertyOptional({ type: 'integer' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @IsPositive()
  project_id?: number;

  @ApiPropertyOptional({ type: 'boolean' })
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean({ message: 'is_billable must be true or false' })
  is_billable?: boolean;

  @ApiPropertyOptional({
    enum: APPROVAL_STATUSES,
    description: 'The review queue: `approval_status=pending&is_billable=true&user_id=all`.',
  })
  @IsOptional()
  @IsIn(APPROVAL_STATUSES)
  approval_status?: ApprovalStatus;

  @ApiPropertyOptional({ enum: SYNC_STATUSES })
  @IsOptional()
  @IsIn(SYNC_STATUSES)
  calendar_sync_status?: SyncStatus;
}
