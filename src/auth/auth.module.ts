import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { InvitationsModule } from '../invitations/invitations.module';
import { AccountLinks } from './account-links';
import { AccountController } from './account.controller';
import { AccountService } from './account.service';
import { ApiTokensService } from './api-tokens.service';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { BearerAuthGuard, OrganizationAccessGuard } from './guards';
import { LocalStrategy } from './local.strategy';
import { PasswordHasher } from './password-hasher';
import { TokensController } from './tokens.controller';
import { TwoFactorController } from './two-factor.controller';
import { TwoFactorService } from './two-factor.service';

@Module({
  imports: [PassportModule, InvitationsModule],
  controllers: [AuthController, AccountController, TokensController, TwoFactorController],
  providers: [
    AccountLinks,
    AccountService,
    ApiTokensService,
    AuthService,
    PasswordHasher,
    TwoFactorService,
    LocalStrategy,
    // Global guards run in this order: who are you, then may you touch this organization.
    { provide: APP_GUARD, useClass: BearerAuthGuard },
    { provide: APP_GUARD, useClass: OrganizationAccessGuard },
  ],
  exports: [PasswordHasher],
})
export class AuthModule {}
