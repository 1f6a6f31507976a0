import { ApiProperty } from '@nestjs/swagger';
import { IsInt, IsPositive } from 'class-validator';

export class SwitchOrganizationDto {
  @ApiProperty()
  @IsInt()
  @IsPositive()
  organization_id!: number;
}
