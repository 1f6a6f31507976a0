import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { allPages, api, data } from '../api/client';
import type { Invitation, Page as ListPage } from '../api/models';
import { Field, formValues } from '../app/forms';
import { Empty, ErrorState, FormError, Loading, Page } from '../app/ui';
import { useOrg } from '../app/useOrg';
import { useMembers } from '../planner/planner-data';
import { t } from '../strings';

const ROLES = ['admin', 'member', 'viewer'] as const;

export default function Members() {
  const { orgId, admin, me } = useOrg();
  const queryClient = useQueryClient();
  const members = useMembers(orgId);
  const invitations = useQuery({
    queryKey: [orgId, 'invitations'],
    enabled: admin,
    queryFn: () =>
      allPages((cursor) =>
        data<ListPage<Invitation>>(
          api().GET('/api/v1/organizations/{organizationId}/invitations', {
            params: { path: { organizationId: orgId }, query: { cursor, limit: 100 } as never },
          }),
        ),
      ),
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: [orgId] });
  const invite = useMutation({
    mutationFn: (body: { email: string; role: (typeof ROLES)[number] }) =>
      data<Invitation>(
        api().POST('/api/v1/organizations/{organizationId}/invitations', {
          params: { path: { organizationId: orgId } },
          body,
        }),
      ),
    onSuccess: refresh,
  });
  const changeRole = useMutation({
    mutationFn: ({ userId, role }: { userId: number; role: string }) =>
      api().PATCH('/api/v1/organizations/{organizationId}/members/{userId}', {
        params: { path: { organizationId: orgId, userId } },
        body: { role } as never,
      }),
    onSettled: refresh,
  });
  const revoke = useMutation({
    mutationFn: (invitationId: number) =>
      api().DELETE('/api/v1/organizations/{organizationId}/invitations/{invitationId}', {
        params: { path: { organizationId: orgId, invitationId } },
      }),
    onSettled: refresh,
  });

  return (
    <Page title={t.members.title}>
      {members.isPending ? (
        <Loading />
      ) : members.isError ? (
        <ErrorState error={members.error} onRetry={() => members.refetch()} />
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t.auth.name}</th>
              <th scope="col">{t.auth.email}</th>
              <th scope="col">{t.members.role}</th>
            </tr>
          </thead>
          <tbody>
            {members.data.map((m) => (
              <tr key={m.user_id}>
                <td>{m.name}</td>
                <td>{m.email}</td>
                <td>
                  {admin && m.role !== 'owner' && m.user_id !== me.id ? (
                    <select
                      aria-label={`${t.members.role}: ${m.name ?? m.email}`}
                      value={m.role}
                      onChange={(e) => changeRole.mutate({ userId: m.user_id, role: e.target.value })}
                    >
                      {ROLES.map((r) => (
                        <option key={r} value={r}>
                          {t.roles[r]}
                        </option>
                      ))}
                    </select>
                  ) : (
                    t.roles[m.role]
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <FormError error={changeRole.error} fields={[]} />
      {admin && (
        <>
          <h2>{t.members.invite}</h2>
          <form
            className="field-row"
            onSubmit={(e) => {
              e.preventDefault();
              const v = formValues(e.currentTarget);
              invite.mutate({ email: v.email, role: v.role as (typeof ROLES)[number] });
            }}
          >
            <Field label={t.auth.email} name="email" type="email" required error={invite.error} />
            <div className="field">
              <label htmlFor="invite-role">{t.members.role}</label>
              <select id="invite-role" name="role" defaultValue="member">
                {ROLES.map((r) => (
                  <option key={r} value={r}>
                    {t.roles[r]}
                  </option>
                ))}
              </select>
            </div>
            <div className="field">
              <span aria-hidden="true">&nbsp;</span>
              <button type="submit" className="primary" disabled={invite.isPending}>
                {t.members.invite}
              </button>
            </div>
          </form>
          <FormError error={invite.error} fields={['email', 'role']} />
          {invite.data && <p role="status">{t.members.invited(invite.data.email)}</p>}
          <h2>{t.members.invitations}</h2>
          {invitations.isPending ? (
            <Loading />
          ) : invitations.isError ? (
            <ErrorState error={invitations.error} />
          ) : invitations.data.filter((i) => i.status === 'pending').length === 0 ? (
            <Empty>{t.members.noInvitations}</Empty>
          ) : (
            <ul>
              {invitations.data
                .filter((i) => i.status === 'pending')
                .map((i) => (
                  <li key={i.id}>
                    {i.email} · {t.roles[i.role]}{' '}
                    <button type="button" className="link-button" onClick={() => revoke.mutate(i.id)}>
                      {t.members.revoke}
                    </button>
                  </li>
                ))}
            </ul>
          )}
        </>
      )}
    </Page>
  );
}
