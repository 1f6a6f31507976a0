import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { STATUS_CODES } from 'node:http';
import { DatabaseUnavailableError, isDatabaseUnavailable } from '../../database/unavailable';
import { redactUrl } from '../logging/logger';
import { DomainError } from './domain.error';
import { PROBLEM_CONTENT_TYPE, ProblemDetails, problemType } from './problem';

/** Errors thrown by body-parser carry their HTTP status (400 bad JSON, 413 too large). */
interface HttpishError {
  status?: number;
  statusCode?: number;
  expose?: boolean;
  message?: string;
}

/**
 * The single place that turns any error into application/problem+json. Unknown errors become a
 * bare 500: the stack and any SQL go to the log with the request id, never to the client.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(caught: unknown, host: ArgumentsHost): void {
    // A database outage is the same answer wherever it surfaced: 503, retry shortly.
    const exception = isDatabaseUnavailable(caught) ? new DatabaseUnavailableError() : caught;
    const context = host.switchToHttp();
    const response = context.getResponse<Response>();
    const request = context.getRequest<Request>();
    const problem = this.toProblem(exception);

    if (problem.status >= 500) {
      this.logger.error({
        msg: 'request failed',
        err: caught,
        requestId: request.id,
        path: redactUrl(request.originalUrl),
      });
    }
    if (response.headersSent) return;
    if (exception instanceof DomainError) response.set(exception.headers());
    response.status(problem.status).type(PROBLEM_CONTENT_TYPE).json(problem);
  }

  private toProblem(exception: unknown): ProblemDetails {
    if (exception instanceof DomainError) {
      return {
        type: problemType(exception.code),
        title: exception.title,
        status: exception.status,
        ...(exception.detail ? { detail: exception.detail } : {}),
        ...exception.extensions,
      };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      const message =
        typeof body === 'string'
          ? body
          : ((body as { message?: string | string[] }).message ?? exception.message);
      return this.generic(status, Array.isArray(message) ? message.join('; ') : message);
    }
    const httpish = exception as HttpishError | undefined;
    const status = httpish?.status ?? httpish?.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500 && httpish?.expose !== false) {
      return this.generic(status, httpish?.message);
    }
    return this.generic(HttpStatus.INTERNAL_SERVER_ERROR, 'Something went wrong on our side.');
  }

  private generic(status: number, detail?: string): ProblemDetails {
    const title = STATUS_CODES[status] ?? 'Error';
    return {
      type: status === 404 ? problemType('not-found') : 'about:blank',
      title,
      status,
      ...(detail && detail !== title ? { detail } : {}),
    };
  }
}
