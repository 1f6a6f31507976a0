import { Body, Controller, HttpCode, Post, Put, Req } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiConflictResponse,
  ApiNoContentResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { AccountService } from './account.service';
import { AuthenticatedUser } from './authenticated-user';
import { Authenticated, CurrentUser, Public } from './decorators';
import {
  ChangePasswordDto,
  ForgotPasswordDto,
  ResetPasswordDto,
  VerifyEmailDto,
} from './dto/account.dto';

const MAILED = 'If the address has an account, a link is on its way (the same answer either way).';

/** Password reset and change, and email verification. */
@ApiTags('auth')
@Controller()
export class AccountController {
  constructor(private readonly account: AccountService) {}

  @Public()
  @Post('auth/password/forgot')
  @HttpCode(202)
  @ApiAcceptedResponse({ description: MAILED })
  @ApiTooManyRequestsResponse({ description: 'Too many requests from this IP or for this email.' })
  async forgotPassword(@Body() dto: ForgotPasswordDto, @Req() request: Request) {
    await this.account.requestPasswordReset(dto.email, request.ip ?? 'unknown');
    return { message: MAILED };
  }

  @Public()
  @Post('auth/password/reset')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Password set; every API token of the account revoked.' })
  @ApiUnprocessableEntityResponse({ description: 'Invalid password, or an unusable link.' })
  async resetPassword(@Body() dto: ResetPasswordDto, @Req() request: Request) {
    await this.account.resetPassword(dto.token, dto.password, request.ip ?? 'unknown');
  }

  @Public()
  @Post('auth/email/verify')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'The address is confirmed.' })
  @ApiUnprocessableEntityResponse({ description: 'An unusable link.' })
  async verifyEmail(@Body() dto: VerifyEmailDto, @Req() request: Request) {
    await this.account.verifyEmail(dto.token, request.ip ?? 'unknown');
  }

  @Authenticated()
  @Put('me/password')
  @HttpCode(204)
  @ApiTags('me')
  @ApiNoContentResponse({ description: 'Changed; your other API tokens are revoked.' })
  @ApiUnprocessableEntityResponse({ description: 'Wrong current password, or a weak new one.' })
  async changePassword(@CurrentUser() caller: AuthenticatedUser, @Body() dto: ChangePasswordDto) {
    await this.account.changePassword(caller, dto.current_password, dto.password);
  }

  @Authenticated()
  @Post('me/email/verification')
  @HttpCode(202)
  @ApiTags('me')
  @ApiAcceptedResponse({ description: 'A new verification link is on its way.' })
  @ApiConflictResponse({ description: 'The address is already confirmed.' })
  async resendVerification(@CurrentUser() caller: AuthenticatedUser) {
    await this.account.resendVerification(caller);
    return { message: 'A new verification link is on its way.' };
  }
}
