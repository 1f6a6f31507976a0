import { useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { useSearchParams } from 'react-router';
import { api, data } from '../api/client';
import type { AuditLog as Entry, Page as ListPage } from '../api/models';
import { Empty, ErrorState, Loading, Page } from '../app/ui';
import { useOrg } from '../app/useOrg';
import { useMembers } from '../planner/planner-data';
import { t } from '../strings';
import { addDays, formatInstant, fromWallClock } from '../time/week-time';

const PAGE_SIZE = 25;
const FILTERS = ['action', 'user_id', 'from', 'to'] as const;

const show = (value: unknown) =>
  value === null || value === undefined
    ? '—'
    : typeof value === 'object'
      ? JSON.stringify(value)
      : String(value);

/** "name: Acme → Acme Corp" for each field an entry changed or set. */
function changes(entry: Entry): string[] {
  const before = (entry.old_values ?? {}) as Record<string, unknown>;
  const after = (entry.new_values ?? {}) as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  return keys.map((key) =>
    key in before && key in after
      ? `${key}: ${show(before[key])} → ${show(after[key])}`
      : `${key}: ${show(key in after ? after[key] : before[key])}`,
  );
}

export default function AuditLog() {
  const { orgId, me, admin } = useOrg();
  const id = useId();
  const zone = me.timezone || 'UTC';
  const [params, setParams] = useSearchParams();
  const filters = Object.fromEntries(FILTERS.map((f) => [f, params.get(f) ?? ''])) as Record<
    (typeof FILTERS)[number],
    string
  >;
  // Cursors of the pages before this one: "Newer" goes back, "Older" follows next_cursor.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const members = useMembers(orgId, admin);
  const query = {
    limit: PAGE_SIZE,
    cursor,
    action: filters.action || undefined,
    user_id: filters.user_id ? Number(filters.user_id) : undefined,
    // Dates are whole days on the viewer's clock; "until" includes its day.
    from: filters.from ? fromWallClock({ date: filters.from, minutes: 0 }, zone) : undefined,
    to: filters.to ? fromWallClock({ date: addDays(filters.to, 1), minutes: 0 }, zone) : undefined,
  };
  const entries = useQuery({
    queryKey: [orgId, 'audit-logs', query],
    enabled: admin,
    queryFn: () =>
      data<ListPage<Entry>>(
        api().GET('/api/v1/organizations/{organizationId}/audit-logs', {
          params: { path: { organizationId: orgId }, query: query as never },
        }),
      ),
  });
  const nameOf = (userId: number | null | undefined) =>
    userId == null
      ? t.audit.system
      : (members.data?.find((m) => m.user_id === userId)?.name ?? `#${userId}`);
  const filtered = FILTERS.some((f) => filters[f]);

  function applyFilters(form: HTMLFormElement) {
    const values = new FormData(form);
    const next = new URLSearchParams();
    for (const f of FILTERS) {
      const value = String(values.get(f) ?? '').trim();
      if (value) next.set(f, value);
    }
    setCursors([undefined]);
    setParams(next);
  }

  if (!admin) {
    return (
      <Page title={t.audit.title}>
        <p className="state" role="alert">
          {t.notFound}
        </p>
      </Page>
    );
  }

  return (
    <Page title={t.audit.title}>
      <form
        key={params.toString()}
        className="field-row filters"
        aria-label={t.audit.filters}
        onSubmit={(e) => {
          e.preventDefault();
          applyFilters(e.currentTarget);
        }}
      >
        <div className="field">
          <label htmlFor={`${id}-action`}>{t.audit.action}</label>
          <input
            id={`${id}-action`}
            name="action"
            placeholder={t.audit.actionHint}
            defaultValue={filters.action}
          />
        </div>
        <div className="field">
          <label htmlFor={`${id}-who`}>{t.audit.who}</label>
          <select id={`${id}-who`} name="user_id" defaultValue={filters.user_id}>
            <option value="">{t.audit.anyone}</option>
            {(members.data ?? []).map((m) => (
              <option key={m.user_id} value={m.user_id}>
                {m.name ?? m.email}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-from`}>{t.audit.from}</label>
          <input id={`${id}-from`} name="from" type="date" defaultValue={filters.from} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-to`}>{t.audit.to}</label>
          <input id={`${id}-to`} name="to" type="date" defaultValue={filters.to} />
        </div>
        <div className="field filter-actions">
          <button type="submit" className="primary">
            {t.audit.apply}
          </button>
          {filtered && (
            <button
              type="button"
              onClick={() => {
                setCursors([undefined]);
                setParams(new URLSearchParams());
              }}
            >
              {t.audit.clear}
            </button>
          )}
        </div>
      </form>
      {entries.isPending ? (
        <Loading />
      ) : entries.isError ? (
        <ErrorState error={entries.error} onRetry={() => entries.refetch()} />
      ) : entries.data.data.length === 0 ? (
        <Empty>{filtered ? t.audit.emptyFiltered : t.audit.empty}</Empty>
      ) : (
        <>
          <div className="table-scroll">
            <table>
              <thead>
                <tr>
                  <th scope="col">{t.audit.when}</th>
                  <th scope="col">{t.audit.who}</th>
                  <th scope="col">{t.audit.action}</th>
                  <th scope="col">{t.audit.record}</th>
                  <th scope="col">{t.audit.changes}</th>
                </tr>
              </thead>
              <tbody>
                {entries.data.data.map((entry) => (
                  <tr key={entry.id}>
                    <td>{formatInstant(entry.created_at, zone)}</td>
                    <td>{nameOf(entry.user_id)}</td>
                    <td>
                      <code>{entry.action}</code>
                    </td>
                    <td>
                      {entry.auditable_type
                        ? `${entry.auditable_type} #${entry.auditable_id ?? '—'}`
                        : '—'}
                    </td>
                    <td>
                      <ul className="changes">
                        {changes(entry).map((line) => (
                          <li key={line}>{line}</li>
                        ))}
                      </ul>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <nav className="pager" aria-label={t.audit.paging}>
            <button
              type="button"
              disabled={cursors.length === 1}
              onClick={() => setCursors(cursors.slice(0, -1))}
            >
              {t.audit.newer}
            </button>
            <span>{t.audit.page(cursors.length)}</span>
            <button
              type="button"
              disabled={!entries.data.next_cursor}
              onClick={() => setCursors([...cursors, entries.data.next_cursor ?? undefined])}
            >
              {t.audit.older}
            </button>
          </nav>
        </>
      )}
    </Page>
  );
}
