import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { ValidationFailedError } from '../errors/domain.error';

/** The one list shape: a page of items and an opaque cursor for the next page (null at the end). */
export interface CursorPage<T> {
  data: T[];
  next_cursor: string | null;
}

export class CursorQueryDto {
  @ApiPropertyOptional({ description: 'Opaque cursor from the previous page’s next_cursor.' })
  @IsOptional()
  @IsString()
  cursor?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 25 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;
}

type CursorValue = string | number;

export function encodeCursor(values: CursorValue[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

export function decodeCursor(cursor: string, length: number): CursorValue[] {
  try {
    const values: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(values) &&
      values.length === length &&
      values.every((v) => typeof v === 'string' || typeof v === 'number')
    ) {
      return values as CursorValue[];
    }
  } catch {
    // fall through to the validation error
  }
  throw invalidCursor();
}

/** A cursor that decodes but names no row this list could have produced. */
export function invalidCursor(): ValidationFailedError {
  return ValidationFailedError.field('cursor', 'cursor is not a valid pagination cursor.');
}

export interface KeysetOrder<T> {
  /** Column expression in the query (e.g. `block.startTime`) and how to read it off a row. */
  column: string;
  value: (row: T) => CursorValue | Date;
  /** Date columns travel as ISO strings in the cursor and are bound back as Dates. */
  date?: boolean;
}

/**
 * Keyset pagination: orders by the given columns ascending (the last must be unique, usually the
 * id), continues after the cursor's row, and fetches one extra row to know whether a next page
 * exists. Stable under concurrent inserts, and cheap at any depth, unlike OFFSET.
 */
export async function paginate<T extends ObjectLiteral>(
  query: SelectQueryBuilder<T>,
  order: KeysetOrder<T>[],
  { cursor, limit = 25 }: CursorQueryDto,
  direction: 'ASC' | 'DESC' = 'ASC',
): Promise<CursorPage<T>> {
  order.forEach(({ column }, index) =>
    index === 0 ? query.orderBy(column, direction) : query.addOrderBy(column, direction),
  );
  if (cursor) {
    const values = decodeCursor(cursor, order.length);
    const comparison = direction === 'ASC' ? '>' : '<';
    // (a, b) > (x, y) written out, since row-value comparison is not portable to every engine.
    const clauses = order.map((_, index) => {
      const equal = order.slice(0, index).map((o, i) => `${o.column} = :cursor${i}`);
      return [...equal, `${order[index].column} ${comparison} :cursor${index}`].join(' AND ');
    });
    query.andWhere(
      `(${clauses.map((c) => `(${c})`).join(' OR ')})`,
      Object.fromEntries(
        values.map((value, i) => [`cursor${i}`, order[i].date ? new Date(value) : value]),
      ),
    );
  }
  // limit, not take: list queries select plain rows (no to-many joins), so LIMIT is exact.
  const rows = await query.limit(limit + 1).getMany();
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    data: page,
    next_cursor:
      rows.length > limit && last
        ? encodeCursor(
            order.map(({ value }) => {
              const v = value(last);
              return v instanceof Date ? v.toISOString() : v;
            }),
          )
        : null,
  };
}
