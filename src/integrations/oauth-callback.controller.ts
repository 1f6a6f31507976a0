import { Controller, Get, Param, Query, Redirect } from '@nestjs/common';
import { ApiFoundResponse, ApiParam, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/decorators';
import { INVOICING_PROVIDERS } from '../invoicing/invoicing-provider';
import { CALENDAR_PROVIDERS } from './integration-providers';
import { IntegrationsService } from './integrations.service';

const text = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : undefined;

/**
 * Where the provider sends the user back after consent. Public: the browser arrives without our
 * bearer token, and the single-use `state` alone says which user and organization it is for —
 * not whose browser this is, so the grant is only parked for that user to confirm.
 * The query is read loosely on purpose: providers add parameters of their own (`scope`,
 * `session_state`, …), and every outcome must end as a redirect to the app, never a JSON error.
 */
@ApiTags('integrations')
@Controller('integrations/oauth')
export class OAuthCallbackController {
  constructor(private readonly integrations: IntegrationsService) {}

  @Get(':provider/callback')
  @Public()
  @Redirect(undefined, 302)
  @ApiParam({ name: 'provider', enum: [...CALENDAR_PROVIDERS, ...INVOICING_PROVIDERS] })
  @ApiFoundResponse({
    description:
      'To `APP_URL/integrations?pending=<reference>` (the signed-in user who started the flow ' +
      'confirms it: `POST …/integrations/pending/{reference}/confirm`) or ' +
      '`APP_URL/integrations?error=<code>`.',
  })
  async callback(@Param('provider') provider: string, @Query() query: Record<string, unknown>) {
    return {
      url: await this.integrations.callback(provider, {
        code: text(query.code),
        state: text(query.state),
        error: text(query.error),
      }),
    };
  }
}
