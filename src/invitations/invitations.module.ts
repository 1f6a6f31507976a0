import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module';
import { InvitationLinksController } from './invitation-links.controller';
import { InvitationsController } from './invitations.controller';
import { InvitationsService } from './invitations.service';

@Module({
  imports: [UsersModule],
  controllers: [InvitationsController, InvitationLinksController],
  providers: [InvitationsService],
  exports: [InvitationsService],
})
export class InvitationsModule {}
