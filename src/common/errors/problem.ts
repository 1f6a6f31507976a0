/** RFC 9457 problem details: the one error shape every endpoint answers with. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  /** Validation failures: messages keyed by field path (`start_time`, `items.3.title`). */
  errors?: Record<string, string[]>;
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Problem types are relative URIs under /problems, documented in the OpenAPI description. */
export function problemType(code: string): string {
  return `/problems/${code}`;
}
