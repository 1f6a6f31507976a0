import { useMemo, useState } from 'react';
import { useParams, useSearchParams } from 'react-router';
import { ApiError } from '../api/client';
import type { TimeBlock } from '../api/models';
import { canEdit, isAdmin, roleIn, useMe } from '../app/session';
import { Empty, ErrorState, errorMessage, Loading, Page } from '../app/ui';
import { t } from '../strings';
import {
  addDays,
  fromWallClock,
  localeWeekStart,
  parseClock,
  shiftInterval,
  todayIn,
  toWallClock,
  weekOf,
  type WeekStart,
} from '../time/week-time';
import { BlockDialog, targetOf, type DialogTarget } from './BlockDialog';
import {
  useBlockMutations,
  useBusyTime,
  useCalendars,
  useClients,
  useMembers,
  useProjects,
  useWeekBlocks,
  type BlockInput,
} from './planner-data';
import { WeekGrid, type GridChange } from './WeekGrid';

const DEFAULT_COLOR = '#5b6ee1';

export default function PlannerPage() {
  const orgId = Number(useParams().orgId);
  const me = useMe().data!;
  const role = roleIn(me, orgId);
  const admin = isAdmin(role);
  const [params, setParams] = useSearchParams();
  const zone = me.timezone || 'UTC';
  const weekStart = (Number(me.preferences?.week_start) ||
    localeWeekStart(navigator.language)) as WeekStart;
  const anchor = params.get('week') ?? todayIn(zone);
  const week = useMemo(() => weekOf(anchor, zone, weekStart), [anchor, zone, weekStart]);
  const userParam = params.get('user') ?? String(me.id);
  const ownWeek = userParam === String(me.id);
  const editable = canEdit(role) && (ownWeek || admin);
  const [showAllDays, setShowAllDays] = useState(false);
  const [showAllHours, setShowAllHours] = useState(false);
  const [dialog, setDialog] = useState<DialogTarget | null>(null);
  const [refusal, setRefusal] = useState<{ message: string; ids: Set<number> } | null>(null);

  const blocks = useWeekBlocks(orgId, week.from, week.to, userParam);
  const busy = useBusyTime(orgId, week.from, week.to, userParam);
  const projects = useProjects(orgId);
  const clients = useClients(orgId);
  const calendars = useCalendars(orgId);
  const members = useMembers(orgId, admin);
  const weekKey = [orgId, 'time-blocks', week.from, week.to, userParam] as const;
  const { create, update, remove } = useBlockMutations(orgId, weekKey);

  const workDayKey = (me.work_days ?? ['mon', 'tue', 'wed', 'thu', 'fri']).join();
  const workDays = useMemo(() => new Set<string>(workDayKey.split(',')), [workDayKey]);
  const workStart = parseClock(me.work_hours_start || '09:00');
  const workEnd = parseClock(me.work_hours_end || '17:00');
  const list = useMemo(() => blocks.data ?? [], [blocks.data]);
  // The shown days and hours follow the data, not every render (a dialog opening, a refusal):
  // the grid's block layout is recomputed only when they change.
  const { days, firstHour, lastHour } = useMemo(() => {
    const days = week.days.filter(
      (d) =>
        showAllDays ||
        workDays.has(d.weekday) ||
        list.some((b) => Date.parse(b.start_time) < d.endMs && Date.parse(b.end_time) > d.startMs),
    );
    if (showAllHours) return { days, firstHour: 0, lastHour: 24 };
    let firstHour = Math.max(0, Math.floor(workStart / 60) - 1);
    let lastHour = Math.min(24, Math.ceil(workEnd / 60) + 1);
    for (const b of list) {
      const s = toWallClock(b.start_time, zone);
      const e = toWallClock(b.end_time, zone);
      firstHour = Math.min(firstHour, Math.floor(s.minutes / 60));
      lastHour = Math.max(lastHour, e.date === s.date ? Math.ceil(e.minutes / 60) : 24);
    }
    return { days, firstHour, lastHour };
  }, [week, workDays, list, showAllDays, showAllHours, workStart, workEnd, zone]);

  const projectColor = new Map((projects.data ?? []).map((p) => [p.id, p.color]));
  const colorOf = (b: TimeBlock) =>
    b.color ?? (b.project_id ? projectColor.get(b.project_id) : null) ?? DEFAULT_COLOR;
  // A block goes only to a calendar of its own member's connected accounts.
  const writableCalendars = (calendars.data ?? []).filter(
    (c) => c.is_enabled && c.is_writable && String(c.owner?.id ?? me.id) === userParam,
  );

  function refuse(error: unknown) {
    const ids =
      error instanceof ApiError
        ? new Set(error.problem.conflicting_block_ids ?? [])
        : new Set<number>();
    setRefusal({ message: errorMessage(error), ids });
  }

  function applyChange({ block, deltaDays, deltaMinutes, endOnly }: GridChange) {
    setRefusal(null);
    let changes: Pick<BlockInput, 'start_time' | 'end_time'>;
    if (endOnly) {
      const end = toWallClock(block.end_time, zone);
      const moved = fromWallClock({ date: end.date, minutes: end.minutes + deltaMinutes }, zone);
      if (Date.parse(moved) <= Date.parse(block.start_time)) return;
      changes = { start_time: block.start_time, end_time: moved };
    } else {
      changes = shiftInterval(block.start_time, block.end_time, zone, deltaDays, deltaMinutes);
    }
    update.mutate({ id: block.id, changes }, { onError: refuse });
  }

  function save(input: BlockInput) {
    const target = dialog!;
    const done = { onSuccess: () => setDialog(null) };
    if (target.block) update.mutate({ id: target.block.id, changes: input }, done);
    else create.mutate(ownWeek ? input : { ...input, user_id: Number(userParam) }, done);
  }

  const goWeek = (days: number) =>
    setParams((p) => {
      p.set('week', addDays(week.days[0].date, days));
      return p;
    });

  return (
    <Page
      title={t.planner.title}
      actions={
        <>
          <button type="button" onClick={() => goWeek(-7)} aria-label={t.planner.previous}>
            ‹
          </button>
          <button
            type="button"
            onClick={() =>
              setParams((p) => {
                p.delete('week');
                return p;
              })
            }
          >
            {t.planner.today}
          </button>
          <button type="button" onClick={() => goWeek(7)} aria-label={t.planner.next}>
            ›
          </button>
          {admin && (
            <label>
              <span className="visually-hidden">{t.planner.whose}</span>
              <select
                value={userParam}
                onChange={(e) =>
                  setParams((p) => {
                    p.set('user', e.target.value);
                    return p;
                  })
                }
              >
                <option value={me.id}>{t.planner.me}</option>
                {(members.data ?? [])
                  .filter((m) => m.user_id !== me.id)
                  .map((m) => (
                    <option key={m.user_id} value={m.user_id}>
                      {m.name ?? m.email}
                    </option>
                  ))}
              </select>
            </label>
          )}
          {editable && (
            <button
              type="button"
              className="primary"
              onClick={() => {
                const today = todayIn(zone);
                const date = week.days.some((d) => d.date === today) ? today : days[0].date;
                setDialog({ date, startMinutes: workStart, endMinutes: workStart + 60 });
              }}
            >
              {t.planner.newBlock}
            </button>
          )}
        </>
      }
    >
      <p className="planner-meta">
        <span>{t.planner.timeZoneNote(zone)}</span>
        <label className="checkbox">
          <input
            type="checkbox"
            checked={showAllDays}
            onChange={(e) => setShowAllDays(e.target.checked)}
          />
          {t.planner.allDays}
        </label>
        <label className="checkbox">
          <input
            type="checkbox"
            checked={showAllHours}
            onChange={(e) => setShowAllHours(e.target.checked)}
          />
          {t.planner.allHours}
        </label>
      </p>
      {!editable && <p className="notice">{t.planner.readOnly}</p>}
      {editable && <p className="hint">{t.planner.keyboardHelp}</p>}
      <div aria-live="assertive">
        {refusal && (
          <div className="alert" role="alert">
            {t.planner.rolledBack} {refusal.message}
            <button type="button" className="link-button" onClick={() => setRefusal(null)}>
              {t.close}
            </button>
          </div>
        )}
      </div>
      {blocks.isPending ? (
        <Loading />
      ) : blocks.isError ? (
        <ErrorState error={blocks.error} onRetry={() => blocks.refetch()} />
      ) : (
        <>
          {list.length === 0 && <Empty>{t.planner.empty}</Empty>}
          <WeekGrid
            days={days}
            zone={zone}
            firstHour={firstHour}
            lastHour={lastHour}
            workStart={workStart}
            workEnd={workEnd}
            workDays={workDays}
            blocks={list}
            busy={busy.data ?? []}
            colorOf={colorOf}
            editable={editable}
            highlighted={refusal?.ids ?? new Set()}
            onSelect={(s) => {
              create.reset();
              setDialog(s);
            }}
            onChange={applyChange}
            onOpen={(b) => {
              update.reset();
              setDialog(targetOf(b, zone));
            }}
          />
        </>
      )}
      {dialog && (
        <BlockDialog
          target={dialog}
          zone={zone}
          editable={editable}
          projects={projects.data ?? []}
          clients={clients.data ?? []}
          calendars={writableCalendars}
          error={dialog.block ? update.error : create.error}
          saving={create.isPending || update.isPending}
          onSave={save}
          onDelete={
            dialog.block
              ? () => remove.mutate(dialog.block!.id, { onSuccess: () => setDialog(null) })
              : undefined
          }
          onClose={() => setDialog(null)}
        />
      )}
    </Page>
  );
}
