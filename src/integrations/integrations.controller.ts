import { Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiBadGatewayResponse,
  ApiConflictResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { Membership } from '../auth/authenticated-user';
import { CurrentMembership, RequirePermission } from '../auth/decorators';
import { ParseIdPipe } from '../common/http/parse-id.pipe';
import { ConnectIntegrationResponseDto } from './dto/connect-integration.dto';
import { DisconnectIntegrationQueryDto } from './dto/disconnect-integration.dto';
import { PendingGrantResponseDto } from './dto/pending-grant.dto';
import { IntegrationDisconnectService } from './integration-disconnect.service';
import { presentIntegration } from './integration.presenter';
import { CALENDAR_PROVIDERS } from './integration-providers';
import { IntegrationsService } from './integrations.service';
import { PendingGrants } from './pending-grants.service';

/** An organization's calendar integrations. Members connect and see their own; admins see all. */
@ApiTags('integrations')
@Controller('organizations/:organizationId/integrations')
export class IntegrationsController {
  constructor(
    private readonly integrations: IntegrationsService,
    private readonly disconnector: IntegrationDisconnectService,
    private readonly pendingGrants: PendingGrants,
  ) {}

  @Get()
  @RequirePermission('integrations:view:own')
  @ApiOkResponse({ description: 'Your integrations (all of them for admins). Never a token.' })
  async list(@CurrentMembership() membership: Membership) {
    return { data: (await this.integrations.list(membership)).map((i) => presentIntegration(i)) };
  }

  @Get(':integrationId')
  @RequirePermission('integrations:view:own')
  @ApiOkResponse({ description: 'Status of one integration, with its pending/error block counts.' })
  async show(
    @CurrentMembership() membership: Membership,
    @Param('integrationId', new ParseIdPipe('Integration')) integrationId: number,
  ) {
    const { integration, counts } = await this.integrations.show(membership, integrationId);
    return presentIntegration(integration, counts);
  }

  @Post(':provider/connect')
  @HttpCode(200)
  @RequirePermission('integrations:connect:own')
  @ApiParam({ name: 'provider', enum: CALENDAR_PROVIDERS })
  @ApiOkResponse({ type: ConnectIntegrationResponseDto })
  connect(@CurrentMembership() membership: Membership, @Param('provider') provider: string) {
    return this.integrations.connect(membership, provider);
  }

  @Get('pending/:reference')
  @RequirePermission('integrations:connect:own')
  @ApiParam({ name: 'reference', description: 'From `?pending=` of the redirect after consent.' })
  @ApiOkResponse({ type: PendingGrantResponseDto })
  @ApiNotFoundResponse({
    description: 'Unknown, used or expired, or the flow was started by someone else.',
  })
  async pending(
    @CurrentMembership() membership: Membership,
    @Param('reference') reference: string,
  ) {
    const { state, grant } = await this.pendingGrants.find(membership, reference);
    return {
      provider: state.provider,
      provider_account_email: grant.account.email,
      expires_at: state.expiresAt.toISOString(),
    };
  }

  @Post('pending/:reference/confirm')
  @HttpCode(200)
  @RequirePermission('integrations:connect:own')
  @ApiParam({ name: 'reference', description: 'From `?pending=` of the redirect after consent.' })
  @ApiOkResponse({
    description:
      'The integration, created (or repaired, for an account connected before) with its calendars.',
  })
  @ApiNotFoundResponse({
    description: 'Unknown, used or expired, or the flow was started by someone else.',
  })
  async confirm(
    @CurrentMembership() membership: Membership,
    @Param('reference') reference: string,
  ) {
    return presentIntegration(await this.pendingGrants.confirm(membership, reference));
  }

  @Delete(':integrationId')
  @HttpCode(204)
  @ApiParam({ name: 'integrationId', type: 'integer', description: 'The integration.' })
  @RequirePermission('integrations:disconnect:own')
  @ApiNoContentResponse({
    description:
      'Disconnected: the grant is revoked at the provider (Google), the tokens, calendars and ' +
      'integration are deleted, and its blocks stay, without a calendar, `disabled`.',
  })
  @ApiConflictResponse({
    description: 'A sync is running (Retry-After), or `needs_reconnect` with `remove_events`.',
  })
  @ApiBadGatewayResponse({
    description: 'With `remove_events`: some events could not be removed; still connected.',
  })
  async disconnect(
    @CurrentMembership() membership: Membership,
    @Param('integrationId', new ParseIdPipe('Integration')) integrationId: number,
    @Query() query: DisconnectIntegrationQueryDto,
  ) {
    await this.disconnector.disconnect(membership, integrationId, {
      removeEvents: query.remove_events === true,
    });
  }
}
