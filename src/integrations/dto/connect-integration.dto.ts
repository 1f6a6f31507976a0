import { ApiProperty } from '@nestjs/swagger';

export class ConnectIntegrationResponseDto {
  @ApiProperty({
    description:
      "The provider's consent page; send the user there. Its `state` is single use and expires after 10 minutes.",
    example: 'https://accounts.google.com/o/oauth2/v2/auth?client_id=…&state=st_…',
  })
  authorize_url!: string;
}
