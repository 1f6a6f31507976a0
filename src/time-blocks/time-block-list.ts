import { DataSource } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import { Membership } from '../auth/authenticated-user';
import { CursorPage, decodeCursor, encodeCursor, invalidCursor } from '../common/pagination/cursor';
import { MAX_BLOCK_MS } from './block-time';
import { ListTimeBlocksQueryDto } from './dto/list-time-blocks.dto';
import { listRange } from './list-range';
import { PRESENTED_PROPERTIES, PresentedBlock } from './time-block.presenter';
import { TimeBlock } from './time-block.entity';

/*
 * The calendar list (`GET …/time-blocks`), the API's hottest read, as one hand-written statement
 * and a row mapper rather than a query builder and entity hydration, which were most of its CPU
 * time. It selects only the columns the presenter shows, and reads them back exactly as the
 * entity would (each column's own driver conversion and transformer).
 */

interface ListShape {
  select: string;
  columns: {
    property: (typeof PRESENTED_PROPERTIES)[number];
    alias: string;
    metadata: ColumnMetadata;
  }[];
  startTime: ColumnMetadata;
}

/** Built once per data source from the entity's metadata, so column names stay in one place. */
const shapes = new WeakMap<DataSource, ListShape>();

function shapeOf(dataSource: DataSource): ListShape {
  let shape = shapes.get(dataSource);
  if (!shape) {
    const metadata = dataSource.getMetadata(TimeBlock);
    const columns = PRESENTED_PROPERTIES.map((property, index) => ({
      property,
      alias: `c${index}`,
      metadata: metadata.findColumnWithPropertyName(property)!,
    }));
    shape = {
      select: columns
        .map(({ alias, metadata: column }) => `block.${column.databaseName} AS ${alias}`)
        .join(', '),
      columns,
      startTime: metadata.findColumnWithPropertyName('startTime')!,
    };
    shapes.set(dataSource, shape);
  }
  return shape;
}

/**
 * The list's statement and parameters: blocks of the organization overlapping `[from, to)`,
 * filtered, in start order (ties by id, the keyset the cursor continues from), one row more than
 * the page to tell whether another follows. `organization_id = ? AND user_id = ?` plus the start
 * range bounded on both ends (blocks last at most MAX_BLOCK_MS) is what lets MySQL and SQLite
 * answer it from idx_org_user_time; `user_id=all` keeps organization_id as its prefix.
 */
export function timeBlockListQuery(
  dataSource: DataSource,
  membership: Membership,
  query: ListTimeBlocksQueryDto,
): [string, unknown[]] {
  const { from, to } = listRange(query);
  const shape = shapeOf(dataSource);
  const driver = dataSource.driver;
  const instant = (value: Date) => driver.preparePersistentValue(value, shape.startTime);
  const where = ['block.organization_id = ?'];
  const parameters: unknown[] = [membership.scope.organizationId];
  const add = (clause: string, ...values: unknown[]) => {
    where.push(clause);
    parameters.push(...values);
  };
  if (query.user_id !== 'all')
    add(
      'block.user_id = ?',
      query.user_id === undefined ? membership.userId : Number(query.user_id),
    );
  add('block.start_time < ?', instant(to));
  add('block.start_time > ?', instant(new Date(from.getTime() - MAX_BLOCK_MS)));
  add('block.end_time > ?', instant(from));
  if (query.client_id !== undefined) add('block.client_id = ?', query.client_id);
  if (query.project_id !== undefined) add('block.project_id = ?', query.project_id);
  if (query.is_billable !== undefined) add('block.is_billable = ?', query.is_billable ? 1 : 0);
  if (query.approval_status !== undefined) add('block.approval_status = ?', query.approval_status);
  if (query.calendar_sync_status !== undefined)
    add('block.calendar_sync_status = ?', query.calendar_sync_status);
  add('block.deleted_at IS NULL');
  if (query.cursor) {
    const [start, id] = decodeCursor(query.cursor, 2);
    const startTime = new Date(start);
    if (Number.isNaN(startTime.getTime()) || typeof id !== 'number') throw invalidCursor();
    const after = instant(startTime);
    // (start, id) > (x, y) written out, since row-value comparison is not portable to every engine.
    add('(block.start_time > ? OR (block.start_time = ? AND block.id > ?))', after, after, id);
  }
  return [
    `SELECT ${shape.select} FROM time_blocks block WHERE ${where.join(' AND ')}` +
      ' ORDER BY block.start_time ASC, block.id ASC LIMIT ?',
    [...parameters, (query.limit ?? 25) + 1],
  ];
}

/** One page of the list, each block as the presenter takes it. */
export async function listTimeBlocks(
  dataSource: DataSource,
  membership: Membership,
  query: ListTimeBlocksQueryDto,
): Promise<CursorPage<PresentedBlock>> {
  const [sql, parameters] = timeBlockListQuery(dataSource, membership, query);
  const rows = (await dataSource.query(sql, parameters)) as Record<string, unknown>[];
  const { columns } = shapeOf(dataSource);
  const driver = dataSource.driver;
  const limit = query.limit ?? 25;
  const data = rows.slice(0, limit).map((row) => {
    const block = {} as Record<string, unknown>;
    for (const { property, alias, metadata } of columns)
      block[property] = driver.prepareHydratedValue(row[alias], metadata);
    return block as unknown as PresentedBlock;
  });
  const last = data[data.length - 1];
  return {
    data,
    next_cursor:
      rows.length > limit && last ? encodeCursor([last.startTime.toISOString(), last.id]) : null,
  };
}
