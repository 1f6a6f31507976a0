import type { Request } from 'express';

/** The route's `:organizationId` when it is one an organization could have, else null (a 404). */
export function routeOrganizationId(request: Request): number | null {
  const raw: unknown = request.params?.organizationId;
  return typeof raw === 'string' && /^\d{1,15}$/.test(raw) ? Number(raw) : null;
}
