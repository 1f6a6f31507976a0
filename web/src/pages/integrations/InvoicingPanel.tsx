import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { api, data } from '../../api/client';
import type { ImportResult, Integration, InvoicingAccount } from '../../api/models';
import { ErrorState, FieldError, FormError, Loading } from '../../app/ui';
import { t } from '../../strings';
import { ConnectionState } from './ConnectionState';
import { Bookings } from './Bookings';

/** The organization's invoicing system: its state, the account booked in, import, disconnect. */
export function InvoicingPanel({
  orgId,
  zone,
  integration,
  onReconnect,
}: {
  orgId: number;
  zone: string;
  integration: Integration;
  onReconnect: () => void;
}) {
  const id = useId();
  const queryClient = useQueryClient();
  const organizationId = orgId;
  const integrationId = integration.id;
  const path = { params: { path: { organizationId, integrationId } } };
  const refresh = () => queryClient.invalidateQueries({ queryKey: [orgId] });
  const [disconnecting, setDisconnecting] = useState(false);
  const accounts = useQuery({
    queryKey: [orgId, 'integrations', integrationId, 'accounts'],
    enabled: !integration.needs_reconnect,
    retry: false,
    queryFn: () =>
      data<{ data: InvoicingAccount[] }>(
        api().GET(
          '/api/v1/organizations/{organizationId}/integrations/{integrationId}/accounts',
          path,
        ),
      ),
  });
  const [picked, setPicked] = useState<string | null>(null);
  const choose = useMutation({
    mutationFn: (accountId: string) =>
      data<Integration>(
        api().PATCH('/api/v1/organizations/{organizationId}/integrations/{integrationId}', {
          ...path,
          body: { provider_account_id: accountId } as never,
        }),
      ),
    onSuccess: async () => {
      await refresh();
      setPicked(null);
    },
  });
  const importNow = useMutation({
    mutationFn: () =>
      data<ImportResult>(
        api().POST(
          '/api/v1/organizations/{organizationId}/integrations/{integrationId}/import',
          path,
        ),
      ),
    onSuccess: refresh,
  });
  const disconnect = useMutation({
    mutationFn: () =>
      api().DELETE('/api/v1/organizations/{organizationId}/integrations/{integrationId}', path),
    onSuccess: refresh,
  });

  const provider = t.integrations.providers[integration.provider] ?? integration.provider;
  const label = integration.provider_account_email ?? integration.name ?? provider;
  const chosen = integration.provider_account_id ?? null;
  const chosenName = accounts.data?.data.find((a) => a.external_id === chosen)?.name ?? chosen;
  const selected = picked ?? chosen ?? accounts.data?.data[0]?.external_id ?? '';

  return (
    <section className="panel" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>
        {t.invoicing.title}: {provider} ({label})
      </h2>
      <ConnectionState
        integration={integration}
        zone={zone}
        mayReconnect={true}
        onReconnect={onReconnect}
      />

      {!integration.needs_reconnect && (
        <form
          className="inline-form"
          aria-label={t.invoicing.accountForm}
          onSubmit={(e) => {
            e.preventDefault();
            if (selected) choose.mutate(selected);
          }}
        >
          <p>{chosen ? t.invoicing.accountChosen(chosenName ?? chosen) : t.invoicing.noAccount}</p>
          {accounts.isPending ? (
            <Loading />
          ) : accounts.isError ? (
            <ErrorState error={accounts.error} onRetry={() => accounts.refetch()} />
          ) : accounts.data.data.length === 0 ? (
            <p className="state empty">{t.invoicing.noAccounts}</p>
          ) : (
            <div className="field">
              <label htmlFor={`${id}-account`}>{t.invoicing.account}</label>
              <select
                id={`${id}-account`}
                value={selected}
                aria-describedby={`${id}-account-error`}
                onChange={(e) => setPicked(e.target.value)}
              >
                {accounts.data.data.map((a) => (
                  <option key={a.external_id} value={a.external_id}>
                    {a.name}
                  </option>
                ))}
              </select>
              <FieldError
                error={choose.error}
                field="provider_account_id"
                id={`${id}-account-error`}
              />
              <button type="submit" disabled={choose.isPending || !selected || selected === chosen}>
                {t.invoicing.chooseAccount}
              </button>
            </div>
          )}
          <FormError error={choose.error} fields={['provider_account_id']} />
        </form>
      )}

      {chosen && !integration.needs_reconnect && (
        <Bookings orgId={orgId} integrationId={integrationId} provider={provider} />
      )}

      {importNow.data && (
        <p className="notice" role="status">
          {t.invoicing.imported(
            importNow.data.clients.created + importNow.data.clients.updated,
            importNow.data.projects.created + importNow.data.projects.updated,
          )}
        </p>
      )}
      <FormError error={importNow.error} fields={[]} />
      <div className="actions account-actions">
        {chosen && !integration.needs_reconnect && (
          <button type="button" onClick={() => importNow.mutate()} disabled={importNow.isPending}>
            {t.invoicing.importNow}
          </button>
        )}
        {!disconnecting && (
          <button
            type="button"
            className="danger"
            aria-label={t.integrations.disconnectAccount(label)}
            onClick={() => setDisconnecting(true)}
          >
            {t.integrations.disconnect}
          </button>
        )}
      </div>
      {disconnecting && (
        <div className="alert">
          <p>{t.invoicing.disconnectHelp}</p>
          <FormError error={disconnect.error} fields={[]} />
          <div className="actions">
            <button
              type="button"
              className="danger"
              disabled={disconnect.isPending}
              onClick={() => disconnect.mutate()}
            >
              {t.integrations.confirmDisconnect}
            </button>
            <button type="button" onClick={() => setDisconnecting(false)}>
              {t.cancel}
            </button>
          </div>
        </div>
      )}
    </section>
  );
}
