import { Module } from '@nestjs/common';
import { ApprovalsController } from './approval/approvals.controller';
import { ApprovalsService } from './approval/approvals.service';
import { TimeBlocksController } from './time-blocks.controller';
import { TimeBlocksService } from './time-blocks.service';

@Module({
  // Approvals first: its fixed paths (`approve`, `reject`) must not be read as block ids.
  controllers: [ApprovalsController, TimeBlocksController],
  providers: [TimeBlocksService, ApprovalsService],
  exports: [TimeBlocksService, ApprovalsService],
})
export class TimeBlocksModule {}
