import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { api, data } from '../../api/client';
import type { InvoicingBookings } from '../../api/models';
import { ErrorState, FieldError, FormError, Loading } from '../../app/ui';
import { t } from '../../strings';

type Choice =
  | { kind: 'project'; id: number; externalId: string }
  | { kind: 'member'; id: number; externalId: string };

/** Each imported project's task and each member's provider user, changeable by an admin. */
export function Bookings({
  orgId,
  integrationId,
  provider,
}: {
  orgId: number;
  integrationId: number;
  provider: string;
}) {
  const id = useId();
  const queryClient = useQueryClient();
  const organizationId = orgId;
  const key = [orgId, 'integrations', integrationId, 'bookings'];
  // Projects come a page at a time: the cursors of the pages before this one.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const bookings = useQuery({
    queryKey: [...key, cursor],
    // Choosing the account queues the first import: look again until its projects arrive.
    refetchInterval: (query) =>
      query.state.data?.needs.task && query.state.data.projects.length === 0 ? 3_000 : false,
    queryFn: () =>
      data<InvoicingBookings>(
        api().GET('/api/v1/organizations/{organizationId}/integrations/{integrationId}/bookings', {
          params: { path: { organizationId, integrationId }, query: { cursor } },
        }),
      ),
  });
  const choose = useMutation({
    mutationFn: (choice: Choice) =>
      choice.kind === 'project'
        ? data(
            api().PUT(
              '/api/v1/organizations/{organizationId}/integrations/{integrationId}/bookings/projects/{projectId}',
              {
                params: { path: { organizationId, integrationId, projectId: choice.id } },
                body: { task_external_id: choice.externalId },
              },
            ),
          )
        : data(
            api().PUT(
              '/api/v1/organizations/{organizationId}/integrations/{integrationId}/bookings/members/{userId}',
              {
                params: { path: { organizationId, integrationId, userId: choice.id } },
                body: { user_external_id: choice.externalId },
              },
            ),
          ),
    onSettled: () => queryClient.invalidateQueries({ queryKey: key }),
  });
  // A refusal is shown in the row it belongs to.
  const errorFor = (kind: Choice['kind'], rowId: number) =>
    choose.variables?.kind === kind && choose.variables.id === rowId ? choose.error : null;

  if (bookings.isPending) return <Loading />;
  if (bookings.isError)
    return <ErrorState error={bookings.error} onRetry={() => bookings.refetch()} />;
  const { needs, projects, members, available_users, next_cursor } = bookings.data;

  return (
    <>
      <h3>{t.invoicing.bookings}</h3>
      {needs.task &&
        (projects.length === 0 ? (
          <p className="state empty">{t.invoicing.noProjects}</p>
        ) : (
          <table aria-label={t.invoicing.task}>
            <thead>
              <tr>
                <th scope="col">{t.invoicing.project}</th>
                <th scope="col">{t.invoicing.task}</th>
                <th scope="col">{t.invoicing.missing}</th>
              </tr>
            </thead>
            <tbody>
              {projects.map((p) => (
                <tr key={p.project_id}>
                  <td>{p.name}</td>
                  <td>
                    <select
                      aria-label={t.invoicing.taskFor(p.name)}
                      aria-describedby={`${id}-p${p.project_id}`}
                      value={p.task?.external_id ?? ''}
                      disabled={choose.isPending}
                      onChange={(e) =>
                        choose.mutate({
                          kind: 'project',
                          id: p.project_id,
                          externalId: e.target.value,
                        })
                      }
                    >
                      {!p.task && <option value="">{t.invoicing.none}</option>}
                      {p.available_tasks.map((task) => (
                        <option key={task.external_id} value={task.external_id}>
                          {task.name}
                        </option>
                      ))}
                    </select>
                    {p.task?.chosen_by === 'person' && <small> ({t.invoicing.byPerson})</small>}
                    <FieldError
                      error={errorFor('project', p.project_id)}
                      field="task_external_id"
                      id={`${id}-p${p.project_id}`}
                    />
                  </td>
                  <td>{p.missing ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ))}
      {needs.task && (cursors.length > 1 || next_cursor) && (
        <nav className="pager" aria-label={t.invoicing.projectPages}>
          <button
            type="button"
            disabled={cursors.length === 1}
            onClick={() => setCursors(cursors.slice(0, -1))}
          >
            {t.invoicing.previousProjects}
          </button>
          <span>{t.audit.page(cursors.length)}</span>
          <button
            type="button"
            disabled={!next_cursor}
            onClick={() => setCursors([...cursors, next_cursor ?? undefined])}
          >
            {t.invoicing.nextProjects}
          </button>
        </nav>
      )}
      {needs.user && (
        <table aria-label={t.invoicing.providerUser(provider)}>
          <thead>
            <tr>
              <th scope="col">{t.invoicing.member}</th>
              <th scope="col">{t.invoicing.providerUser(provider)}</th>
              <th scope="col">{t.invoicing.missing}</th>
            </tr>
          </thead>
          <tbody>
            {members.map((m) => (
              <tr key={m.user_id}>
                <td>
                  {m.name} <small>{m.email}</small>
                </td>
                <td>
                  <select
                    aria-label={t.invoicing.userFor(m.name)}
                    aria-describedby={`${id}-m${m.user_id}`}
                    value={m.provider_user?.external_id ?? ''}
                    disabled={choose.isPending}
                    onChange={(e) =>
                      choose.mutate({ kind: 'member', id: m.user_id, externalId: e.target.value })
                    }
                  >
                    {!m.provider_user && <option value="">{t.invoicing.none}</option>}
                    {available_users.map((u) => (
                      <option key={u.external_id} value={u.external_id}>
                        {u.email ? `${u.name} (${u.email})` : u.name}
                      </option>
                    ))}
                  </select>
                  {m.provider_user?.chosen_by === 'person' && (
                    <small> ({t.invoicing.byPerson})</small>
                  )}
                  <FieldError
                    error={errorFor('member', m.user_id)}
                    field="user_external_id"
                    id={`${id}-m${m.user_id}`}
                  />
                </td>
                <td>{m.missing ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <FormError error={choose.error} fields={['task_external_id', 'user_external_id']} />
    </>
  );
}
