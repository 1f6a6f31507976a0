import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, TransformFnParams } from 'class-transformer';
import { IsBoolean, IsObject, IsOptional, IsString, MaxLength } from 'class-validator';
import {
  IsBoundedJson,
  IsOptionalNotNull,
  MAX_JSON_BYTES,
  MAX_JSON_DEPTH,
  MONEY,
} from '../../common/validation/validators';

/*
 * Field rules shared by the client and project DTOs (projects import them from here: a project
 * hangs under a client, so the dependency already points this way).
 */

export const trim = ({ value }: TransformFnParams): unknown =>
  typeof value === 'string' ? value.trim() : value;

/** `metadata`: a JSON object (not an array) of bounded size and depth; null clears it. */
export const MetadataField = () =>
  applyDecorators(
    ApiPropertyOptional({
      type: 'object',
      additionalProperties: true,
      nullable: true,
      example: { reference: 'PO-1042' },
      description:
        `Free-form JSON object (at most ${MAX_JSON_BYTES / 1024} KB serialized, ` +
        `${MAX_JSON_DEPTH} levels deep). An update replaces the whole object; null clears it. ` +
        'Always editable, also on records synced from invoicing.',
    }),
    IsOptional(),
    IsObject({ message: 'metadata must be a JSON object' }),
    IsBoundedJson(),
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
    IsOptionalNotNull(),
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
