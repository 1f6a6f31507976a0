import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId } from 'react';
import { api, data } from '../../api/client';
import type { Integration, PendingGrant as Grant } from '../../api/models';
import { ErrorState, FormError, Loading } from '../../app/ui';
import { t } from '../../strings';

/** Back from consent: whose account the provider signed in, and the person's go-ahead. */
export function PendingGrant({
  orgId,
  reference,
  onDone,
}: {
  orgId: number;
  reference: string;
  onDone: (connected: boolean) => void;
}) {
  const id = useId();
  const queryClient = useQueryClient();
  const path = { params: { path: { organizationId: orgId, reference } } };
  const grant = useQuery({
    queryKey: [orgId, 'pending-grant', reference],
    retry: false,
    queryFn: () =>
      data<Grant>(
        api().GET('/api/v1/organizations/{organizationId}/integrations/pending/{reference}', path),
      ),
  });
  const confirm = useMutation({
    mutationFn: () =>
      data<Integration>(
        api().POST(
          '/api/v1/organizations/{organizationId}/integrations/pending/{reference}/confirm',
          path,
        ),
      ),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: [orgId] });
      onDone(true);
    },
  });
  const provider = grant.data
    ? (t.integrations.providers[grant.data.provider] ?? grant.data.provider)
    : '';
  return (
    <section className="panel" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t.integrations.pendingTitle}</h2>
      {grant.isPending ? (
        <Loading />
      ) : grant.isError ? (
        <ErrorState error={grant.error} />
      ) : (
        <>
          <p>
            {grant.data.provider_account_email
              ? t.integrations.pendingAccount(provider, grant.data.provider_account_email)
              : t.integrations.pendingUnnamed(provider)}
          </p>
          <p className="hint">{t.integrations.pendingHelp}</p>
          <FormError error={confirm.error} fields={[]} />
          <div className="actions">
            <button
              type="button"
              className="primary"
              disabled={confirm.isPending}
              onClick={() => confirm.mutate()}
            >
              {t.integrations.confirm}
            </button>
            <button type="button" onClick={() => onDone(false)}>
              {t.cancel}
            </button>
          </div>
        </>
      )}
    </section>
  );
}
