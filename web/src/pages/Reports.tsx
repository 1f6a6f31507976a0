import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, data, tokenStore } from '../api/client';
import type { ReportSummary } from '../api/models';
import { Empty, ErrorState, Loading, Page } from '../app/ui';
import { useOrg } from '../app/useOrg';
import { t } from '../strings';
import { addDays, formatDuration, todayIn } from '../time/week-time';

const GROUPINGS = [
  'project',
  'client',
  'user',
  'day',
  'week',
  'month',
  'approval_status',
  'invoicing_status',
  'block',
] as const;
const APPROVAL = ['pending', 'approved', 'rejected', 'sent_to_billing'] as const;
const INVOICING = ['pending', 'synced', 'error', 'disabled'] as const;

function groupName(key: Record<string, unknown>): string {
  if (key.dimension === 'approval_status') return t.reports.approval[String(key.value)];
  if (key.dimension === 'invoicing_status') return t.reports.invoicing[String(key.value)];
  if (key.dimension === 'block') return String(key.title);
  const value = key.name ?? key.date ?? key.period ?? key.start ?? Object.values(key).join(' ');
  return value === null || value === undefined || value === '' ? '—' : String(value);
}

export default function Reports() {
  const { orgId, me } = useOrg();
  const zone = me.timezone || 'UTC';
  const today = todayIn(zone);
  const [from, setFrom] = useState(today.slice(0, 8) + '01');
  const [to, setTo] = useState(addDays(today, 1));
  const [groupBy, setGroupBy] = useState<string>('project');
  const [approval, setApproval] = useState('');
  const [invoicing, setInvoicing] = useState('');
  // The summary and the CSV take the same filters.
  const filters = {
    from,
    to,
    timezone: zone,
    ...(approval ? { approval_status: approval } : {}),
    ...(invoicing ? { invoicing_status: invoicing } : {}),
  };
  const query = { ...filters, group_by: groupBy, user_id: 'all' as const };
  const report = useQuery({
    queryKey: [orgId, 'reports', from, to, groupBy, approval, invoicing],
    queryFn: () =>
      data<ReportSummary>(
        api().GET('/api/v1/organizations/{organizationId}/reports/summary', {
          params: { path: { organizationId: orgId }, query: query as never },
        }),
      ),
  });

  async function download() {
    const response = await fetch(
      `/api/v1/organizations/${orgId}/reports/export.csv?${new URLSearchParams(filters)}`,
      { headers: { Authorization: `Bearer ${tokenStore.get()}` } },
    );
    const url = URL.createObjectURL(await response.blob());
    const a = document.createElement('a');
    a.href = url;
    a.download = `danwel-${from}-${to}.csv`;
    a.click();
    URL.revokeObjectURL(url);
  }

  const groups = report.data?.groups ?? [];
  // One group per block: its statuses and invoice are columns of their own.
  const detailed = groupBy === 'block';
  const max = Math.max(1, ...groups.map((g) => g.total_seconds));
  return (
    <Page
      title={t.reports.title}
      actions={
        <button type="button" onClick={() => void download()}>
          {t.reports.download}
        </button>
      }
    >
      <div className="field-row">
        <div className="field">
          <label htmlFor="report-from">{t.reports.from}</label>
          <input
            id="report-from"
            type="date"
            value={from}
            onChange={(e) => setFrom(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor="report-to">{t.reports.to}</label>
          <input id="report-to" type="date" value={to} onChange={(e) => setTo(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="report-group">{t.reports.groupBy}</label>
          <select id="report-group" value={groupBy} onChange={(e) => setGroupBy(e.target.value)}>
            {GROUPINGS.map((g) => (
              <option key={g} value={g}>
                {t.reports.groupings[g]}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="report-approval">{t.reports.approvalStatus}</label>
          <select
            id="report-approval"
            value={approval}
            onChange={(e) => setApproval(e.target.value)}
          >
            <option value="">{t.reports.any}</option>
            {APPROVAL.map((a) => (
              <option key={a} value={a}>
                {t.reports.approval[a]}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="report-invoicing">{t.reports.invoicingStatus}</label>
          <select
            id="report-invoicing"
            value={invoicing}
            onChange={(e) => setInvoicing(e.target.value)}
          >
            <option value="">{t.reports.any}</option>
            {INVOICING.map((i) => (
              <option key={i} value={i}>
                {t.reports.invoicing[i]}
              </option>
            ))}
          </select>
        </div>
      </div>
      {report.isPending ? (
        <Loading />
      ) : report.isError ? (
        <ErrorState error={report.error} onRetry={() => report.refetch()} />
      ) : groups.length === 0 ? (
        <Empty>{t.reports.empty}</Empty>
      ) : (
        <>
          <figure className="bar-chart" aria-label={t.reports.chart}>
            {groups.map((g, i) => (
              <div key={i}>
                <small>
                  {groupName(g.key)} · {formatDuration(g.total_seconds)}
                </small>
                <div className="bar" style={{ width: `${(g.total_seconds / max) * 100}%` }} />
              </div>
            ))}
          </figure>
          <table>
            <thead>
              <tr>
                <th scope="col">{t.reports.groupings[groupBy]}</th>
                {detailed && <th scope="col">{t.reports.statuses}</th>}
                {detailed && <th scope="col">{t.reports.invoice}</th>}
                <th scope="col" className="num">
                  {t.reports.hours}
                </th>
                <th scope="col" className="num">
                  {t.reports.billable}
                </th>
                <th scope="col" className="num">
                  {t.reports.billed}
                </th>
                <th scope="col" className="num">
                  {t.reports.amount}
                </th>
              </tr>
            </thead>
            <tbody>
              {groups.map((g, i) => (
                <tr key={i}>
                  <td>{groupName(g.key)}</td>
                  {detailed && (
                    <td>
                      {t.reports.approval[String(g.key.approval_status)]},{' '}
                      {t.reports.invoicing[String(g.key.invoicing_status)]}
                    </td>
                  )}
                  {detailed && <td>{String(g.key.invoice_reference ?? '—')}</td>}
                  <td className="num">{formatDuration(g.total_seconds)}</td>
                  <td className="num">{formatDuration(g.billable_seconds)}</td>
                  <td className="num">{String(g.billed_hours)}</td>
                  <td className="num">{g.amount ?? '—'}</td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row" colSpan={detailed ? 3 : 1}>
                  {t.reports.total}
                </th>
                <td className="num">{formatDuration(report.data.totals.total_seconds)}</td>
                <td className="num">{formatDuration(report.data.totals.billable_seconds)}</td>
                <td className="num">{String(report.data.totals.billed_hours)}</td>
                <td className="num">{report.data.totals.amount ?? '—'}</td>
              </tr>
            </tfoot>
          </table>
        </>
      )}
    </Page>
  );
}
