import {
  applyDecorators,
  createParamDecorator,
  ExecutionContext,
  SetMetadata,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiExtension,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiParam,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { AuthenticatedUser, Membership } from './authenticated-user';
import { Permission } from './permissions';

export const IS_PUBLIC = 'danwel:public';
export const REQUIRED_PERMISSION = 'danwel:permission';

/** No token needed (register, login, public invitation lookup, health). */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/**
 * A tenant route (`/organizations/:organizationId/…`) that needs `permission`. The guard answers
 * 404 to non-members and 403 to members whose role lacks it. The permission also appears in the
 * OpenAPI document as `x-permission`, which the role-matrix test reads.
 */
export const RequirePermission = (permission: Permission) =>
  applyDecorators(
    SetMetadata(REQUIRED_PERMISSION, permission),
    ApiExtension('x-permission', permission),
    ApiParam({ name: 'organizationId', type: 'integer', description: 'The organization.' }),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'Missing, expired or revoked token.' }),
    ApiNotFoundResponse({ description: 'No such organization or resource, or not a member.' }),
    ApiForbiddenResponse({ description: `Your role lacks \`${permission}\`.` }),
  );

/** A signed-in route outside any organization (`/me`, `/organizations`, invitation accept). */
export const Authenticated = () =>
  applyDecorators(
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'Missing, expired or revoked token.' }),
  );

export const CurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): AuthenticatedUser =>
    context.switchToHttp().getRequest<Request>().user as AuthenticatedUser,
);

export const CurrentMembership = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Membership => {
    const membership = context.switchToHttp().getRequest<Request>().membership;
    if (!membership) throw new Error('CurrentMembership used on a route without :organizationId');
    return membership;
  },
);
