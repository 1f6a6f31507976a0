import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { Membership } from '../auth/authenticated-user';
import {
  ConflictError,
  DomainError,
  ForbiddenError,
  ValidationFailedError,
} from '../common/errors/domain.error';
import { CursorPage } from '../common/pagination/cursor';
import { inTransaction, isSqlite } from '../database/transaction';
import { BlockWriter, Outcome } from './block-writer';
import { BulkOperation, BulkTimeBlocksDto, validateOperation } from './dto/bulk-time-blocks.dto';
import { CreateTimeBlockDto } from './dto/create-time-block.dto';
import { ListTimeBlocksQueryDto } from './dto/list-time-blocks.dto';
import { UpdateTimeBlockDto } from './dto/update-time-block.dto';
import { BulkFailedError, BulkFailureReason, BulkItemResult } from './time-block.errors';
import { TimeBlock } from './time-block.entity';
import { listTimeBlocks } from './time-block-list';
import { PresentedBlock } from './time-block.presenter';

const DEADLOCK_ATTEMPTS = 5;

function isDeadlock(error: unknown): boolean {
  const driverError = (error as { driverError?: { code?: string } })?.driverError;
  return (driverError?.code ?? (error as { code?: string })?.code) === 'ER_LOCK_DEADLOCK';
}

@Injectable()
export class TimeBlocksService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  find(membership: Membership, timeBlockId: number): Promise<TimeBlock> {
    return membership.scope.findOrFail(
      this.dataSource.manager,
      TimeBlock,
      timeBlockId,
      'Time block',
    );
  }

  /** Blocks overlapping `[from, to)`, filtered, in start order (see time-block-list.ts). */
  list(membership: Membership, query: ListTimeBlocksQueryDto): Promise<CursorPage<PresentedBlock>> {
    return listTimeBlocks(this.dataSource, membership, query);
  }

  async create(membership: Membership, dto: CreateTimeBlockDto): Promise<TimeBlock> {
    return this.single(membership, { op: 'create', data: dto });
  }

  async update(
    membership: Membership,
    timeBlockId: number,
    dto: UpdateTimeBlockDto,
  ): Promise<TimeBlock> {
    return this.single(membership, { op: 'update', id: timeBlockId, data: dto });
  }

  async remove(membership: Membership, timeBlockId: number): Promise<void> {
    await this.single(membership, { op: 'delete', id: timeBlockId });
  }

  /**
   * Up to 500 operations in one transaction, all or nothing. Every operation is checked (its
   * fields, the rules, permissions) and applied in order; overlaps are then checked against the
   * final state, so blocks can trade places. Any failure rolls everything back and answers with
   * each operation's result (`BulkFailedError`).
   */
  async bulk(membership: Membership, dto: BulkTimeBlocksDto): Promise<BulkItemResult[]> {
    const parsed = await Promise.all(dto.operations.map(validateOperation));
    const firstUse = new Map<number, number>();
    const prechecked = parsed.map((item, index) => {
      if (!('operation' in item) || item.operation.op === 'create') return item;
      const earlier = firstUse.get(item.operation.id);
      if (earlier === undefined) {
        firstUse.set(item.operation.id, index);
        return item;
      }
      return {
        errors: {
          [`operations.${index}.id`]: [
            `id is already changed by operation ${earlier}; one operation per block.`,
          ],
        },
      };
    });

    return this.transaction(async (manager) => {
      const writer = await this.writer(manager, membership).open();
      const results: BulkItemResult[] = [];
      const outcomes = new Map<number, Outcome>();
      for (const [index, item] of prechecked.entries()) {
        const raw = dto.operations[index];
        const op = 'operation' in item ? item.operation.op : null;
        const givenId =
          'operation' in item && item.operation.op !== 'create' ? item.operation.id : null;
        if (!('operation' in item)) {
          results.push(failure(index, validOp(raw.op), validId(raw.id), 'invalid', item.errors));
          continue;
        }
        try {
          const outcome = await writer.apply(item.operation, 'bulk');
          outcomes.set(index, outcome);
          results.push({ index, op, id: outcome.block.id, status: outcome.status });
        } catch (error) {
          if (!(error instanceof DomainError)) throw error;
          results.push(bulkFailure(index, op, givenId, error));
        }
      }

      const failed = results.some((result) => result.status === 'failed');
      if (!failed && writer.preventOverlaps) {
        const moved = [...outcomes.entries()].filter(([, outcome]) => outcome.moved);
        const indexOf = new Map(moved.map(([index, outcome]) => [outcome.block.id, index]));
        const created = new Set(
          moved.filter(([, outcome]) => outcome.status === 'created').map(([, o]) => o.block.id),
        );
        const conflicts = await writer.overlaps(moved.map(([, outcome]) => outcome.block));
        for (const [index, outcome] of moved) {
          const others = conflicts.get(outcome.block);
          if (!others) continue;
          const result = results[index];
          const existing = others.filter((other) => !created.has(other.id)).map((o) => o.id);
          const operations = others.flatMap((other) =>
            indexOf.has(other.id) ? [indexOf.get(other.id)!] : [],
          );
          const conflict = failure(
            index,
            result.op,
            outcome.status === 'created' ? null : outcome.block.id,
            'conflict',
            {
              [`operations.${index}`]: [
                'The block overlaps other blocks of the same member ' +
                  '(prevent_overlaps is on for this organization).',
              ],
            },
          );
          conflict.conflicting_block_ids = existing;
          conflict.conflicting_operations = operations;
          results[index] = conflict;
        }
      }

      if (results.some((result) => result.status === 'failed')) {
        throw new BulkFailedError(
          results.map((result) =>
            result.status === 'failed'
              ? result
              : {
                  index: result.index,
                  op: result.op,
                  id: result.op === 'create' ? null : result.id,
                  status: 'not_applied',
                },
          ),
        );
      }
      return results;
    });
  }

  private async single(membership: Membership, operation: BulkOperation): Promise<TimeBlock> {
    return this.transaction(async (manager) => {
      const writer = await this.writer(manager, membership).open();
      const outcome = await writer.apply(operation, 'single');
      if (outcome.moved && writer.preventOverlaps) {
        const others = (await writer.overlaps([outcome.block])).get(outcome.block);
        if (others) {
          throw new ConflictError(
            `The block overlaps ${others.length === 1 ? 'another block' : `${others.length} blocks`} ` +
              'of the same member, and this organization prevents overlaps.',
            { conflicting_block_ids: others.map((other) => other.id) },
          );
        }
      }
      return outcome.block;
    });
  }

  private writer(manager: EntityManager, membership: Membership): BlockWriter {
    return new BlockWriter(manager, membership, this.audit, !isSqlite(this.dataSource));
  }

  /**
   * `inTransaction`, retried when MySQL picks it as a deadlock victim: two writers locking the
   * same member's range (see `BlockWriter.overlaps`) can deadlock, and the retry then sees the
   * winner's committed block.
   */
  private async transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await inTransaction(this.dataSource, work);
      } catch (error) {
        if (!isDeadlock(error) || attempt >= DEADLOCK_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
      }
    }
  }
}

