import { Body, Controller, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiOkResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { User } from '../users/user.entity';
import { presentUser } from '../users/user.presenter';
import { AuthenticatedUser } from './authenticated-user';
import { AuthService, IssuedToken } from './auth.service';
import { Authenticated, CurrentUser, Public } from './decorators';
import { TwoFactorLoginDto } from './dto/account.dto';
import { LoginDto } from './dto/login.dto';
import { RegisterDto } from './dto/register.dto';
import { LocalLoginGuard } from './guards';

function presentToken({ user, token, expiresAt }: IssuedToken) {
  return {
    user: presentUser(user),
    token,
    token_type: 'Bearer',
    expires_at: expiresAt.toISOString(),
  };
}

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @Post('register')
  @ApiCreatedResponse({ description: 'The new user and an API token (shown once).' })
  @ApiUnprocessableEntityResponse({ description: 'Invalid fields, or the email is taken.' })
  @ApiTooManyRequestsResponse({ description: 'Too many attempts from this IP or for this email.' })
  async register(@Body() dto: RegisterDto, @Req() request: Request) {
    return presentToken(await this.auth.register(dto, request.ip ?? 'unknown'));
  }

  @Public()
  @UseGuards(LocalLoginGuard)
  @Post('login')
  @HttpCode(200)
  @ApiOkResponse({
    description:
      'An API token (shown once) for `Authorization: Bearer`; with two-factor on, instead ' +
      '`{ two_factor_required: true, challenge_token, expires_at }` for POST /auth/login/two-factor.',
  })
  @ApiUnauthorizedResponse({ description: 'Wrong email or password (same answer for both).' })
  @ApiTooManyRequestsResponse({ description: 'Too many attempts from this IP or for this email.' })
  async login(@Body() dto: LoginDto, @Req() request: Request) {
    const outcome = await this.auth.passwordAccepted(request.user as User, dto.token_name);
    if ('token' in outcome) return presentToken(outcome);
    return {
      two_factor_required: true,
      challenge_token: outcome.challengeToken,
      expires_at: outcome.expiresAt.toISOString(),
    };
  }

  @Public()
  @Post('login/two-factor')
  @HttpCode(200)
  @ApiOkResponse({ description: 'An API token, as from a login without two-factor.' })
  @ApiUnprocessableEntityResponse({ description: 'Wrong code, or an expired challenge.' })
  @ApiTooManyRequestsResponse({ description: 'Too many codes tried for this account.' })
  async loginSecondStep(@Body() dto: TwoFactorLoginDto) {
    return presentToken(
      await this.auth.completeSecondStep(
        dto.challenge_token,
        { code: dto.code, recovery_code: dto.recovery_code },
        dto.token_name,
      ),
    );
  }

  @Authenticated()
  @Post('logout')
  @HttpCode(204)
  async logout(@CurrentUser() user: AuthenticatedUser) {
    await this.auth.revokeToken(user.id, user.tokenId, 'auth.logout');
  }
}
