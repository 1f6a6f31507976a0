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

/** JSON objects people store for the web app and scripts (metadata, preferences) stay small. */
export const MAX_JSON_BYTES = 10 * 1024;
export const MAX_JSON_DEPTH = 8;

/** Nesting depth of a JSON value: 0 for a scalar, 1 for a flat object or array. */
function jsonDepth(value: unknown, limit: number): number {
  if (value === null || typeof value !== 'object') return 0;
  if (limit <= 0) return 1; // deep enough to be refused; do not walk further
  const children = Object.values(value as Record<string, unknown>);
  return 1 + Math.max(0, ...children.map((child) => jsonDepth(child, limit - 1)));
}

/**
 * A JSON value at most `maxBytes` serialized and `maxDepth` levels deep, so that a free-form field
 * cannot fill a row or make every reader walk a pathological tree.
 */
export function IsBoundedJson(
  { maxBytes = MAX_JSON_BYTES, maxDepth = MAX_JSON_DEPTH } = {},
  options?: ValidationOptions,
): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isBoundedJson',
      target: target.constructor,
      propertyName: propertyName as string,
      options: {
        message: `$property must be at most ${maxBytes / 1024} KB as JSON and ${maxDepth} levels deep`,
        ...options,
      },
      validator: {
        validate: (value: unknown) =>
          Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8') <= maxBytes &&
          jsonDepth(value, maxDepth + 1) <= maxDepth,
      },
    });
}
