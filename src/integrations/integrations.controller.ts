import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBadGatewayResponse,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiParam,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { Membership } from '../auth/authenticated-user';
import { CurrentMembership, RequirePermission } from '../auth/decorators';
import { ParseIdPipe } from '../common/http/parse-id.pipe';
import { INVOICING_PROVIDERS } from '../invoicing/invoicing-provider';
import { ConnectIntegrationResponseDto } from './dto/connect-integration.dto';
import { DisconnectIntegrationQueryDto } from './dto/disconnect-integration.dto';
import { ChooseInvoicingAccountDto, InvoicingAccountListDto } from './dto/invoicing-account.dto';
import { PendingGrantResponseDto } from './dto/pending-grant.dto';
import { IntegrationDisconnectService } from './integration-disconnect.service';
import { presentIntegration } from './integration.presenter';
import { CALENDAR_PROVIDERS } from './integration-providers';
import { IntegrationsService } from './integrations.service';
import { InvoicingAccounts } from './invoicing-accounts.service';
import { InvoicingImport } from './invoicing-import.service';
import { PendingGrants } from './pending-grants.service';

/**
 * An organization's integrations: calendar accounts (members connect and see their own; admins
 * see all) and the one invoicing system (admins and owners connect it and choose its account).
 */
@ApiTags('integrations')
@Controller('organizations/:organizationId/integrations')
export class IntegrationsController {
  constructor(
    private readonly integrations: IntegrationsService,
    private readonly disconnector: IntegrationDisconnectService,
    private readonly pendingGrants: PendingGrants,
    private readonly invoicingAccounts: InvoicingAccounts,
    private readonly invoicingImport: InvoicingImport,
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
  @ApiParam({
    name: 'provider',
    enum: [...CALENDAR_PROVIDERS, ...INVOICING_PROVIDERS],
    description:
      'A calendar (any member, for their own account) or an invoicing system (admins and ' +
      'owners, `provider_type=invoicing`; only the ones this server is configured for).',
  })
  @ApiOkResponse({ type: ConnectIntegrationResponseDto })
  @ApiForbiddenResponse({ description: 'An invoicing system, and the caller is not an admin.' })
  @ApiNotFoundResponse({ description: 'A provider this server cannot connect.' })
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

  @Get(':integrationId/accounts')
  @RequirePermission('integrations:connect:invoicing')
  @ApiParam({ name: 'integrationId', type: 'integer', description: 'An invoicing integration.' })
  @ApiOkResponse({
    type: InvoicingAccountListDto,
    description: 'The accounts its token reaches: Moneybird administrations, Harvest accounts, …',
  })
  @ApiNotFoundResponse({ description: 'No integration of this organization.' })
  @ApiConflictResponse({
    description:
      'Not an invoicing integration, or the provider refused the grant: `needs_reconnect`.',
  })
  @ApiBadGatewayResponse({ description: 'The provider failed; try again later.' })
  async accounts(
    @CurrentMembership() membership: Membership,
    @Param('integrationId', new ParseIdPipe('Integration')) integrationId: number,
  ) {
    const accounts = await this.invoicingAccounts.list(membership, integrationId);
    return { data: accounts.map((a) => ({ external_id: a.externalId, name: a.name })) };
  }

  @Patch(':integrationId')
  @RequirePermission('integrations:connect:invoicing')
  @ApiParam({ name: 'integrationId', type: 'integer', description: 'An invoicing integration.' })
  @ApiOkResponse({ description: 'The integration, booking in the chosen account.' })
  @ApiUnprocessableEntityResponse({ description: 'Not an account the integration reaches.' })
  @ApiNotFoundResponse({ description: 'No integration of this organization.' })
  @ApiConflictResponse({
    description:
      'Not an invoicing integration, time is booked in another account already, or ' +
      '`needs_reconnect`.',
  })
  @ApiBadGatewayResponse({ description: 'The provider failed; try again later.' })
  async chooseAccount(
    @CurrentMembership() membership: Membership,
    @Param('integrationId', new ParseIdPipe('Integration')) integrationId: number,
    @Body() body: ChooseInvoicingAccountDto,
  ) {
    return presentIntegration(
      await this.invoicingAccounts.choose(membership, integrationId, body.provider_account_id),
    );
  }

  @Post(':integrationId/import')
  @HttpCode(200)
  @RequirePermission('integrations:connect:invoicing')
  @ApiParam({ name: 'integrationId', type: 'integer', description: 'An invoicing integration.' })
  @ApiOkResponse({
    description:
      'Contacts became clients and projects projects (`integration_id`, `external_id`): how many ' +
      'were created, linked to a local one of the same name (first import only) and updated. ' +
      'Archived upstream is `is_active=false`; the provider then owns `read_only_fields`.',
  })
  @ApiNotFoundResponse({ description: 'No integration of this organization.' })
  @ApiConflictResponse({
    description: 'Not an invoicing integration, no account chosen yet, or `needs_reconnect`.',
  })
  @ApiBadGatewayResponse({ description: 'The provider failed; nothing was imported.' })
  importCatalog(
    @CurrentMembership() membership: Membership,
    @Param('integrationId', new ParseIdPipe('Integration')) integrationId: number,
  ) {
    return this.invoicingImport.import(membership, integrationId);
  }

  @Delete(':integrationId')
  @HttpCode(204)
  @ApiParam({ name: 'integrationId', type: 'integer', description: 'The integration.' })
  @RequirePermission('integrations:disconnect:own')
  @ApiNoContentResponse({
    description:
      'Disconnected: the grant is revoked at the provider (Google, Moneybird), the tokens, ' +
      'calendars and integration are deleted, and its blocks stay, without a calendar, ' +
      '`disabled`. An invoicing integration deletes nothing in the provider.',
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
