import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { Membership } from '../auth/authenticated-user';
import { CurrentMembership, RequirePermission } from '../auth/decorators';
import { ParseIdPipe } from '../common/http/parse-id.pipe';
import { BulkTimeBlocksDto } from './dto/bulk-time-blocks.dto';
import { CreateTimeBlockDto } from './dto/create-time-block.dto';
import { ListTimeBlocksQueryDto } from './dto/list-time-blocks.dto';
import { UpdateTimeBlockDto } from './dto/update-time-block.dto';
import { presentTimeBlock } from './time-block.presenter';
import { TimeBlocksService } from './time-blocks.service';

const OVERLAP =
  'The organization prevents overlaps and the block overlaps another of the same member; ' +
  '`conflicting_block_ids` lists them.';

/**
 * Time blocks. Everyone in the organization reads everyone's blocks; members write their own,
 * admins and owners everyone's (the service asks for `…:all` when the block is someone else's).
 */
@ApiTags('time-blocks')
@Controller('organizations/:organizationId/time-blocks')
export class TimeBlocksController {
  constructor(private readonly timeBlocks: TimeBlocksService) {}

  /** Blocks overlapping `[from, to)`, in start order. */
  @Get()
  @RequirePermission('time-blocks:view:all')
  async list(@CurrentMembership() membership: Membership, @Query() query: ListTimeBlocksQueryDto) {
    const page = await this.timeBlocks.list(membership, query);
    return { data: page.data.map(presentTimeBlock), next_cursor: page.next_cursor };
  }

  @Post()
  @RequirePermission('time-blocks:create:own')
  @ApiCreatedResponse({ description: 'The block, marked for calendar and invoicing sync.' })
  @ApiConflictResponse({ description: OVERLAP })
  async create(@CurrentMembership() membership: Membership, @Body() dto: CreateTimeBlockDto) {
    return presentTimeBlock(await this.timeBlocks.create(membership, dto));
  }

  /**
   * Create, update and delete up to 500 blocks at once (calendar drag-and-drop, imports): all or
   * nothing. Each operation needs the permission its own kind needs.
   */
  @Post('bulk')
  @HttpCode(200)
  @RequirePermission('time-blocks:update:own')
  @ApiOkResponse({ description: '`{ results: [{ index, op, id, status }] }`, in request order.' })
  @ApiUnprocessableEntityResponse({
    description: 'Nothing applied; `errors` by path and `results` say which operations failed.',
  })
  @ApiConflictResponse({ description: `Nothing applied: only overlaps failed. ${OVERLAP}` })
  async bulk(@CurrentMembership() membership: Membership, @Body() dto: BulkTimeBlocksDto) {
    return { results: await this.timeBlocks.bulk(membership, dto) };
  }

  @Get(':timeBlockId')
  @RequirePermission('time-blocks:view:all')
  async show(
    @CurrentMembership() membership: Membership,
    @Param('timeBlockId', new ParseIdPipe('Time block')) timeBlockId: number,
  ) {
    return presentTimeBlock(await this.timeBlocks.find(membership, timeBlockId));
  }

  @Patch(':timeBlockId')
  @RequirePermission('time-blocks:update:own')
  @ApiConflictResponse({ description: OVERLAP })
  async update(
    @CurrentMembership() membership: Membership,
    @Param('timeBlockId', new ParseIdPipe('Time block')) timeBlockId: number,
    @Body() dto: UpdateTimeBlockDto,
  ) {
    return presentTimeBlock(await this.timeBlocks.update(membership, timeBlockId, dto));
  }

  @Delete(':timeBlockId')
  @HttpCode(204)
  @RequirePermission('time-blocks:delete:own')
  @ApiNoContentResponse({ description: 'Soft-deleted and marked for sync; gone from the API.' })
  async remove(
    @CurrentMembership() membership: Membership,
    @Param('timeBlockId', new ParseIdPipe('Time block')) timeBlockId: number,
  ) {
    await this.timeBlocks.remove(membership, timeBlockId);
  }
}
