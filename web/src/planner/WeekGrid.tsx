// The week grid: day columns in the profile's zone, blocks placed by wall-clock time, busy time
// from connected calendars shaded behind them. Pointer drags create, move and resize blocks in
// 15-minute steps; the same changes are on the keyboard (see t.planner.keyboardHelp).
import {
  memo,
  useCallback,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
  type KeyboardEvent,
  type PointerEvent,
} from 'react';
import type { CalendarEvent, TimeBlock } from '../api/models';
import { t } from '../strings';
import {
  formatClock,
  formatDay,
  formatRange,
  MINUTES_PER_DAY,
  snap,
  SNAP_MINUTES,
  toWallClock,
  type PlannerDay,
} from '../time/week-time';

export const HOUR_PX = 48;
const PX_PER_MINUTE = HOUR_PX / 60;

export interface GridChange {
  block: TimeBlock;
  deltaDays: number;
  deltaMinutes: number;
  /** Only the end moves (resize). */
  endOnly: boolean;
}

export interface GridSelection {
  date: string;
  startMinutes: number;
  endMinutes: number;
}

interface Props {
  days: PlannerDay[];
  zone: string;
  firstHour: number;
  lastHour: number;
  workStart: number;
  workEnd: number;
  workDays: Set<string>;
  blocks: TimeBlock[];
  busy: CalendarEvent[];
  colorOf: (block: TimeBlock) => string;
  editable: boolean;
  highlighted: Set<number>;
  onSelect: (selection: GridSelection) => void;
  onChange: (change: GridChange) => void;
  onOpen: (block: TimeBlock) => void;
}

type Drag =
  | { kind: 'create'; day: number; from: number; to: number }
  | {
      kind: 'move' | 'resize';
      block: TimeBlock;
      day: number;
      startY: number;
      startDay: number;
      deltaDays: number;
      deltaMinutes: number;
    };

/**
 * A callback whose identity never changes but that always runs the latest `fn`, so memoized
 * blocks do not re-render because a handler closed over newer state.
 */
function useStableCallback<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
  const latest = useRef(fn);
  useLayoutEffect(() => {
    latest.current = fn;
  });
  return useCallback((...args: A) => latest.current(...args), []);
}

/** Where a block sits in one day column, in pixels, and the wall-clock range it shows. */
interface Placement {
  block: TimeBlock;
  top: number;
  height: number;
  range: string;
}

/**
 * Each day's blocks with their positions, computed once per data change rather than on every
 * render of a drag (the zone conversions are the expensive part with hundreds of blocks).
 */
function placeBlocks(
  days: PlannerDay[],
  blocks: TimeBlock[],
  zone: string,
  firstHour: number,
  lastHour: number,
): Placement[][] {
  return days.map((day) =>
    blocks
      .filter((b) => Date.parse(b.start_time) < day.endMs && Date.parse(b.end_time) > day.startMs)
      .map((block) => ({
        block,
        ...spanIn(day, block.start_time, block.end_time, zone, firstHour, lastHour),
        range: formatRange(block.start_time, block.end_time, zone),
      })),
  );
}

/** The pixel span of [start, end) within a day column showing firstHour to lastHour. */
function spanIn(
  day: PlannerDay,
  startIso: string,
  endIso: string,
  zone: string,
  firstHour: number,
  lastHour: number,
): { top: number; height: number } {
  const s = Date.parse(startIso) < day.startMs ? 0 : toWallClock(startIso, zone).minutes;
  const e = Date.parse(endIso) >= day.endMs ? MINUTES_PER_DAY : toWallClock(endIso, zone).minutes;
  const from = Math.max(s, firstHour * 60);
  const to = Math.min(Math.max(e, s + SNAP_MINUTES), lastHour * 60);
  return {
    top: (from - firstHour * 60) * PX_PER_MINUTE,
    height: Math.max((to - from) * PX_PER_MINUTE, 10),
  };
}

