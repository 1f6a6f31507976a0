import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDateString, IsInt, IsOptional, IsPositive, IsString, MaxLength } from 'class-validator';
import { CursorQueryDto } from '../../common/pagination/cursor';

export class AuditLogQueryDto extends CursorQueryDto {
  @ApiPropertyOptional({ example: 'member.role_changed' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  action?: string;

  @ApiPropertyOptional({ description: 'The acting user.' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @IsPositive()
  user_id?: number;

  @ApiPropertyOptional({ example: 'invitation' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  auditable_type?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @IsPositive()
  auditable_id?: number;

  @ApiPropertyOptional({ description: 'ISO 8601; entries at or after.' })
  @IsOptional()
  @IsDateString()
  from?: string;

  @ApiPropertyOptional({ description: 'ISO 8601; entries before.' })
  @IsOptional()
  @IsDateString()
  to?: string;
}
