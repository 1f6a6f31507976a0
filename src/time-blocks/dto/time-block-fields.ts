import { ValidateIf, ValidationOptions } from 'class-validator';

/**
 * Optional, but not nullable: absent is fine, `null` is refused by the validators that follow.
 * (`@IsOptional()` would let `null` through to a NOT NULL column.)
 */
export const IsOptionalNotNull = (): PropertyDecorator =>
  ValidateIf((_, value) => value !== undefined);

/** Optional and nullable: absent and `null` skip the validators that follow. */
export const IsOptionalNullable = (): PropertyDecorator =>
  ValidateIf((_, value) => value !== undefined && value !== null);

export const timeMessage = (options?: ValidationOptions): ValidationOptions => ({
  message:
    '$property must be an ISO 8601 date and time, with an offset (2025-03-31T09:00:00+02:00) ' +
    'or as wall-clock time in the block’s timezone (2025-03-31T09:00)',
  ...options,
});

export const trim = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.trim() : value;
