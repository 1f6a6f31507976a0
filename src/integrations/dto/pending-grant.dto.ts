import { ApiProperty } from '@nestjs/swagger';
import { INVOICING_PROVIDERS } from '../../invoicing/invoicing-provider';
import { CALENDAR_PROVIDERS } from '../integration-providers';

export class PendingGrantResponseDto {
  @ApiProperty({ enum: [...CALENDAR_PROVIDERS, ...INVOICING_PROVIDERS] })
  provider!: string;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The account the provider signed in: confirm only if it is yours.',
    example: 'ada@example.com',
  })
  provider_account_email!: string | null;

  @ApiProperty({
    format: 'date-time',
    description: 'Unconfirmed by then, the grant is revoked at the provider and forgotten.',
  })
  expires_at!: string;
}
