import { FieldErrors } from '../common/validation/field-errors';
import { TimeInputError, toInstant } from './block-time';
import { MAX_RANGE_DAYS } from './dto/list-time-blocks.dto';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The `from` and `to` of a calendar-range list (blocks, busy time) as instants: `to` after
 * `from`, at most MAX_RANGE_DAYS later; otherwise 422 with the field's error.
 */
export function listRange(query: { from: string; to: string }): { from: Date; to: Date } {
  const errors = new FieldErrors();
  const read = (field: 'from' | 'to') => {
    try {
      return toInstant(field, query[field], 'UTC');
    } catch (error) {
      if (!(error instanceof TimeInputError)) throw error;
      errors.add(field, error.message);
      return null;
    }
  };
  const from = read('from');
  const to = read('to');
  if (from && to) {
    if (to.getTime() <= from.getTime()) errors.add('to', 'to must be after from');
    else if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * DAY_MS)
      errors.add('to', `to must be at most ${MAX_RANGE_DAYS} days after from`);
  }
  errors.throwIfAny();
  return { from: from!, to: to! };
}
