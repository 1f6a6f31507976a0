import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsInt,
  IsOptional,
  IsPositive,
  IsString,
  Length,
  Matches,
} from 'class-validator';
import { INSTANT_PATTERN } from '../block-time';
import { trim } from '../dto/time-block-fields';

/** The most blocks one approval or rejection changes (as many as a bulk request). */
export const MAX_REVIEWED_BLOCKS = 500;

const instantMessage = {
  message: '$property must be an ISO 8601 date and time with an offset, e.g. 2025-03-31T00:00:00Z',
};

/** Either `ids`, or a range (`from`, `to`, and optionally one member's `user_id`). */
export class ApproveTimeBlocksDto {
  @ApiPropertyOptional({
    type: [Number],
    maxItems: MAX_REVIEWED_BLOCKS,
    description: 'These blocks (pending or rejected ones become approved).',
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_REVIEWED_BLOCKS)
  @ArrayUnique()
  @IsInt({ each: true, message: 'each id must be a positive integer' })
  @IsPositive({ each: true, message: 'each id must be a positive integer' })
  ids?: number[];

  @ApiPropertyOptional({
    type: 'integer',
    description: 'With a range: only this member’s blocks (default: everyone’s).',
  })
  @IsOptional()
  @IsInt()
  @IsPositive()
  user_id?: number;

  @ApiPropertyOptional({
    example: '2025-03-31T00:00:00+02:00',
    description: 'With `to`: the pending blocks overlapping `[from, to)`.',
  })
  @IsOptional()
  @IsString()
  @Matches(INSTANT_PATTERN, instantMessage)
  from?: string;

  @ApiPropertyOptional({ example: '2025-04-07T00:00:00+02:00' })
  @IsOptional()
  @IsString()
  @Matches(INSTANT_PATTERN, instantMessage)
  to?: string;
}

/** The documented range shape of an approval (the validation lives in ApproveTimeBlocksDto). */
export class ApproveRangeBody {
  @ApiProperty({ example: '2025-03-31T00:00:00+02:00', description: 'Start of `[from, to)`.' })
  from!: string;

  @ApiProperty({ example: '2025-04-07T00:00:00+02:00', description: 'End of `[from, to)`.' })
  to!: string;

  @ApiPropertyOptional({ type: 'integer', description: 'Only this member’s blocks.' })
  user_id?: number;
}

/** The documented list shape of an approval. */
export class ApproveIdsBody {
  @ApiProperty({ type: [Number], minItems: 1, maxItems: MAX_REVIEWED_BLOCKS })
  ids!: number[];
}

export class RejectTimeBlocksDto {
  @ApiProperty({ type: [Number], minItems: 1, maxItems: MAX_REVIEWED_BLOCKS })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_REVIEWED_BLOCKS)
  @ArrayUnique()
  @IsInt({ each: true, message: 'each id must be a positive integer' })
  @IsPositive({ each: true, message: 'each id must be a positive integer' })
  ids!: number[];

  @ApiProperty({ description: 'Why: shown to the member on the block.', maxLength: 2000 })
  @Transform(trim)
  @IsString()
  @Length(1, 2000, { message: 'note must be 1 to 2000 characters' })
  note!: string;
}
