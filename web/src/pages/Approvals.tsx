import { useState } from 'react';
import type { TimeBlock } from '../api/models';
import { FormDialog } from '../app/FormDialog';
import { Field, SelectField } from '../app/forms';
import { Empty, ErrorState, FieldError, FormError, Loading, Page } from '../app/ui';
import { useOrg } from '../app/useOrg';
import { useMembers, useProjects } from '../planner/planner-data';
import { t } from '../strings';
import {
  addDays,
  formatDay,
  formatDuration,
  formatRange,
  fromWallClock,
  todayIn,
  toWallClock,
} from '../time/week-time';
import {
  useOrganization,
  useReviewDecisions,
  useReviewQueue,
  type QueueStatus,
} from './approvals/approval-data';
import NotFound from './NotFound';

const seconds = (b: TimeBlock) => (Date.parse(b.end_time) - Date.parse(b.start_time)) / 1000;

/** Admins' review of billable time: approve (one, selected, all shown) or reject with a note. */
export default function Approvals() {
  const { orgId, me, admin } = useOrg();
  const zone = me.timezone || 'UTC';
  const today = todayIn(zone);
  const [from, setFrom] = useState(addDays(today, -28));
  const [to, setTo] = useState(addDays(today, 7));
  const [userId, setUserId] = useState('all');
  const [status, setStatus] = useState<QueueStatus>('pending');
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [rejecting, setRejecting] = useState<number[] | null>(null);
  const [done, setDone] = useState('');
  const [asked, setAsked] = useState<boolean | null>(null);

  const organization = useOrganization(orgId);
  const members = useMembers(orgId, admin);
  const projects = useProjects(orgId);
  const queue = useReviewQueue(orgId, {
    from: fromWallClock({ date: from, minutes: 0 }, zone),
    to: fromWallClock({ date: to, minutes: 0 }, zone),
    userId,
    status,
  });
  const { approve, reject, requireApproval } = useReviewDecisions(orgId);
  if (!admin) return <NotFound />;

  const shown = queue.data ?? [];
  const chosen = shown.filter((b) => selected.has(b.id)).map((b) => b.id);
  const memberName = new Map(
    (members.data ?? []).map((m) => [m.user_id, m.name ?? m.email ?? `#${m.user_id}`]),
  );
  const projectName = new Map((projects.data ?? []).map((p) => [p.id, p.name]));
  // The switch shows the state asked for from the click until the server's answer is read back.
  const required = asked ?? organization.data?.settings?.require_approval === true;

  function approveIds(ids: number[]) {
    setDone('');
    approve.mutate(ids, {
      onSuccess: (n) => {
        setSelected(new Set());
        setDone(t.approvals.approved(n));
      },
    });
  }

  function toggle(id: number, on: boolean) {
    setSelected((s) => {
      const next = new Set(s);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });
  }

  return (
    <Page title={t.approvals.title}>
      {organization.data && (
        <div className="field checkbox">
          <input
            id="require-approval"
            type="checkbox"
            checked={required}
            disabled={requireApproval.isPending}
            onChange={(e) => {
              setAsked(e.target.checked);
              requireApproval.mutate(e.target.checked, { onSettled: () => setAsked(null) });
            }}
          />
          <label htmlFor="require-approval">{t.approvals.requireApproval}</label>
        </div>
      )}
      <FormError error={requireApproval.error} fields={[]} />
      {organization.data && !required && <p className="notice">{t.approvals.notRequired}</p>}
      <div className="field-row">
        <SelectField
          label={t.approvals.member}
          value={userId}
          onChange={setUserId}
          options={[
            { value: 'all', label: t.approvals.everyone },
            ...(members.data ?? []).map((m) => ({
              value: String(m.user_id),
              label: m.name ?? m.email ?? `#${m.user_id}`,
            })),
          ]}
        />
        <SelectField
          label={t.approvals.status}
          value={status}
          onChange={(value) => setStatus(value as QueueStatus)}
          options={Object.entries(t.approvals.statuses).map(([value, label]) => ({ value, label }))}
        />
        <Field
          label={t.approvals.from}
          name="from"
          type="date"
          value={from}
          onChange={(e) => setFrom(e.target.value)}
        />
        <Field
          label={t.approvals.to}
          name="to"
          type="date"
          value={to}
          onChange={(e) => setTo(e.target.value)}
        />
      </div>
      <div className="toolbar">
        <button
          type="button"
          className="primary"
          disabled={chosen.length === 0 || approve.isPending}
          onClick={() => approveIds(chosen)}
        >
          {t.approvals.approveSelected(chosen.length)}
        </button>
        <button
          type="button"
          disabled={chosen.length === 0}
          onClick={() => {
            reject.reset();
            setRejecting(chosen);
          }}
        >
          {t.approvals.rejectSelected(chosen.length)}
        </button>
        <button
          type="button"
          disabled={shown.length === 0 || approve.isPending}
          onClick={() => approveIds(shown.map((b) => b.id))}
        >
          {t.approvals.approveAll(shown.length)}
        </button>
      </div>
      <FormError error={approve.error} fields={[]} />
      <p role="status">{done}</p>
      {queue.isPending ? (
        <Loading />
      ) : queue.isError ? (
        <ErrorState error={queue.error} onRetry={() => queue.refetch()} />
      ) : shown.length === 0 ? (
        <Empty>{t.approvals.empty}</Empty>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">
                <input
                  type="checkbox"
                  aria-label={t.approvals.selectAll}
                  checked={chosen.length === shown.length}
                  onChange={(e) =>
                    setSelected(new Set(e.target.checked ? shown.map((b) => b.id) : []))
                  }
                />
              </th>
              <th scope="col">{t.approvals.member}</th>
              <th scope="col">{t.approvals.when}</th>
              <th scope="col">{t.approvals.block}</th>
              <th scope="col">{t.approvals.project}</th>
              <th scope="col" className="num">
                {t.approvals.hours}
              </th>
              {status === 'rejected' && <th scope="col">{t.approvals.note}</th>}
              <th scope="col">{t.catalog.actions}</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((b) => (
              <tr key={b.id}>
                <td>
                  <input
                    type="checkbox"
                    aria-label={t.approvals.select(b.title)}
                    checked={selected.has(b.id)}
                    onChange={(e) => toggle(b.id, e.target.checked)}
                  />
                </td>
                <td>{memberName.get(b.user_id) ?? `#${b.user_id}`}</td>
                <td>
                  {formatDay(toWallClock(b.start_time, zone).date)}{' '}
                  {formatRange(b.start_time, b.end_time, zone)}
                </td>
                <td>{b.title}</td>
                <td>{b.project_id ? (projectName.get(b.project_id) ?? '—') : '—'}</td>
                <td className="num">{formatDuration(seconds(b))}</td>
                {status === 'rejected' && <td>{b.rejection_note}</td>}
                <td>
                  <button
                    type="button"
                    className="link-button"
                    aria-label={t.approvals.approveBlock(b.title)}
                    disabled={approve.isPending}
                    onClick={() => approveIds([b.id])}
                  >
                    {t.approvals.approve}
                  </button>{' '}
                  <button
                    type="button"
                    className="link-button"
                    aria-label={t.approvals.rejectBlock(b.title)}
                    onClick={() => {
                      reject.reset();
                      setRejecting([b.id]);
                    }}
                  >
                    {t.approvals.reject}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {rejecting && (
        <FormDialog
          title={t.approvals.rejectTitle(rejecting.length)}
          error={reject.error}
          fields={['note']}
          saving={reject.isPending}
          submitLabel={t.approvals.reject}
          onClose={() => setRejecting(null)}
          onSubmit={(form) => {
            const note = String(new FormData(form).get('note') ?? '');
            setDone('');
            reject.mutate(
              { ids: rejecting, note },
              {
                onSuccess: (n) => {
                  setRejecting(null);
                  setSelected(new Set());
                  setDone(t.approvals.rejected(n));
                },
              },
            );
          }}
        >
          <div className="field">
            <label htmlFor="reject-note">{t.approvals.rejectNote}</label>
            <textarea id="reject-note" name="note" rows={3} required autoFocus />
            <small>{t.approvals.rejectHelp}</small>
            <FieldError error={reject.error} field="note" />
          </div>
        </FormDialog>
      )}
    </Page>
  );
}