function failure(
  index: number,
  op: BulkItemResult['op'],
  id: number | null,
  reason: BulkFailureReason,
  errors: Record<string, string[]>,
): Extract<BulkItemResult, { status: 'failed' }> {
  return { index, op, id, status: 'failed', reason, errors };
}

/** A rule's error on one operation, with its fields placed under `operations.N`. */
function bulkFailure(
  index: number,
  op: BulkItemResult['op'],
  id: number | null,
  error: DomainError,
): BulkItemResult {
  const path = `operations.${index}`;
  if (error instanceof ValidationFailedError) {
    const errors = Object.fromEntries(
      Object.entries(error.errors).map(([field, messages]) => [
        field === 'id' ? `${path}.id` : `${path}.data.${field}`,
        messages,
      ]),
    );
    return failure(index, op, id, 'invalid', errors);
  }
  const reason: BulkFailureReason =
    error instanceof ForbiddenError
      ? 'forbidden'
      : error instanceof ConflictError
        ? 'conflict'
        : 'invalid';
  return failure(index, op, id, reason, { [path]: [error.detail ?? error.title] });
}

const validOp = (value: unknown): BulkItemResult['op'] =>
  value === 'create' || value === 'update' || value === 'delete' ? value : null;

const validId = (value: unknown): number | null =>
  typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : null;
