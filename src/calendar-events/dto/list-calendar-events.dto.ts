import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsPositive, IsString, Matches } from 'class-validator';
import { CursorQueryDto } from '../../common/pagination/cursor';
import { INSTANT_PATTERN } from '../../time-blocks/block-time';
import { MAX_RANGE_DAYS } from '../../time-blocks/dto/list-time-blocks.dto';

const instantMessage = {
  message: '$property must be an ISO 8601 date and time with an offset, e.g. 2025-03-31T00:00:00Z',
};

/** The same range and member filter as the time-block list, so a week view asks both alike. */
export class ListCalendarEventsQueryDto extends CursorQueryDto {
  @ApiProperty({
    example: '2025-03-31T00:00:00+02:00',
    description: 'Events that end after this instant (half-open ranges: [from, to)).',
  })
  @IsString()
  @Matches(INSTANT_PATTERN, instantMessage)
  from!: string;

  @ApiProperty({
    example: '2025-04-07T00:00:00+02:00',
    description: `Events that start before this instant; at most ${MAX_RANGE_DAYS} days after from.`,
  })
  @IsString()
  @Matches(INSTANT_PATTERN, instantMessage)
  to!: string;

  @ApiPropertyOptional({
    type: 'string',
    pattern: '^(all|[1-9][0-9]*)$',
    example: 'all',
    description:
      'A member’s id (the events of the calendars they connected), or `all` for everyone’s. ' +
      'Defaults to yours.',
  })
  @IsOptional()
  @Matches(/^(all|[1-9]\d{0,14})$/, { message: 'user_id must be a member’s id or all' })
  user_id?: string;

  @ApiPropertyOptional({ type: 'integer', description: 'Only the events of this calendar.' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @IsPositive()
  calendar_id?: number;
}
