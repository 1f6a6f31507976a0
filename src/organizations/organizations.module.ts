import { Module } from '@nestjs/common';
import { MembersController } from './members.controller';
import { OrganizationsController } from './organizations.controller';
import { MembersService } from './members.service';
import { OrganizationsService } from './organizations.service';

@Module({
  controllers: [OrganizationsController, MembersController],
  providers: [OrganizationsService, MembersService],
  exports: [OrganizationsService, MembersService],
})
export class OrganizationsModule {}
