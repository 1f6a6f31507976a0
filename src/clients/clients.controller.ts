import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiParam,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { Membership } from '../auth/authenticated-user';
import { CurrentMembership, RequirePermission } from '../auth/decorators';
import { ParseIdPipe } from '../common/http/parse-id.pipe';
import { presentClient } from './client.presenter';
import { ClientsService } from './clients.service';
import { ClientQueryDto, CreateClientDto, UpdateClientDto } from './dto/client.dto';

const ClientParam = () =>
  ApiParam({ name: 'clientId', type: 'integer', description: 'The client.' });

@ApiTags('clients')
@Controller('organizations/:organizationId/clients')
export class ClientsController {
  constructor(private readonly clients: ClientsService) {}

  /** By name. Pickers ask for `is_active=true`; without it archived clients are listed too. */
  @Get()
  @RequirePermission('clients:view')
  async list(@CurrentMembership() membership: Membership, @Query() query: ClientQueryDto) {
    const page = await this.clients.list(membership, query);
    return { data: page.data.map(presentClient), next_cursor: page.next_cursor };
  }

  @Post()
  @RequirePermission('clients:manage')
  @ApiCreatedResponse({ description: 'The client (local: not synced from invoicing).' })
  @ApiUnprocessableEntityResponse({ description: 'Invalid fields, named in `errors`.' })
  async create(@CurrentMembership() membership: Membership, @Body() dto: CreateClientDto) {
    return presentClient(await this.clients.create(membership, dto));
  }

  @Get(':clientId')
  @ClientParam()
  @RequirePermission('clients:view')
  async show(
    @CurrentMembership() membership: Membership,
    @Param('clientId', new ParseIdPipe('Client')) clientId: number,
  ) {
    return presentClient(await this.clients.find(membership, clientId));
  }

  @Patch(':clientId')
  @ClientParam()
  @RequirePermission('clients:manage')
  @ApiUnprocessableEntityResponse({
    description: 'Invalid fields, or a change to a field the invoicing provider owns.',
  })
  async update(
    @CurrentMembership() membership: Membership,
    @Param('clientId', new ParseIdPipe('Client')) clientId: number,
    @Body() dto: UpdateClientDto,
  ) {
    return presentClient(await this.clients.update(membership, clientId, dto));
  }

  @Delete(':clientId')
  @ClientParam()
  @HttpCode(204)
  @RequirePermission('clients:manage')
  @ApiNoContentResponse({
    description: 'Deleted; its projects and time blocks stay, without a client.',
  })
  async remove(
    @CurrentMembership() membership: Membership,
    @Param('clientId', new ParseIdPipe('Client')) clientId: number,
  ) {
    await this.clients.remove(membership, clientId);
  }
}
