import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import type { Request } from 'express';
import { DataSource } from 'typeorm';
import { currentContext } from '../common/context/request-context';
import { ForbiddenError, NotFoundError, UnauthenticatedError } from '../common/errors/domain.error';
import { validationExceptionFactory } from '../common/errors/validation-errors';
import { routeOrganizationId } from '../common/tenancy/route-organization';
import { TenantScope } from '../common/tenancy/tenant-scope';
import { OrganizationMember } from '../organizations/organization-member.entity';
import { ApiTokensService, requiresTwoFactor } from './api-tokens.service';
import { AuthenticatedUser, OrganizationRoleLookup } from './authenticated-user';
import { IS_PUBLIC, REQUIRED_PERMISSION } from './decorators';
import { LoginDto } from './dto/login.dto';
import { can, Permission } from './permissions';

/** RFC 6750 `b64token`; the scheme name is case-insensitive. */
const BEARER_HEADER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * Global: every route needs a valid bearer token unless marked @Public(). The token is read from
 * the Authorization header only: a token in a query string or a body ends up in access logs,
 * browser history and Referer headers.
 */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: ApiTokensService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;
    const request = context.switchToHttp().getRequest<Request>();
    const header = request.headers.authorization;
    if (header === undefined) throw new UnauthenticatedError();
    const token = BEARER_HEADER.exec(header)?.[1];
    if (!token)
      throw new UnauthenticatedError('The Authorization header must be "Bearer <token>".');
    const user = await this.tokens.authenticate(token, routeOrganizationId(request));
    if (!user) throw new UnauthenticatedError('The bearer token is unknown, revoked or expired.');
    request.user = user;
    // The audit trail reads the actor from the request context.
    currentContext().userId = user.id;
    return true;
  }
}

/**
 * Global, after authentication: on routes with `:organizationId`, resolves the caller's
 * membership once (a soft-deleted organization has none) and checks the route's permission.
 * Non-members get 404 — the organization's existence is not revealed — and members whose role
 * lacks the permission get 403.
 */
@Injectable()
export class OrganizationAccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly dataSource: DataSource,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<Request>();
    const permission = this.reflector.get<Permission | undefined>(
      REQUIRED_PERMISSION,
      context.getHandler(),
    );
    const rawId = request.params?.organizationId;
    if (rawId === undefined) {
      if (permission)
        throw new Error(`${permission} is required on a route without :organizationId`);
      return true;
    }
    const user = request.user as AuthenticatedUser | undefined;
    const organizationId = routeOrganizationId(request);
    if (!user || organizationId === null) throw new NotFoundError('Organization');

    const lookup =
      user.organizationRole?.organizationId === organizationId
        ? user.organizationRole
        : await this.lookUpRole(organizationId, user.id);
    const role = lookup.role;
    if (!role) throw new NotFoundError('Organization');
    if (lookup.missingRequiredTwoFactor && (role === 'owner' || role === 'admin')) {
      throw new ForbiddenError(
        'This organization requires two-factor authentication for admins and owners: ' +
          'turn it on through POST /api/v1/me/two-factor.',
      );
    }

    request.membership = {
      organizationId,
      userId: user.id,
      role,
      scope: new TenantScope(organizationId),
    };
    if (!permission) {
      throw new Error(`Route ${request.method} ${request.route?.path} has no @RequirePermission`);
    }
    if (!can(role, permission)) throw new ForbiddenError();
    return true;
  }

  /** For callers authenticated without the route's organization in view. */
  private async lookUpRole(
    organizationId: number,
    userId: number,
  ): Promise<OrganizationRoleLookup> {
    const membership = await this.dataSource
      .getRepository(OrganizationMember)
      .createQueryBuilder('membership')
      .innerJoinAndSelect('membership.organization', 'organization')
      .innerJoinAndSelect('membership.user', 'user')
      .where('membership.organizationId = :organizationId', { organizationId })
      .andWhere('membership.userId = :userId', { userId })
      .andWhere('organization.deletedAt IS NULL')
      .getOne();
    return {
      organizationId,
      role: membership?.role ?? null,
      missingRequiredTwoFactor:
        !!membership &&
        !membership.user!.twoFactorConfirmedAt &&
        requiresTwoFactor(membership.organization!.settings),
    };
  }
}

/**
 * Login: validate the body first (422 with field errors, like every other endpoint), then let
 * passport-local check the credentials.
 */
@Injectable()
export class LocalLoginGuard extends AuthGuard('local') {
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<Request>();
    const body = plainToInstance(LoginDto, request.body ?? {});
    const errors = await validate(body, { whitelist: true, forbidNonWhitelisted: true });
    if (errors.length > 0) throw validationExceptionFactory(errors);
    return (await super.canActivate(context)) as boolean;
  }
}
