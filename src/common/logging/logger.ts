import { LoggerService } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import pino, { Logger } from 'pino';
import { pinoHttp } from 'pino-http';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** Query parameters whose values are credentials (OAuth codes and states, tokens). */
const SECRET_PARAMETERS = new Set([
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'code',
  'state',
  'client_secret',
  'password',
  'validationtoken',
]);

/**
 * Path segments that are secrets: invitation links (`/invitations/:token`, not an
 * organization's numeric invitation ids), calendar feeds and pending connections. Matched by
 * position, so a mistyped or guessed token is redacted as well as a real one.
 */
const SECRET_SEGMENTS = [
  /(\/invitations\/)(?!\d+(?:[/?#]|$))[^/?#]+/g,
  /(\/ical\/)[^/?#]+/g,
  /(\/integrations\/pending\/)[^/?#]+/g,
];

/** Our own tokens (`dwl_…`, `inv_…`, `rst_…`, …: see generateSecretToken) wherever they appear. */
const PREFIXED_TOKEN = /\b(dwl|inv|cal|st|pg|rst|vfy|tfa)_[A-Za-z0-9_-]{16,}/g;

const REDACTED = '[redacted]';

function parameterName(raw: string): string {
  let name = raw;
  try {
    name = decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    // A malformed escape is not a name we know; compare it as it came.
  }
  // `access_token[]=…` and `access_token[0]=…` are the same parameter to the query parser.
  return name.replace(/\[.*$/, '').trim().toLowerCase();
}

/** A request URL as logs may keep it: route shape and harmless parameters, no secrets. */
export function redactUrl(url: string): string {
  const queryStart = url.indexOf('?');
  const path = queryStart < 0 ? url : url.slice(0, queryStart);
  const redactedPath = SECRET_SEGMENTS.reduce(
    (redacted, segment) => redacted.replace(segment, `$1${REDACTED}`),
    path,
  );
  const redacted =
    queryStart < 0
      ? redactedPath
      : `${redactedPath}?${url
          .slice(queryStart + 1)
          .split('&')
          .map((pair) => {
            const equals = pair.indexOf('=');
            const name = equals < 0 ? pair : pair.slice(0, equals);
            return SECRET_PARAMETERS.has(parameterName(name)) ? `${name}=${REDACTED}` : pair;
          })
          .join('&')}`;
  return redacted.replace(PREFIXED_TOKEN, REDACTED);
}

export function createLogger(
  level: pino.LevelWithSilent,
  name = 'danwel',
  destination?: pino.DestinationStream,
): Logger {
  return pino(
    {
      name,
      level,
      // Never log credentials, even when a handler logs a whole request or a failed query
      // (whose parameters, and mysql2's `sql` with them inlined, may hold secrets).
      redact: {
        paths: [
          'req.headers',
          'res.headers',
          '*.password',
          '*.token',
          '*.access_token',
          '*.refresh_token',
          'err.parameters',
          'err.sql',
          'err.driverError.parameters',
          'err.driverError.sql',
        ],
        censor: REDACTED,
      },
    },
    // Written synchronously: a process stopping on SIGTERM re-raises the signal right after its
    // shutdown hooks, and lines still queued in an asynchronous stream ("worker stopped") are lost.
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/** Request logging with a request id taken from `X-Request-Id` when sane, else a new UUID. */
export function requestLogger(logger: Logger) {
  return pinoHttp({
    logger,
    genReqId: (request: IncomingMessage, response: ServerResponse) => {
      const incoming = request.headers['x-request-id'];
      const id =
        typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
      response.setHeader('X-Request-Id', id);
      return id;
    },
    customLogLevel: (_request, response, error) =>
      error || response.statusCode >= 500 ? 'error' : response.statusCode >= 400 ? 'warn' : 'info',
    // Method, path, status, duration (`responseTime`) and request id; no headers, which carry
    // credentials (Authorization, cookies) and secrets in redirects (Location).
    serializers: {
      req: (request: { id: string; method: string; url: string }) => ({
        id: request.id,
        method: request.method,
        url: redactUrl(request.url),
      }),
      res: (response: { statusCode: number }) => ({ statusCode: response.statusCode }),
    },
  });
}

/** Routes Nest's own logging (bootstrap, module init, Logger instances) into the same pino stream. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string) {
    this.write('info', message, context);
  }
  error(message: unknown, stackOrContext?: string, context?: string) {
    this.write('error', message, context ?? stackOrContext);
  }
  warn(message: unknown, context?: string) {
    this.write('warn', message, context);
  }
  debug(message: unknown, context?: string) {
    this.write('debug', message, context);
  }
  verbose(message: unknown, context?: string) {
    this.write('trace', message, context);
  }
  fatal(message: unknown, context?: string) {
    this.write('fatal', message, context);
  }

  private write(level: pino.Level, message: unknown, context?: string) {
    if (typeof message === 'object' && message !== null) {
      const { msg, ...fields } = message as Record<string, unknown>;
      this.logger[level]({ context, ...fields }, typeof msg === 'string' ? msg : '');
    } else {
      this.logger[level]({ context }, String(message));
    }
  }
}
