import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import {
  ApiBody,
  ApiConflictResponse,
  ApiExtraModels,
  ApiOkResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { Membership } from '../../auth/authenticated-user';
import { CurrentMembership, RequirePermission } from '../../auth/decorators';
import { presentTimeBlock } from '../time-block.presenter';
import {
  ApproveIdsBody,
  ApproveRangeBody,
  ApproveTimeBlocksDto,
  RejectTimeBlocksDto,
} from './approval.dto';
import { ApprovalsService } from './approvals.service';

const SENT_TO_BILLING =
  'Nothing changed: a block is already sent to billing (`sent_to_billing_ids` lists them).';

/**
 * Review of billable time by admins and owners. With the organization setting
 * `require_approval`, only approved billable blocks are booked in the invoicing system.
 */
@ApiTags('time-blocks')
@ApiExtraModels(ApproveRangeBody, ApproveIdsBody)
@Controller('organizations/:organizationId/time-blocks')
export class ApprovalsController {
  constructor(private readonly approvals: ApprovalsService) {}

  @Post('approve')
  @HttpCode(200)
  @RequirePermission('time-blocks:approve')
  @ApiBody({
    description: 'The pending blocks of a range (optionally one member’s), or these blocks.',
    schema: {
      oneOf: [{ $ref: getSchemaPath(ApproveRangeBody) }, { $ref: getSchemaPath(ApproveIdsBody) }],
    },
  })
  @ApiOkResponse({ description: '`{ data: [blocks] }`: the blocks approved (or already).' })
  @ApiConflictResponse({ description: SENT_TO_BILLING })
  async approve(@CurrentMembership() membership: Membership, @Body() dto: ApproveTimeBlocksDto) {
    return { data: (await this.approvals.approve(membership, dto)).map(presentTimeBlock) };
  }

  @Post('reject')
  @HttpCode(200)
  @RequirePermission('time-blocks:approve')
  @ApiOkResponse({ description: '`{ data: [blocks] }`: the blocks rejected, with the note.' })
  @ApiConflictResponse({ description: SENT_TO_BILLING })
  async reject(@CurrentMembership() membership: Membership, @Body() dto: RejectTimeBlocksDto) {
    return { data: (await this.approvals.reject(membership, dto)).map(presentTimeBlock) };
  }
}
