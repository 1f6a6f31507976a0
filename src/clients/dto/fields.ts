import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, TransformFnParams } from 'class-transformer';
import {
  IsBoolean,
  IsObject,
  IsOptional,
  IsString,
  MaxLength,
  registerDecorator,
  ValidateIf,
  ValidationOptions,
} from 'class-validator';
import { MONEY } from '../../common/validation/validators';

/*
 * Field rules shared by the client and project DTOs (projects import them from here: a project
 * hangs under a client, so the dependency already points this way).
 */

export const trim = ({ value }: TransformFnParams): unknown =>
  typeof value === 'string' ? value.trim() : value;

/** May be left out, but not sent as null (for NOT NULL columns in PATCH bodies). */
export const NotNullWhenPresent = () => ValidateIf((_, value) => value !== undefined);

/** Metadata is a free-form JSON object for the SPA and scripts; this bounds its size. */
export const MAX_METADATA_BYTES = 10 * 1024;

function IsSmallJson(maxBytes: number, options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isSmallJson',
      target: target.constructor,
      propertyName: propertyName as string,
      options: {
        message: `$property must be at most ${maxBytes / 1024} KB when serialized as JSON`,
        ...options,
      },
      validator: {
        validate: (value: unknown) => Buffer.byteLength(JSON.stringify(value), 'utf8') <= maxBytes,
      },
    });
}

/** `metadata`: a JSON object (not an array), at most 10 KB serialized; null clears it. */
export const MetadataField = () =>
  applyDecorators(
    ApiPropertyOptional({
      type: 'object',
      additionalProperties: true,
      nullable: true,
      example: { reference: 'PO-1042' },
      description:
        'Free-form JSON object (at most 10 KB serialized). An update replaces the whole ' +
        'object; null clears it. Always editable, also on records synced from invoicing.',
    }),
    IsOptional(),
    IsObject({ message: 'metadata must be a JSON object' }),
    IsSmallJson(MAX_METADATA_BYTES),
  );

/** `is_active` in a body: archive (false) or restore (true). */
export const IsActiveField = () =>
  applyDecorators(
    ApiPropertyOptional({
      type: Boolean,
      default: true,
      description:
        'false archives: hidden from pickers (`is_active=true` lists) but kept on existing ' +
        'time blocks. Always editable, also on records synced from invoicing.',
    }),
    NotNullWhenPresent(),
    IsBoolean({ message: 'is_active must be true or false' }),
  );

/**
 * `is_active` in a query string: `true` or `false`; anything else stays a string and fails
 * validation (422) instead of silently matching everything.
 */
export const IsActiveQuery = () =>
  applyDecorators(
    ApiPropertyOptional({
      type: Boolean,
      description:
        'Omitted: active and archived alike (as Harvest and Toggl list them). ' +
        '`true`: only active ones (what pickers use). `false`: only archived ones.',
    }),
    IsOptional(),
    Transform(({ value }: TransformFnParams): unknown =>
      value === 'true' ? true : value === 'false' ? false : value,
    ),
    IsBoolean({ message: 'is_active must be true or false' }),
  );

/** `q`: a case-insensitive substring search. */
export const SearchQuery = (description: string) =>
  applyDecorators(
    ApiPropertyOptional({ description, maxLength: 255 }),
    IsOptional(),
    Transform(trim),
    IsString(),
    MaxLength(255),
  );

/**
 * Money arrives as a decimal string ("85", "85.5", "85.00") or as a JSON number (85.5) and is
 * stored as a two-decimal string. A number is turned into its shortest exact decimal text by
 * `String()`, then handled as text: no float arithmetic, and 85.555 is refused rather than
 * rounded. Values that are not money pass through untouched for the validator to refuse.
 */
export function normaliseMoney({ value }: TransformFnParams): unknown {
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
  if (typeof text !== 'string' || !MONEY.test(text)) return text;
  const [whole, fraction = ''] = text.split('.');
  return `${whole.replace(/^0+(?=\d)/, '')}.${fraction.padEnd(2, '0')}`;
}
