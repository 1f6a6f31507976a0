import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { api, data } from '../../api/client';
import type { CalendarFeed as Feed, Me } from '../../api/models';
import { CopyValue, Empty, ErrorState, FormError, Loading } from '../../app/ui';
import { t } from '../../strings';
import { formatInstant } from '../../time/week-time';

/** The caller's secret iCalendar feed of one organization; its URL is shown once. */
export function CalendarFeed({ me }: { me: Me }) {
  const id = useId();
  const queryClient = useQueryClient();
  const zone = me.timezone || 'UTC';
  const organizations = me.memberships.map((m) => m.organization);
  const [chosen, setChosen] = useState<number | undefined>(undefined);
  const orgId =
    chosen ??
    organizations.find((o) => o.id === me.current_organization_id)?.id ??
    organizations[0]?.id;
  const feedKey = ['me', 'ical-feed', orgId];
  const path = { params: { path: { organizationId: orgId ?? 0 } } };
  const feed = useQuery({
    queryKey: feedKey,
    enabled: orgId !== undefined,
    queryFn: () => data<Feed>(api().GET('/api/v1/organizations/{organizationId}/ical-feed', path)),
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: feedKey });
  const issue = useMutation({
    mutationFn: () =>
      data<{ url: string }>(api().POST('/api/v1/organizations/{organizationId}/ical-feed', path)),
    onSuccess: refresh,
  });
  const remove = useMutation({
    mutationFn: () => api().DELETE('/api/v1/organizations/{organizationId}/ical-feed', path),
    onSuccess: () => {
      issue.reset();
      return refresh();
    },
  });

  return (
    <section className="panel" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t.profile.feed}</h2>
      <p className="hint">{t.profile.feedHelp}</p>
      {orgId === undefined ? (
        <Empty>{t.profile.feedNeedsOrganization}</Empty>
      ) : (
        <>
          {organizations.length > 1 && (
            <div className="field">
              <label htmlFor={`${id}-org`}>{t.profile.feedOrganization}</label>
              <select
                id={`${id}-org`}
                value={orgId}
                onChange={(e) => {
                  issue.reset();
                  setChosen(Number(e.target.value));
                }}
              >
                {organizations.map((o) => (
                  <option key={o.id} value={o.id}>
                    {o.name}
                  </option>
                ))}
              </select>
            </div>
          )}
          {feed.isPending ? (
            <Loading />
          ) : feed.isError ? (
            <ErrorState error={feed.error} onRetry={() => feed.refetch()} />
          ) : (
            <>
              <p>
                {feed.data.exists && feed.data.created_at
                  ? t.profile.feedExists(formatInstant(feed.data.created_at, zone))
                  : t.profile.feedNone}{' '}
                {feed.data.last_accessed_at &&
                  t.profile.feedLastRead(formatInstant(feed.data.last_accessed_at, zone))}
              </p>
              {issue.data && (
                <div role="region" aria-label={t.profile.feedShown}>
                  <p>{t.profile.feedShown}</p>
                  <CopyValue label={t.profile.feed} value={issue.data.url} />
                </div>
              )}
              <div className="actions">
                <button type="button" onClick={() => issue.mutate()} disabled={issue.isPending}>
                  {feed.data.exists ? t.profile.feedRotate : t.profile.feedCreate}
                </button>
                {feed.data.exists && (
                  <button
                    type="button"
                    className="danger"
                    onClick={() => remove.mutate()}
                    disabled={remove.isPending}
                  >
                    {t.profile.feedDelete}
                  </button>
                )}
              </div>
              <FormError error={issue.error ?? remove.error} fields={[]} />
            </>
          )}
        </>
      )}
    </section>
  );
}
