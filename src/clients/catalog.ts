import { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { ValidationFailedError } from '../common/errors/domain.error';

/*
 * Query and rule helpers shared by clients and projects (the "catalog" a time block points into).
 */

/** Where a record comes from: made here, or synced from the organization's invoicing provider. */
export type RecordSource = 'local' | 'invoicing';

export const sourceOf = (record: { integrationId: number | null }): RecordSource =>
  record.integrationId === null ? 'local' : 'invoicing';

/**
 * Archive filter. Omitted: everything, active and archived (Harvest's and Toggl's list
 * endpoints do the same; the filter narrows). `true`: active only — a NULL `is_active` counts as
 * active, as the column's default says. `false`: archived only.
 */
export function whereActive<T extends ObjectLiteral>(
  query: SelectQueryBuilder<T>,
  alias: string,
  isActive: boolean | undefined,
): SelectQueryBuilder<T> {
  if (isActive === true) {
    query.andWhere(`(${alias}.isActive = :active OR ${alias}.isActive IS NULL)`, { active: true });
  } else if (isActive === false) {
    query.andWhere(`${alias}.isActive = :active`, { active: false });
  }
  return query;
}

/** The escape character of {@link containsPattern}: `!`, since `\` means different things in
 * MySQL string literals and SQLite has no default LIKE escape at all. */
const LIKE_ESCAPE = '!';

/** `%text%` for LIKE, with the wildcards `%` and `_` (and the escape character) escaped. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[!%_]/g, (c) => LIKE_ESCAPE + c)}%`;
}

/**
 * Case-insensitive substring match on any of `columns` (`client.name`), portable to SQLite and
 * MariaDB. (SQLite's LOWER folds ASCII only, so "É" and "é" differ there; MariaDB's collation
 * folds both.)
 */
export function whereContains<T extends ObjectLiteral>(
  query: SelectQueryBuilder<T>,
  columns: string[],
  text: string | undefined,
): SelectQueryBuilder<T> {
  if (!text) return query;
  const matches = columns.map(
    (column) => `LOWER(${column}) LIKE LOWER(:search) ESCAPE '${LIKE_ESCAPE}'`,
  );
  return query.andWhere(`(${matches.join(' OR ')})`, { search: containsPattern(text) });
}

/**
 * On a record synced from invoicing, the provider owns some fields: the next pull would overwrite
 * a local edit, and a push would disagree with the provider. Changing one answers 422 naming
 * every such field; sending the value it already has is fine (the SPA may send whole forms).
 */
export function assertProviderFieldsUnchanged(
  record: { integrationId: number | null },
  kind: 'client' | 'project',
  fields: Record<string, { current: unknown; next: unknown }>,
): void {
  if (record.integrationId === null) return;
  const errors: Record<string, string[]> = {};
  for (const [field, { current, next }] of Object.entries(fields)) {
    if (next === undefined || next === current) continue;
    errors[field] = [
      `${field} is managed by the invoicing provider this ${kind} is synced from; change it there.`,
    ];
  }
  if (Object.keys(errors).length > 0) throw new ValidationFailedError(errors);
}

/** The fields the provider owns, by kind (shown to the SPA as `read_only_fields`). */
export const PROVIDER_OWNED_FIELDS = {
  client: ['name', 'email'],
  project: ['name', 'client_id', 'hourly_rate'],
} as const;

export function readOnlyFields(
  record: { integrationId: number | null },
  kind: 'client' | 'project',
): string[] {
  return record.integrationId === null ? [] : [...PROVIDER_OWNED_FIELDS[kind]];
}

/** A row referenced by a foreign key vanished between our check and our write (MySQL). */
export function isForeignKeyViolation(error: unknown): boolean {
  const driverError = (error as { driverError?: { code?: string } })?.driverError;
  const code = driverError?.code ?? (error as { code?: string })?.code;
  return (
    code === 'ER_NO_REFERENCED_ROW_2' ||
    code === 'ER_NO_REFERENCED_ROW' ||
    code === 'SQLITE_CONSTRAINT_FOREIGNKEY'
  );
}
