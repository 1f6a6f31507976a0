import { registerDecorator, ValidateIf, ValidationOptions } from 'class-validator';

/** IANA zone names (`Europe/Amsterdam`, `UTC`); raw offsets like `+01:00` are not zones. */
export function isIanaTimeZone(value: unknown): value is string {
  if (typeof value !== 'string' || !/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(value)) {
    return false;
  }
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

export function IsTimeZone(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isTimeZone',
      target: target.constructor,
      propertyName: propertyName as string,
      options: {
        message: `$property must be an IANA time zone such as Europe/Amsterdam`,
        ...options,
      },
      validator: { validate: isIanaTimeZone },
    });
}

/** A wall-clock time `HH:MM` or `HH:MM:SS` (24-hour). */
export const TIME_OF_DAY = /^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/;

/** A URL-safe organization slug: lowercase words joined by single hyphens. */
export const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** A non-negative decimal with at most two decimals, sent as a string ("95.00"): money. */
export const MONEY = /^\d{1,8}(\.\d{1,2})?$/;

/** A colour as `#rrggbb` (any case in input; stored lowercase by `lowercaseColor`). */
export const HEX_COLOR = /^#[0-9a-fA-F]{6}$/;

export const lowercaseColor = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.trim().toLowerCase() : value;

/**
 * A boolean in a query string: `true` or `false`; anything else stays as sent, for the validator
 * to refuse (422) instead of silently matching everything.
 */
export const queryBoolean = ({ value }: { value: unknown }): unknown =>
  value === 'true' ? true : value === 'false' ? false : value;

/**
 * May be left out, but not sent as null: unlike `@IsOptional()`, a null goes on to the field's
 * other validators (and fails them), instead of reaching a NOT NULL column.
 */
export function IsOptionalNotNull(options?: ValidationOptions): PropertyDecorator {
  return ValidateIf((_, value) => value !== undefined, options);
}
