import { useMemo } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { TimeBlock } from '../api/models';
import { Empty, ErrorState, Loading, Page } from '../app/ui';
import { useOrg } from '../app/useOrg';
import { useMembers, useWeekBlocks } from '../planner/planner-data';
import { t } from '../strings';
import {
  addDays,
  formatDay,
  formatDuration,
  formatRange,
  localeWeekStart,
  todayIn,
  toWallClock,
  weekOf,
  type WeekStart,
} from '../time/week-time';

const seconds = (b: TimeBlock) => (Date.parse(b.end_time) - Date.parse(b.start_time)) / 1000;

/** Everyone's week side by side (admins; read-only): a row per member, a column per day. */
export default function TeamWeek() {
  const { orgId, me, admin } = useOrg();
  const [params, setParams] = useSearchParams();
  const zone = me.timezone || 'UTC';
  const weekStart = (Number(me.preferences?.week_start) ||
    localeWeekStart(navigator.language)) as WeekStart;
  const anchor = params.get('week') ?? todayIn(zone);
  const week = useMemo(() => weekOf(anchor, zone, weekStart), [anchor, zone, weekStart]);
  const members = useMembers(orgId, admin);
  const blocks = useWeekBlocks(orgId, week.from, week.to, 'all');

  // Blocks by member, then by the day (on the viewer's clock) they start.
  const byMember = useMemo(() => {
    const grouped = new Map<number, Map<string, TimeBlock[]>>();
    for (const block of blocks.data ?? []) {
      const days = grouped.get(block.user_id) ?? new Map<string, TimeBlock[]>();
      const date = toWallClock(block.start_time, zone).date;
      days.set(date, [...(days.get(date) ?? []), block]);
      grouped.set(block.user_id, days);
    }
    for (const days of grouped.values())
      for (const list of days.values())
        list.sort((a, b) => a.start_time.localeCompare(b.start_time));
    return grouped;
  }, [blocks.data, zone]);

  const goWeek = (days: number) =>
    setParams((p) => {
      p.set('week', addDays(week.days[0].date, days));
      return p;
    });

  return (
    <Page
      title={t.team.title}
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
        </>
      }
    >
      <p className="hint">{t.planner.timeZoneNote(zone)}</p>
      {!admin ? (
        <p className="state" role="alert">
          {t.notFound}
        </p>
      ) : members.isPending || blocks.isPending ? (
        <Loading />
      ) : members.isError ? (
        <ErrorState error={members.error} onRetry={() => members.refetch()} />
      ) : blocks.isError ? (
        <ErrorState error={blocks.error} onRetry={() => blocks.refetch()} />
      ) : (
        <>
          {blocks.data.length === 0 && <Empty>{t.team.empty}</Empty>}
          <div className="table-scroll">
            <table className="team-week">
              <thead>
                <tr>
                  <th scope="col">{t.team.member}</th>
                  {week.days.map((day) => (
                    <th scope="col" key={day.date}>
                      {formatDay(day.date)}
                    </th>
                  ))}
                  <th scope="col" className="num">
                    {t.team.total}
                  </th>
                </tr>
              </thead>
              <tbody>
                {members.data.map((member) => {
                  const days = byMember.get(member.user_id);
                  const total = [...(days?.values() ?? [])]
                    .flat()
                    .reduce((s, b) => s + seconds(b), 0);
                  return (
                    <tr key={member.user_id}>
                      <th scope="row">
                        <Link
                          to={`/o/${orgId}/planner?user=${member.user_id}&week=${week.days[0].date}`}
                        >
                          {member.name ?? member.email}
                        </Link>
                      </th>
                      {week.days.map((day) => {
                        const list = days?.get(day.date) ?? [];
                        return (
                          <td key={day.date}>
                            {list.length === 0 ? (
                              <span className="visually-hidden">{t.team.nothing}</span>
                            ) : (
                              <ul className="team-blocks">
                                {list.map((block) => (
                                  <li
                                    key={block.id}
                                    style={{ borderColor: block.color ?? 'var(--accent)' }}
                                  >
                                    <span className="block-time">
                                      {formatRange(block.start_time, block.end_time, zone)}
                                    </span>{' '}
                                    {block.title}
                                  </li>
                                ))}
                              </ul>
                            )}
                          </td>
                        );
                      })}
                      <td className="num">{formatDuration(total)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </>
      )}
    </Page>
  );
}
