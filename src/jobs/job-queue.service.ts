import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Job } from './job.entity';

export interface EnqueueOptions {
  organizationId?: number | null;
  queue?: string;
  delaySeconds?: number;
  maxAttempts?: number;
}

/**
 * Enqueues work inside the caller's transaction: the job exists if and only if the change that
 * caused it was committed, so a crash between "save" and "send" cannot lose or invent work.
 */
@Injectable()
export class JobQueue {
  async enqueue(
    manager: EntityManager,
    type: string,
    payload: Record<string, unknown>,
    options: EnqueueOptions = {},
  ): Promise<Job> {
    const job = manager.create(Job, {
      type,
      payload,
      organizationId: options.organizationId ?? null,
      queue: options.queue ?? 'default',
      attempts: 0,
      maxAttempts: options.maxAttempts ?? 5,
      availableAt: new Date(Date.now() + (options.delaySeconds ?? 0) * 1000),
      reservedBy: null,
      reservedUntil: null,
      lastError: null,
      failedAt: null,
    });
    return manager.save(job);
  }
}
