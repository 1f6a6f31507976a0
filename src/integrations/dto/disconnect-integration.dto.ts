import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional } from 'class-validator';
import { queryBoolean } from '../../common/validation/validators';

export class DisconnectIntegrationQueryDto {
  @ApiPropertyOptional({
    type: Boolean,
    default: false,
    description:
      'true: first delete every event danwel created in the account’s calendars (answers 502, ' +
      'and stays connected, if some cannot be deleted). false: the events stay, no longer updated.',
  })
  @IsOptional()
  @Transform(queryBoolean)
  @IsBoolean({ message: 'remove_events must be true or false' })
  remove_events?: boolean;
}