export function WeekGrid(props: Props) {
  const { days, zone, firstHour, lastHour, editable } = props;
  const columns = useRef<(HTMLDivElement | null)[]>([]);
  const [drag, setDrag] = useState<Drag | null>(null);
  const height = (lastHour - firstHour) * HOUR_PX;

  function minuteAt(day: number, clientY: number): number {
    const rect = columns.current[day]!.getBoundingClientRect();
    const minutes = (clientY - rect.top) / PX_PER_MINUTE + firstHour * 60;
    return Math.max(firstHour * 60, Math.min(lastHour * 60, minutes));
  }

  function dayAt(clientX: number, fallback: number): number {
    const index = columns.current.findIndex((c) => {
      const r = c?.getBoundingClientRect();
      return r && clientX >= r.left && clientX < r.right;
    });
    return index === -1 ? fallback : index;
  }

  function startCreate(day: number, e: PointerEvent<HTMLDivElement>) {
    if (!editable || e.button !== 0 || e.target !== e.currentTarget) return;
    e.currentTarget.setPointerCapture(e.pointerId);
    const from = Math.floor(minuteAt(day, e.clientY) / SNAP_MINUTES) * SNAP_MINUTES;
    setDrag({ kind: 'create', day, from, to: from + SNAP_MINUTES });
  }

  function startBlockDrag(kind: 'move' | 'resize', block: TimeBlock, day: number, e: PointerEvent) {
    if (!editable || e.button !== 0) return;
    e.stopPropagation();
    (e.currentTarget as HTMLElement).setPointerCapture(e.pointerId);
    setDrag({ kind, block, day, startY: e.clientY, startDay: day, deltaDays: 0, deltaMinutes: 0 });
  }

  function onPointerMove(e: PointerEvent) {
    if (!drag) return;
    if (drag.kind === 'create') {
      const at = minuteAt(drag.day, e.clientY);
      setDrag({ ...drag, to: Math.max(drag.from + SNAP_MINUTES, snap(at)) });
    } else {
      const deltaMinutes = snap((e.clientY - drag.startY) / PX_PER_MINUTE);
      const deltaDays = drag.kind === 'move' ? dayAt(e.clientX, drag.startDay) - drag.startDay : 0;
      if (deltaMinutes !== drag.deltaMinutes || deltaDays !== drag.deltaDays) {
        setDrag({ ...drag, deltaMinutes, deltaDays });
      }
    }
  }

  function onPointerUp() {
    if (!drag) return;
    setDrag(null);
    if (drag.kind === 'create') {
      const long = drag.to - drag.from > SNAP_MINUTES;
      props.onSelect({
        date: days[drag.day].date,
        startMinutes: drag.from,
        endMinutes: long ? drag.to : Math.min(drag.from + 60, MINUTES_PER_DAY),
      });
    } else if (drag.deltaDays === 0 && drag.deltaMinutes === 0) {
      props.onOpen(drag.block);
    } else {
      props.onChange({
        block: drag.block,
        deltaDays: drag.deltaDays,
        deltaMinutes: drag.deltaMinutes,
        endOnly: drag.kind === 'resize',
      });
    }
  }

  function onBlockKey(block: TimeBlock, e: KeyboardEvent) {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      return props.onOpen(block);
    }
    if (!editable || !e.altKey) return;
    const step = { ArrowUp: -SNAP_MINUTES, ArrowDown: SNAP_MINUTES }[e.key as string];
    const dayStep = { ArrowLeft: -1, ArrowRight: 1 }[e.key as string];
    if (step === undefined && dayStep === undefined) return;
    e.preventDefault();
    props.onChange({
      block,
      deltaDays: e.shiftKey ? 0 : (dayStep ?? 0),
      deltaMinutes: step ?? 0,
      endOnly: e.shiftKey && step !== undefined,
    });
  }

  const hours = Array.from({ length: lastHour - firstHour }, (_, i) => firstHour + i);
  const placements = useMemo(
    () => placeBlocks(days, props.blocks, zone, firstHour, lastHour),
    [days, props.blocks, zone, firstHour, lastHour],
  );
  const onBlockPointerDown = useStableCallback(startBlockDrag);
  const onBlockKeyDown = useStableCallback(onBlockKey);

  return (
    <div
      className="week-grid"
      style={{ gridTemplateColumns: `3.5rem repeat(${days.length}, minmax(6rem, 1fr))` }}
      onPointerMove={onPointerMove}
      onPointerUp={onPointerUp}
      onPointerCancel={() => setDrag(null)}
    >
      <div className="corner" aria-hidden="true" />
      {days.map((day) => (
        <div key={day.date} className="day-header" data-date={day.date}>
          <span>{formatDay(day.date)}</span>
          {day.hours !== 24 && <small className="dst">{t.planner.dayHours(day.hours)}</small>}
        </div>
      ))}
      <div className="gutter" style={{ height }} aria-hidden="true">
        {hours.map((h) => (
          <span key={h} style={{ top: (h - firstHour) * HOUR_PX }}>
            {formatClock(h * 60)}
          </span>
        ))}
      </div>
      {days.map((day, index) => (
        <DayColumn
          key={day.date}
          ref={(el) => {
            columns.current[index] = el;
          }}
          index={index}
          day={day}
          props={props}
          height={height}
          placements={placements[index]}
          drag={drag}
          onPointerDown={(e) => startCreate(index, e)}
          onBlockPointerDown={onBlockPointerDown}
          onBlockKey={onBlockKeyDown}
          zone={zone}
        />
      ))}
    </div>
  );
}

