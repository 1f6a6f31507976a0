import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { AuthenticatedUser } from './authenticated-user';
import { Authenticated, CurrentUser } from './decorators';
import {
  ConfirmTwoFactorDto,
  DisableTwoFactorDto,
  PasswordConfirmationDto,
} from './dto/account.dto';
import { TwoFactorService } from './two-factor.service';

/** Two-factor authentication of the signed-in person (TOTP and recovery codes). */
@ApiTags('me')
@Authenticated()
@Controller('me/two-factor')
export class TwoFactorController {
  constructor(private readonly twoFactor: TwoFactorService) {}

  @Post()
  @ApiCreatedResponse({
    description:
      '`{ secret, otpauth_url }` for the authenticator app; not in force until confirmed.',
  })
  @ApiUnprocessableEntityResponse({ description: 'Wrong password.' })
  @ApiConflictResponse({ description: 'Already on.' })
  enrol(@CurrentUser() caller: AuthenticatedUser, @Body() dto: PasswordConfirmationDto) {
    return this.twoFactor.enrol(caller, dto.password);
  }

  @Post('confirm')
  @HttpCode(200)
  @ApiOkResponse({ description: '`{ recovery_codes }`: shown this once; keep them safe.' })
  @ApiUnprocessableEntityResponse({ description: 'Wrong code.' })
  async confirm(@CurrentUser() caller: AuthenticatedUser, @Body() dto: ConfirmTwoFactorDto) {
    return { recovery_codes: await this.twoFactor.confirm(caller, dto.code) };
  }

  @Post('recovery-codes')
  @HttpCode(200)
  @ApiOkResponse({ description: '`{ recovery_codes }`: new ones; the old ones stop working.' })
  async recoveryCodes(
    @CurrentUser() caller: AuthenticatedUser,
    @Body() dto: PasswordConfirmationDto,
  ) {
    return { recovery_codes: await this.twoFactor.regenerateRecoveryCodes(caller, dto.password) };
  }

  @Post('disable')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Off: login needs the password only.' })
  @ApiUnprocessableEntityResponse({ description: 'Wrong password or code.' })
  async disable(@CurrentUser() caller: AuthenticatedUser, @Body() dto: DisableTwoFactorDto) {
    await this.twoFactor.disable(caller, dto.password, {
      code: dto.code,
      recovery_code: dto.recovery_code,
    });
  }
}
