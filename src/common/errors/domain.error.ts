/**
 * Base class for errors a module raises on purpose. Each module defines its own subclasses (or
 * uses these directly); the global filter turns them into problem+json with the given status.
 * `code` becomes the problem `type`, `detail` is shown to the client as is — never put secrets,
 * SQL or internal state in it.
 */
export class DomainError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail?: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail ?? title);
    this.name = new.target.name;
  }

  /** Extra response headers (e.g. Retry-After). */
  headers(): Record<string, string> {
    return {};
  }
}

/** 404 for unknown ids and for other tenants' ids alike: never reveal that something exists. */
export class NotFoundError extends DomainError {
  constructor(resource: string) {
    super(404, 'not-found', 'Not Found', `${resource} not found.`);
  }
}

/** 401: no credentials, or ones we do not accept. Says which scheme to use (RFC 6750). */
export class UnauthenticatedError extends DomainError {
  constructor(detail = 'A valid bearer token is required.') {
    super(401, 'unauthenticated', 'Unauthorized', detail);
  }

  override headers(): Record<string, string> {
    return { 'WWW-Authenticate': 'Bearer' };
  }
}

export class ConflictError extends DomainError {
  constructor(detail: string, extensions: Record<string, unknown> = {}) {
    super(409, 'conflict', 'Conflict', detail, extensions);
  }
}

export class ForbiddenError extends DomainError {
  constructor(detail = 'You do not have permission to do this.') {
    super(403, 'forbidden', 'Forbidden', detail);
  }
}

/** 422 with field errors, the same shape as a failed DTO validation. */
export class ValidationFailedError extends DomainError {
  constructor(readonly errors: Record<string, string[]>) {
    super(422, 'validation-error', 'Unprocessable Entity', 'The given data was invalid.', {
      errors,
    });
  }

  static field(field: string, message: string): ValidationFailedError {
    return new ValidationFailedError({ [field]: [message] });
  }
}
