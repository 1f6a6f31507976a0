import { BeforeInsert, BeforeUpdate } from 'typeorm';
import { DateTimeColumn } from './columns';

/**
 * Now, to the whole second. MySQL's TIMESTAMP(0) drops fractions while SQLite's text keeps them;
 * truncating here keeps the entity in memory equal to the row read back, on both databases.
 */
export function currentTimestamp(): Date {
  return new Date(Math.floor(Date.now() / 1000) * 1000);
}

/**
 * `created_at` / `updated_at` for the tables that have both. The base schema gives them no default
 * (TIMESTAMP NULL), so the application fills them, Laravel-style, on insert and on update.
 * Only `save()` runs entity listeners: a bulk `update()` through the query builder must set
 * `updatedAt` itself.
 */
export abstract class TimestampedEntity {
  @DateTimeColumn('created_at')
  createdAt!: Date | null;

  @DateTimeColumn('updated_at')
  updatedAt!: Date | null;

  @BeforeInsert()
  protected stampCreation(): void {
    const now = currentTimestamp();
    this.createdAt ??= now;
    this.updatedAt ??= now;
  }

  @BeforeUpdate()
  protected stampUpdate(): void {
    this.updatedAt = currentTimestamp();
  }
}
