import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

export class InvoicingAccountDto {
  @ApiProperty({
    description:
      'The provider’s id of the account: a Moneybird administration, a Harvest account, a Xero ' +
      'tenant. A string (Moneybird ids do not fit a JSON number).',
    example: '496081425181705336',
  })
  external_id!: string;

  @ApiProperty({ example: 'Acme BV' })
  name!: string;
}

export class InvoicingAccountListDto {
  @ApiProperty({ type: [InvoicingAccountDto] })
  data!: InvoicingAccountDto[];
}

export class ChooseInvoicingAccountDto {
  @ApiProperty({
    description: 'One of `GET …/integrations/{id}/accounts` (else 422): where time is booked.',
    example: '496081425181705336',
    maxLength: 255,
  })
  @IsString({ message: 'provider_account_id must be a string' })
  @IsNotEmpty({ message: 'provider_account_id is required' })
  @MaxLength(255, { message: 'provider_account_id must be at most 255 characters' })
  provider_account_id!: string;
}
