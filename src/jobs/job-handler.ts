import { Injectable } from '@nestjs/common';

/** A job type's implementation. Handlers must be idempotent: a job can run more than once. */
export interface JobHandler<P = Record<string, unknown>> {
  handle(payload: P): Promise<void>;
}

/** Thrown by a handler when retrying cannot help (bad payload, deleted target): fail now. */
export class PermanentJobError extends Error {}

/** Thrown by a handler that knows when to retry (a provider's Retry-After). */
export class RetryJobLaterError extends Error {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** Modules register their job types here at startup; the worker looks handlers up by type. */
@Injectable()
export class JobHandlerRegistry {
  private readonly handlers = new Map<string, JobHandler<never>>();
  private readonly periods = new Map<string, number>();

  register<P>(type: string, handler: JobHandler<P>): void {
    if (this.handlers.has(type))
      throw new Error(`A handler for job type "${type}" is already registered.`);
    this.handlers.set(type, handler as JobHandler<never>);
  }

  /**
   * A job type that runs every `everySeconds` without anyone enqueueing it (housekeeping): one
   * row of the jobs table, scheduled when a worker starts and moved forward after each run.
   */
  registerRecurring(type: string, everySeconds: number, handler: JobHandler): void {
    this.register(type, handler);
    this.periods.set(type, everySeconds);
  }

  find(type: string): JobHandler<Record<string, unknown>> | undefined {
    return this.handlers.get(type) as JobHandler<Record<string, unknown>> | undefined;
  }

  /** Seconds between runs of a recurring type; undefined for jobs that run once. */
  periodOf(type: string): number | undefined {
    return this.periods.get(type);
  }

  /** The recurring types and their periods. */
  recurring(): Array<{ type: string; everySeconds: number }> {
    return [...this.periods].map(([type, everySeconds]) => ({ type, everySeconds }));
  }
}
