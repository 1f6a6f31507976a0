import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import { Strategy } from 'passport-http-bearer';
import { currentContext } from '../common/context/request-context';
import { routeOrganizationId } from '../common/tenancy/route-organization';
import { ApiTokensService } from './api-tokens.service';
import { AuthenticatedUser } from './authenticated-user';

@Injectable()
export class BearerStrategy extends PassportStrategy(Strategy, 'bearer') {
  constructor(private readonly tokens: ApiTokensService) {
    super({ passReqToCallback: true });
  }

  async validate(request: Request, token: string): Promise<AuthenticatedUser | false> {
    const user = await this.tokens.authenticate(token, routeOrganizationId(request));
    if (!user) return false;
    // The audit trail reads the actor from the request context.
    currentContext().userId = user.id;
    return user;
  }
}
