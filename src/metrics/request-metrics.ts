import type { NextFunction, Request, Response } from 'express';
import { metrics } from './metrics';

/**
 * Times every HTTP answer into the request-duration histogram, labelled by the route template
 * (`/api/v1/organizations/:orgId/time-blocks`, never the ids in it) so the label set stays small.
 */
export function requestMetrics(request: Request, response: Response, next: NextFunction): void {
  const started = process.hrtime.bigint();
  response.once('finish', () => {
    const route = request.route as { path?: string } | undefined;
    metrics.httpRequestDuration.observe(
      {
        method: request.method,
        route: route?.path ? `${request.baseUrl}${route.path}` : 'unmatched',
        status: String(response.statusCode),
      },
      Number(process.hrtime.bigint() - started) / 1e9,
    );
  });
  next();
}
