import { DomainError } from '../common/errors/domain.error';
import { BulkOp } from './dto/bulk-time-blocks.dto';

export type BulkFailureReason = 'invalid' | 'forbidden' | 'conflict';

/** What a bulk answer says about one operation. */
export type BulkItemResult =
  | {
      index: number;
      op: BulkOp | null;
      id: number;
      status: 'created' | 'updated' | 'unchanged' | 'deleted';
    }
  | { index: number; op: BulkOp | null; id: number | null; status: 'not_applied' }
  | {
      index: number;
      op: BulkOp | null;
      id: number | null;
      status: 'failed';
      reason: BulkFailureReason;
      errors: Record<string, string[]>;
      /** Blocks that existed before the request and overlap this one. */
      conflicting_block_ids?: number[];
      /** Other operations of this request whose blocks overlap this one. */
      conflicting_operations?: number[];
    };

const STATUS: Record<BulkFailureReason, { status: number; code: string; title: string }> = {
  invalid: { status: 422, code: 'validation-error', title: 'Unprocessable Entity' },
  forbidden: { status: 403, code: 'forbidden', title: 'Forbidden' },
  conflict: { status: 409, code: 'conflict', title: 'Conflict' },
};

/**
 * A bulk request of which nothing was applied. The status is the failures' own when they agree
 * (all overlaps: 409; all permission refusals: 403), else 422. `errors` gathers every failed
 * operation's messages by path (`operations.3.data.end_time`); `results` says, per operation,
 * whether it failed and why or would have been applied.
 */
export class BulkFailedError extends DomainError {
  constructor(results: BulkItemResult[]) {
    const failures = results.flatMap((result) => (result.status === 'failed' ? [result] : []));
    const reasons = new Set(failures.map((failure) => failure.reason));
    const { status, code, title } = STATUS[reasons.size === 1 ? [...reasons][0] : 'invalid'];
    super(
      status,
      code,
      title,
      `No operation was applied: ${failures.length} of ${results.length} failed.`,
      {
        errors: Object.assign({}, ...failures.map((failure) => failure.errors)) as Record<
          string,
          string[]
        >,
        results,
      },
    );
  }
}
