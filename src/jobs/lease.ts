import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import { metrics } from '../metrics/metrics';

/** Who holds a lease: a unique owner id, and on tables that keep one, what kind of owner it is. */
export interface LeaseHolder<Kind extends string = string> {
  id: string;
  kind?: Kind;
}

/** A column of the lease, by its entity property and its SQL name. */
interface LeaseColumn {
  property: string;
  column: string;
}

/**
 * A lease kept on a table's rows (owner and expiry, optionally the owner's kind): whoever holds an
 * unexpired lease on a row may work on it; a holder that dies lets it run out. The job queue and
 * the integrations use this one implementation; callers choose and lock the rows themselves.
 */
export class LeaseTable<T extends ObjectLiteral> {
  constructor(
    private readonly target: EntityTarget<T>,
    private readonly columns: { owner: LeaseColumn; expiresAt: LeaseColumn; kind?: LeaseColumn },
  ) {}

  /** SQL for "nobody holds the lease at `:now`", on a select's `alias`. */
  free(alias: string): string {
    const expires = `${alias}.${this.columns.expiresAt.property}`;
    return `(${expires} IS NULL OR ${expires} < :now)`;
  }

  /**
   * What a claiming select reads on `alias`: the id and the owner the lease still names, so that
   * `take` tells a takeover from a free lease without asking the database again.
   */
  claimColumns(alias: string): string[] {
    return [`${alias}.id`, `${alias}.${this.columns.owner.property}`];
  }

  /**
   * Takes the lease on rows the caller chose (and locked) with `claimColumns`, setting `extra`
   * columns with it. A row that still names an owner is one whose holder died or stalled: its
   * lease ran out (the claim only chooses free ones), which the lease-takeover metric shows.
   */
  async take(
    manager: EntityManager,
    rows: T[],
    holder: LeaseHolder,
    until: Date,
    extra: Record<string, unknown> = {},
  ): Promise<void> {
    if (rows.length === 0) return;
    const ids = rows.map((row) => row.id as number);
    await manager
      .createQueryBuilder()
      .update(this.target)
      .set({ ...this.holding(holder, until), ...extra } as never)
      .whereInIds(ids)
      .execute();
    const takeovers = rows.filter((row) => row[this.columns.owner.property] != null).length;
    if (takeovers > 0) this.recordTakeovers(takeovers);
  }

  /** Takes the lease on one row unless someone holds it; true when taken. */
  async takeIfFree(
    manager: EntityManager,
    id: number,
    holder: LeaseHolder,
    until: Date,
  ): Promise<boolean> {
    // Read first: while someone holds the lease (the common case for a waiting acquirer) this
    // one query is all it costs, and it says whether a free lease still names a lapsed owner.
    const now = new Date();
    const expires = this.columns.expiresAt.column;
    const free = `(${expires} IS NULL OR ${expires} < :now)`;
    const row = await manager
      .createQueryBuilder()
      .select(this.columns.owner.column, 'owner')
      .addSelect(`CASE WHEN ${free} THEN 1 ELSE 0 END`, 'free')
      .from(this.target, 'leased')
      .where('id = :id', { id, now })
      .getRawOne<{ owner: string | null; free: number | string }>();
    if (!row || Number(row.free) !== 1) return false;
    const result = await manager
      .createQueryBuilder()
      .update(this.target)
      .set(this.holding(holder, until) as never)
      .where('id = :id', { id })
      .andWhere(free, { now })
      .updateEntity(false)
      .execute();
    const taken = (result.affected ?? 0) > 0;
    if (taken && row.owner !== null) this.recordTakeovers(1);
    return taken;
  }

  /** Extends the lease; false when it is no longer the holder's (it ran out and was taken). */
  async renew(
    manager: EntityManager,
    id: number,
    holder: LeaseHolder,
    until: Date,
  ): Promise<boolean> {
    const result = await manager
      .createQueryBuilder()
      .update(this.target)
      .set({ [this.columns.expiresAt.property]: until } as never)
      .where(`id = :id AND ${this.columns.owner.column} = :owner`, { id, owner: holder.id })
      .updateEntity(false)
      .execute();
    return (result.affected ?? 0) > 0;
  }

  /**
   * Hands the lease back, with `extra` columns, on one row (`id`) or on every row the holder has;
   * only where the holder still has it. Returns how many rows it released.
   */
  async release(
    manager: EntityManager,
    holder: LeaseHolder,
    options: { id?: number; extra?: Record<string, unknown> } = {},
  ): Promise<number> {
    const query = manager
      .createQueryBuilder()
      .update(this.target)
      .set({ ...this.released(), ...(options.extra ?? {}) } as never)
      .where(`${this.columns.owner.column} = :owner`, { owner: holder.id });
    if (options.id !== undefined) query.andWhere('id = :id', { id: options.id });
    const result = await query.updateEntity(false).execute();
    return result.affected ?? 0;
  }

  /** A `where` object matching a row only while `holder` has its lease. */
  heldBy(holder: LeaseHolder): Record<string, string> {
    return { [this.columns.owner.property]: holder.id };
  }

  private recordTakeovers(count: number): void {
    metrics.leaseTakeovers.inc({ table: this.tableName() }, count);
  }

  private tableName(): string {
    return typeof this.target === 'function' ? this.target.name : String(this.target);
  }

  private holding(holder: LeaseHolder, until: Date): Record<string, unknown> {
    return {
      [this.columns.owner.property]: holder.id,
      [this.columns.expiresAt.property]: until,
      ...(this.columns.kind ? { [this.columns.kind.property]: holder.kind ?? null } : {}),
    };
  }

  private released(): Record<string, unknown> {
    return {
      [this.columns.owner.property]: null,
      [this.columns.expiresAt.property]: null,
      ...(this.columns.kind ? { [this.columns.kind.property]: null } : {}),
    };
  }
}

/** An owner id unique to this process and call: host, pid and a random tail. */
export function workerIdentity(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}
