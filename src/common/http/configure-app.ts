import { INestApplication, RequestMethod, ValidationPipe } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import helmet from 'helmet';
import type { Logger } from 'pino';
import { AppConfig } from '../../config';
import { ProblemDetailsFilter } from '../errors/problem-details.filter';
import { validationExceptionFactory } from '../errors/validation-errors';
import { requestLogger } from '../logging/logger';
import { requestContextMiddleware } from '../context/request-context';
import { requestMetrics } from '../../metrics/request-metrics';

/** Every API route lives under this prefix; /health, /metrics, /docs and /ical (feeds) stay at the root. */
export const API_PREFIX = 'api/v1';

/**
 * Everything the HTTP API needs around its modules, applied identically by main.ts and by the
 * e2e harness so tests exercise the same pipeline users hit.
 */
export function configureApp(app: NestExpressApplication, config: AppConfig, logger: Logger): void {
  app.use(requestLogger(logger));
  app.use(requestMetrics);
  app.use(requestContextMiddleware);
  // HSTS and upgrade-insecure-requests only where there is https to go to: on a plain-http
  // APP_URL they would make browsers refuse the site (or pin it to https for a year).
  const https = new URL(config.appUrl).protocol === 'https:';
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          // Swagger UI at /docs needs inline styles and data: images; everything else is JSON.
          'style-src': ["'self'", "'unsafe-inline'"],
          'img-src': ["'self'", 'data:'],
          'upgrade-insecure-requests': https ? [] : null,
        },
      },
      strictTransportSecurity: https,
    }),
  );
  app.enableCors({
    origin: config.corsOrigins,
    credentials: true,
    exposedHeaders: ['X-Request-Id', 'Retry-After'],
  });
  app.useBodyParser('json', { limit: config.bodyLimit });
  app.useBodyParser('urlencoded', { limit: config.bodyLimit, extended: false });
  // Client IPs feed the audit trail and the login throttle: only configured proxies may set them.
  app.set('trust proxy', config.trustProxy);
  // No ETag hashed over every JSON answer: no client revalidates API answers, and the hash cost
  // each list request more than its permission check. The feed sets its own ETag (Express still
  // answers If-None-Match with 304), static assets get theirs from express.static, and
  // index.html revalidates by Last-Modified.
  app.set('etag', false);
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      exceptionFactory: validationExceptionFactory,
    }),
  );
  app.useGlobalFilters(new ProblemDetailsFilter());
  app.setGlobalPrefix(API_PREFIX, {
    exclude: [
      { path: 'health', method: RequestMethod.GET },
      { path: 'health/ready', method: RequestMethod.GET },
      { path: 'metrics', method: RequestMethod.GET },
      // The public calendar feed: subscription URLs are plain .ics files (src/ical-feeds).
      { path: 'ical/:token.ics', method: RequestMethod.GET },
    ],
  });
  app.enableShutdownHooks();
  setupOpenApi(app);
}

export function setupOpenApi(app: INestApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('danwel API')
      .setDescription(
        [
          'Time blocking for teams, synced to Google and Microsoft 365 calendars and to invoicing.',
          '',
          'Conventions: JSON in snake_case; ids are JSON numbers; times are ISO 8601 in UTC.',
          'Errors are `application/problem+json` (`type`, `title`, `status`, `detail`); validation',
          'errors answer 422 with an `errors` object keyed by field. Lists answer',
          '`{ data, next_cursor }`: pass `cursor=<next_cursor>` for the next page.',
          'Resources of another organization answer 404, exactly like unknown ids.',
        ].join('\n'),
      )
      .setVersion('1')
      .addBearerAuth({
        type: 'http',
        scheme: 'bearer',
        description: 'An API token from /api/v1/auth/login',
      })
      .build(),
  );
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    yamlDocumentUrl: 'docs-yaml',
  });
}
