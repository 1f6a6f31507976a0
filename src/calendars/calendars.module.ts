import { Module } from '@nestjs/common';
import { IntegrationsModule } from '../integrations/integrations.module';
import { CalendarRefreshService } from './calendar-refresh.service';
import { CalendarsController } from './calendars.controller';
import { CalendarsService } from './calendars.service';

@Module({
  imports: [IntegrationsModule],
  controllers: [CalendarsController],
  providers: [CalendarsService, CalendarRefreshService],
})
export class CalendarsModule {}
