import { Injectable, UnauthorizedException } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import { Strategy } from 'passport-local';
import { AuthService } from './auth.service';

/** Email + password login (passport-local); throttled and timing-equalised in AuthService. */
@Injectable()
export class LocalStrategy extends PassportStrategy(Strategy, 'local') {
  constructor(private readonly auth: AuthService) {
    super({ usernameField: 'email', passwordField: 'password', passReqToCallback: true });
  }

  async validate(request: Request, email: string, password: string) {
    const user = await this.auth.verifyCredentials(email, password, request.ip ?? 'unknown');
    if (!user) throw new UnauthorizedException('These credentials do not match our records.');
    return user;
  }
}
