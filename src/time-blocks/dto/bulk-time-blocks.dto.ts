import { ApiExtraModels, ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { plainToInstance } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsObject, validate } from 'class-validator';
import { flattenValidationErrors } from '../../common/errors/validation-errors';
import { CreateTimeBlockDto } from './create-time-block.dto';
import { UpdateTimeBlockDto } from './update-time-block.dto';

export const MAX_BULK_OPERATIONS = 500;

export const BULK_OPS = ['create', 'update', 'delete'] as const;
export type BulkOp = (typeof BULK_OPS)[number];

export type BulkOperation =
  | { op: 'create'; data: CreateTimeBlockDto }
  | { op: 'update'; id: number; data: UpdateTimeBlockDto }
  | { op: 'delete'; id: number };

/** One operation, as documented; `validateOperation` checks it (which fields depend on `op`). */
@ApiExtraModels(CreateTimeBlockDto, UpdateTimeBlockDto)
export class BulkOperationDto {
  @ApiProperty({ enum: BULK_OPS })
  op!: BulkOp;

  @ApiPropertyOptional({ type: 'integer', description: 'The block: update and delete only.' })
  id?: number;

  @ApiPropertyOptional({
    description: 'The fields: create (as in POST) and update (as in PATCH) only.',
    oneOf: [
      { $ref: getSchemaPath(CreateTimeBlockDto) },
      { $ref: getSchemaPath(UpdateTimeBlockDto) },
    ],
  })
  data?: CreateTimeBlockDto | UpdateTimeBlockDto;
}

export class BulkTimeBlocksDto {
  @ApiProperty({
    type: [BulkOperationDto],
    minItems: 1,
    maxItems: MAX_BULK_OPERATIONS,
    description:
      'Applied in order in one transaction: all or nothing. Overlaps are checked against the ' +
      'state after the last operation, so blocks can move past each other.',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_BULK_OPERATIONS)
  @IsObject({ each: true, message: 'each operation must be an object' })
  operations!: Record<string, unknown>[];
}

const OPERATION_FIELDS = new Set(['op', 'id', 'data']);

/**
 * Validates `operations[index]` the way the global ValidationPipe validates a body (same
 * validators, whitelist, messages), so that the bulk answer can report every item's problems next
 * to its result. Errors are keyed by path: `operations.3.data.end_time`.
 */
export async function validateOperation(
  raw: Record<string, unknown>,
  index: number,
): Promise<{ operation: BulkOperation } | { errors: Record<string, string[]> }> {
  const path = `operations.${index}`;
  const errors: Record<string, string[]> = {};
  const add = (field: string, message: string) => (errors[`${path}.${field}`] = [message]);

  for (const key of Object.keys(raw)) {
    if (!OPERATION_FIELDS.has(key)) add(key, `${path}.${key} is not an accepted field.`);
  }
  const { op, id, data } = raw;
  if (!BULK_OPS.includes(op as BulkOp)) {
    add('op', 'op must be one of create, update, delete');
    return { errors };
  }
  if (op === 'create') {
    if (id !== undefined) add('id', 'id is not accepted on create; the block gets a new id');
  } else if (typeof id !== 'number' || !Number.isInteger(id) || id < 1) {
    add('id', 'id must be the id of a time block');
  }

  let fields: CreateTimeBlockDto | UpdateTimeBlockDto | undefined;
  if (op === 'delete') {
    if (data !== undefined) add('data', 'data is not accepted on delete');
  } else if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    add('data', 'data must be an object');
  } else {
    fields = plainToInstance(op === 'create' ? CreateTimeBlockDto : UpdateTimeBlockDto, data);
    const problems = await validate(fields, { whitelist: true, forbidNonWhitelisted: true });
    flattenValidationErrors(problems, `${path}.data`, errors);
  }

  if (Object.keys(errors).length > 0) return { errors };
  if (op === 'create') return { operation: { op, data: fields as CreateTimeBlockDto } };
  if (op === 'update')
    return { operation: { op, id: id as number, data: fields as UpdateTimeBlockDto } };
  return { operation: { op: 'delete', id: id as number } };
}
