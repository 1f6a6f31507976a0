import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router';
import { api, data, tokenStore } from '../api/client';
import { ErrorState, FormError, Loading } from '../app/ui';
import { t } from '../strings';

interface InvitationPreview {
  organization: { name: string };
  email: string;
  role: string;
}

export default function AcceptInvitation() {
  const { token = '' } = useParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const signedIn = tokenStore.get() !== null;
  const preview = useQuery({
    queryKey: ['invitation', token],
    queryFn: () =>
      data<InvitationPreview>(api().GET('/api/v1/invitations/{token}', { params: { path: { token } } })),
  });
  const accept = useMutation({
    mutationFn: () =>
      data<{ organization_id: number }>(
        api().POST('/api/v1/invitations/{token}/accept', { params: { path: { token } } }),
      ),
    onSuccess: (membership) => {
      queryClient.clear();
      navigate(`/o/${membership.organization_id}/planner`);
    },
  });
  const back = `next=${encodeURIComponent(`/invitations/${token}`)}`;
  return (
    <main className="auth">
      <h1>{t.auth.accept}</h1>
      {preview.isPending && <Loading />}
      {preview.isError && <ErrorState error={preview.error} />}
      {preview.data && (
        <>
          <p>{t.auth.invitedTo(preview.data.organization.name, t.roles[preview.data.role] ?? preview.data.role)}</p>
          {signedIn ? (
            <>
              <FormError error={accept.error} fields={[]} />
              <button type="button" className="primary" onClick={() => accept.mutate()} disabled={accept.isPending}>
                {t.auth.accept}
              </button>
            </>
          ) : (
            <>
              <p>{t.auth.signInToAccept}</p>
              <p className="actions">
                <Link
                  className="button primary"
                  to={`/register?invitation=${encodeURIComponent(token)}&email=${encodeURIComponent(preview.data.email)}`}
                >
                  {t.auth.signUp}
                </Link>
                <Link className="button" to={`/login?${back}`}>
                  {t.auth.signIn}
                </Link>
              </p>
            </>
          )}
        </>
      )}
    </main>
  );
}
