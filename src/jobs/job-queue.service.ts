import { Injectable } from '@nestjs/common';
import { EntityManager, IsNull } from 'typeorm';
import { DecryptionError, Encrypter, SecretColumn } from '../common/crypto/encrypter';
import { mapEncryptedStrings } from '../common/crypto/encrypted-strings';
import { PermanentJobError } from './job-handler';
import { Job } from './job.entity';

export interface EnqueueOptions {
  organizationId?: number | null;
  queue?: string;
  delaySeconds?: number;
  maxAttempts?: number;
  /**
   * Payload values that are secrets (a mailed token): stored encrypted and bound to the job's
   * row, handed to the handler in plain text.
   */
  secrets?: Record<string, string>;
}

/** Where a secret of a job's payload is stored. */
export const jobSecretColumn = (key: string): SecretColumn => `jobs.payload.${key}`;

/**
 * Enqueues work inside the caller's transaction: the job exists if and only if the change that
 * caused it was committed, so a crash between "save" and "send" cannot lose or invent work.
 */
@Injectable()
export class JobQueue {
  constructor(private readonly encrypter: Encrypter) {}

  async enqueue(
    manager: EntityManager,
    type: string,
    payload: Record<string, unknown>,
    options: EnqueueOptions = {},
  ): Promise<Job> {
    const job = await manager.save(
      manager.create(Job, {
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
      }),
    );
    const secrets = Object.entries(options.secrets ?? {});
    if (secrets.length === 0) return job;
    // Bound to the row id, which exists only once the row does (same transaction).
    job.payload = {
      ...payload,
      ...Object.fromEntries(
        secrets.map(([key, value]) => [
          key,
          this.encrypter.encrypt(value, { column: jobSecretColumn(key), id: job.id }),
        ]),
      ),
    };
    return manager.save(job);
  }

  /**
   * Enqueues a job of `type` for the organization unless one is already waiting to start (a
   * waiting job reads its target when it runs, so one is enough; a running one may have read it
   * before the change that asks again, so it does not count). `covers` narrows which waiting
   * jobs do the new one's work, by their payload.
   */
  async enqueueUnlessWaiting(
    manager: EntityManager,
    type: string,
    payload: Record<string, unknown>,
    options: EnqueueOptions & {
      organizationId: number;
      covers?: (waiting: Record<string, unknown>) => boolean;
    },
  ): Promise<void> {
    const { covers, ...enqueueOptions } = options;
    const where = {
      type,
      organizationId: options.organizationId,
      reservedBy: IsNull(),
      failedAt: IsNull(),
    };
    const waiting = covers
      ? (await manager.findBy(Job, where)).some((job) => covers(job.payload))
      : await manager.existsBy(Job, where);
    if (!waiting) await this.enqueue(manager, type, payload, enqueueOptions);
  }

  /** The payload a handler sees: its secrets decrypted (a value moved from another job fails). */
  payloadOf(job: Job): Record<string, unknown> {
    try {
      return mapEncryptedStrings(job.payload, 'jobs.payload', (path, text) =>
        this.encrypter.decrypt(text, { column: path as SecretColumn, id: job.id }),
      ) as Record<string, unknown>;
    } catch (error) {
      if (error instanceof DecryptionError) throw new PermanentJobError(error.message);
      throw error;
    }
  }
}