interface ColumnProps {
  ref: (el: HTMLDivElement | null) => void;
  index: number;
  day: PlannerDay;
  props: Props;
  height: number;
  placements: Placement[];
  drag: Drag | null;
  zone: string;
  onPointerDown: (e: PointerEvent<HTMLDivElement>) => void;
  onBlockPointerDown: (
    kind: 'move' | 'resize',
    block: TimeBlock,
    day: number,
    e: PointerEvent,
  ) => void;
  onBlockKey: (block: TimeBlock, e: KeyboardEvent) => void;
}

function DayColumn({
  ref,
  index,
  day,
  props,
  height,
  placements,
  drag,
  zone,
  ...handlers
}: ColumnProps) {
  const { firstHour, lastHour, workStart, workEnd, workDays } = props;
  const top = (minutes: number) => (minutes - firstHour * 60) * PX_PER_MINUTE;
  const inDay = (startIso: string, endIso: string) =>
    Date.parse(startIso) < day.endMs && Date.parse(endIso) > day.startMs;
  const span = (startIso: string, endIso: string) =>
    spanIn(day, startIso, endIso, zone, firstHour, lastHour);
  const working = workDays.has(day.weekday);

  return (
    <div
      ref={ref}
      className={`day-column${working ? '' : ' off-day'}`}
      style={{ height }}
      data-date={day.date}
      aria-label={formatDay(day.date)}
      role="group"
      onPointerDown={handlers.onPointerDown}
    >
      {working && (
        <div
          className="work-hours"
          aria-hidden="true"
          style={{ top: top(workStart), height: (workEnd - workStart) * PX_PER_MINUTE }}
        />
      )}
      {props.busy
        .filter((ev) => !ev.is_all_day && inDay(ev.start_time, ev.end_time))
        .map((ev) => (
          <div
            key={`busy-${ev.id}`}
            className="busy"
            style={span(ev.start_time, ev.end_time)}
            title={`${t.planner.busy}: ${ev.title} ${formatRange(ev.start_time, ev.end_time, zone)}`}
          >
            <span className="visually-hidden">
              {t.planner.busy}: {ev.title} {formatRange(ev.start_time, ev.end_time, zone)}
            </span>
          </div>
        ))}
      {placements.map(({ block, top, height, range }) => {
        const dragging = drag && drag.kind !== 'create' && drag.block.id === block.id ? drag : null;
        const shift = dragging ? dragging.deltaMinutes * PX_PER_MINUTE : 0;
        const moving = dragging?.kind === 'move';
        return (
          <PlannedBlock
            key={block.id}
            block={block}
            day={index}
            range={range}
            color={props.colorOf(block)}
            editable={props.editable}
            highlighted={props.highlighted.has(block.id)}
            top={moving ? top + shift : top}
            height={
              dragging && !moving ? Math.max(height + shift, SNAP_MINUTES * PX_PER_MINUTE) : height
            }
            dayOffset={dragging?.deltaDays ?? 0}
            onPointerDown={handlers.onBlockPointerDown}
            onKeyDown={handlers.onBlockKey}
          />
        );
      })}
      {drag?.kind === 'create' && drag.day === index && (
        <div
          className="selection"
          style={{ top: top(drag.from), height: (drag.to - drag.from) * PX_PER_MINUTE }}
          aria-hidden="true"
        >
          {formatClock(drag.from)}–{formatClock(drag.to)}
        </div>
      )}
    </div>
  );
}

