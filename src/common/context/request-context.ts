import { AsyncLocalStorage } from 'node:async_hooks';
import type { NextFunction, Request, Response } from 'express';

/**
 * Who is asking, from where: set once per request, read by the audit trail. Kept in
 * AsyncLocalStorage rather than request-scoped providers, which would rebuild the dependency
 * graph per request. Background jobs and CLI commands run with an explicit `actor` instead.
 */
export interface RequestContext {
  requestId?: string;
  ip?: string;
  userAgent?: string;
  userId?: number;
  /** Non-user actors, e.g. `sync:google_calendar` or `cli`. */
  actor?: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

export function currentContext(): RequestContext {
  return storage.getStore() ?? {};
}

export function runWithContext<T>(context: RequestContext, work: () => T): T {
  return storage.run(context, work);
}

export function requestContextMiddleware(
  request: Request,
  _response: Response,
  next: NextFunction,
): void {
  runWithContext(
    {
      requestId: String(request.id ?? ''),
      ip: request.ip,
      userAgent: request.headers['user-agent']?.slice(0, 500),
    },
    next,
  );
}
