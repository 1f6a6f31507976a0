import { Controller, Delete, Get, HttpCode, Param } from '@nestjs/common';
import { ParseIdPipe } from '../common/http/parse-id.pipe';
import { ApiNoContentResponse, ApiNotFoundResponse, ApiTags } from '@nestjs/swagger';
import { ApiTokensService } from './api-tokens.service';
import { AuthService } from './auth.service';
import { AuthenticatedUser } from './authenticated-user';
import { Authenticated, CurrentUser } from './decorators';

@ApiTags('me')
@Authenticated()
@Controller('me/tokens')
export class TokensController {
  constructor(
    private readonly tokens: ApiTokensService,
    private readonly auth: AuthService,
  ) {}

  @Get()
  async list(@CurrentUser() caller: AuthenticatedUser) {
    const tokens = await this.tokens.list(caller.id);
    return {
      data: tokens.map((token) => ({
        id: token.id,
        name: token.name,
        current: token.id === caller.tokenId,
        last_used_at: token.lastUsedAt?.toISOString() ?? null,
        expires_at: token.expiresAt.toISOString(),
        created_at: token.createdAt?.toISOString() ?? null,
      })),
      next_cursor: null,
    };
  }

  @Delete(':tokenId')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Revoked: the token stops working at once.' })
  @ApiNotFoundResponse({ description: 'No such token of yours.' })
  async revoke(
    @CurrentUser() caller: AuthenticatedUser,
    @Param('tokenId', new ParseIdPipe('Token')) tokenId: number,
  ) {
    await this.auth.revokeToken(caller.id, tokenId, 'token.revoked');
  }
}