const APPROVAL_MARKS: Record<string, string> = {
  approved: '✔',
  rejected: '✗',
  sent_to_billing: '€',
};

const INVOICING_MARKS: Record<string, string> = {
  synced: '¤',
  error: '!',
};

/** One block; memoized, so a drag re-renders only the block that moves. */
const PlannedBlock = memo(function PlannedBlock({
  block,
  day,
  range,
  color,
  editable,
  highlighted,
  top,
  height,
  dayOffset,
  onPointerDown,
  onKeyDown,
}: {
  block: TimeBlock;
  day: number;
  range: string;
  color: string;
  editable: boolean;
  highlighted: boolean;
  top: number;
  height: number;
  dayOffset: number;
  onPointerDown: (kind: 'move' | 'resize', block: TimeBlock, day: number, e: PointerEvent) => void;
  onKeyDown: (block: TimeBlock, e: KeyboardEvent) => void;
}) {
  const status = block.calendar_sync_status;
  const statusText = t.planner.sync[status] ?? status;
  const syncDetail = block.sync_error ? `${statusText}: ${block.sync_error}` : statusText;
  // The review state is shown once an admin decided; a rejection carries the reviewer's note.
  const approvalText =
    block.approval_status === 'rejected' && block.rejection_note
      ? t.planner.rejectedNote(block.rejection_note)
      : t.planner.approval[block.approval_status];
  const invoicingError =
    block.invoicing_sync_status === 'error' && block.invoicing_sync_error
      ? t.planner.invoicingError(block.invoicing_sync_error)
      : null;
  // Only billable time goes to invoicing; `disabled` means there is nothing to book it in.
  const invoicingStatus = block.is_billable
    ? t.planner.invoicing[block.invoicing_sync_status]
    : null;
  const invoicingText =
    invoicingError ??
    (invoicingStatus && block.invoice_reference
      ? `${invoicingStatus}, ${t.planner.invoiceReference(block.invoice_reference)}`
      : invoicingStatus);
  const detail = [syncDetail, approvalText, invoicingText].filter(Boolean).join(', ');
  const problem = [
    block.sync_error && syncDetail,
    block.approval_status === 'rejected' && approvalText,
    invoicingError,
  ]
    .filter(Boolean)
    .join(' · ');
  return (
    <div
      className={`block${highlighted ? ' conflict' : ''}`}
      style={{
        top,
        height,
        transform: dayOffset ? `translateX(${dayOffset * 100}%)` : undefined,
        ['--block-color' as string]: color,
      }}
      role="button"
      tabIndex={0}
      data-block-id={block.id}
      aria-label={`${block.title} ${range}, ${detail}`}
      onPointerDown={(e) => onPointerDown('move', block, day, e)}
      onKeyDown={(e) => onKeyDown(block, e)}
    >
      {/* The space keeps the visible text inside the accessible name (title, then time). */}
      <span className="block-title">{block.title}</span> <span className="block-time">{range}</span>
      {block.calendar_id !== null && (
        <span className={`badge sync-${status}`} title={syncDetail} aria-hidden="true">
          {status === 'synced' ? '✓' : status === 'error' ? '!' : '…'}
        </span>
      )}
      {invoicingText && (
        <span
          className={`badge invoicing invoicing-${block.invoicing_sync_status}`}
          title={invoicingText}
          aria-hidden="true"
        >
          {INVOICING_MARKS[block.invoicing_sync_status] ?? '…'}
        </span>
      )}
      {approvalText && (
        <span
          className={`badge approval approval-${block.approval_status}`}
          title={approvalText}
          aria-hidden="true"
        >
          {APPROVAL_MARKS[block.approval_status]}
        </span>
      )}
      {problem && (
        <span className="tooltip" role="tooltip">
          {problem}
        </span>
      )}
      {editable && (
        <span
          className="resize-handle"
          aria-hidden="true"
          onPointerDown={(e) => onPointerDown('resize', block, day, e)}
        />
      )}
    </div>
  );
});
