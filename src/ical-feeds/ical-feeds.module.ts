import { Module } from '@nestjs/common';
import { IcalFeedFileController } from './ical-feed-file.controller';
import { IcalFeedsController } from './ical-feeds.controller';
import { IcalFeedsService } from './ical-feeds.service';

@Module({
  controllers: [IcalFeedsController, IcalFeedFileController],
  providers: [IcalFeedsService],
})
export class IcalFeedsModule {}
