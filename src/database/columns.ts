import { Column, ColumnOptions, PrimaryGeneratedColumn, ValueTransformer } from 'typeorm';

/*
 * Entity column decorators that hide the driver differences (docs/architecture.md, "Conventions"):
 * mysql2 returns BIGINT and DECIMAL as strings and SQLite as numbers; ids are numbers in the API.
 */

const idTransformer: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | number | null) => (value === null ? null : Number(value)),
};

/** Money and rates stay decimal strings ("12.50"); never float arithmetic. */
const decimalTransformer = (scale: number): ValueTransformer => ({
  to: (value: string | null | undefined) => value,
  from: (value: string | number | null) => (value === null ? null : Number(value).toFixed(scale)),
});

/** Booleans come back as 0/1 from both drivers in raw paths; normalise to true/false. */
const booleanTransformer: ValueTransformer = {
  to: (value: boolean | null | undefined) => value,
  from: (value: boolean | number | null) => (value === null ? null : Boolean(value)),
};

export function IdColumn(): PropertyDecorator {
  // TypeORM 1.x no longer declares `transformer` on PrimaryGeneratedColumn's options, but still
  // passes them through to the column; without it mysql2's BIGINT strings would leak out as ids.
  // (A variable rather than an inline literal, so the undeclared property type-checks.)
  const options = { type: 'bigint', unsigned: true, transformer: idTransformer } as const;
  return PrimaryGeneratedColumn(options);
}

export function ForeignIdColumn(
  name: string,
  options: { nullable?: boolean } = {},
): PropertyDecorator {
  return Column({
    name,
    type: 'bigint',
    unsigned: true,
    nullable: options.nullable ?? false,
    transformer: idTransformer,
  });
}

/**
 * TIMESTAMP and DATETIME columns. Entities declare `datetime` because SQLite knows no TIMESTAMP
 * type (the migrations create TIMESTAMP on MySQL); both drivers read and write them in UTC.
 */
export function DateTimeColumn(
  name: string,
  options: { nullable?: boolean } = {},
): PropertyDecorator {
  return Column({ name, type: 'datetime', nullable: options.nullable ?? true });
}

export function DecimalColumn(
  name: string,
  options: { precision: number; scale: number; nullable?: boolean },
): PropertyDecorator {
  return Column({
    name,
    type: 'decimal',
    precision: options.precision,
    scale: options.scale,
    nullable: options.nullable ?? true,
    transformer: decimalTransformer(options.scale),
  });
}

export function BooleanColumn(
  name: string,
  options: { default: boolean; nullable?: boolean },
): PropertyDecorator {
  return Column({
    name,
    type: 'boolean',
    default: options.default,
    nullable: options.nullable ?? false,
    transformer: booleanTransformer,
  });
}

/** `default` is SQL, as in the migration: e.g. `() => "('[]')"` (JSON takes expression defaults). */
export function JsonColumn(
  name: string,
  options: Pick<ColumnOptions, 'nullable' | 'default' | 'select'> = {},
): PropertyDecorator {
  return Column({
    name,
    type: 'json',
    nullable: options.nullable ?? true,
    default: options.default,
    select: options.select,
  });
}
