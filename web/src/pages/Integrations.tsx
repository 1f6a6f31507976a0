import { useMutation, useQuery } from '@tanstack/react-query';
import { useSearchParams } from 'react-router';
import { api, data } from '../api/client';
import type { Integration } from '../api/models';
import { canEdit } from '../app/session';
import { Empty, ErrorState, FormError, Loading, Page } from '../app/ui';
import { useOrg } from '../app/useOrg';
import { useCalendars } from '../planner/planner-data';
import { t } from '../strings';
import { AccountPanel } from './integrations/AccountPanel';
import { rememberConnectingOrganization } from './integrations/connect-flow';
import { InvoicingPanel } from './integrations/InvoicingPanel';
import { PendingGrant } from './integrations/PendingGrant';

const PROVIDERS = ['google_calendar', 'office365'] as const;
/** One invoicing system per organization, connected by an admin or owner. */
const INVOICING = ['moneybird', 'harvest', 'xero'] as const;
type Provider = (typeof PROVIDERS)[number] | (typeof INVOICING)[number];

export default function Integrations() {
  const { orgId, me, role, admin } = useOrg();
  const [params, setParams] = useSearchParams();
  const pending = params.get('pending');
  const callbackError = params.get('error');
  const integrations = useQuery({
    queryKey: [orgId, 'integrations'],
    queryFn: () =>
      data<{ data: Integration[] }>(
        api().GET('/api/v1/organizations/{organizationId}/integrations', {
          params: { path: { organizationId: orgId } },
        }),
      ),
  });
  const calendars = useCalendars(orgId);
  // Consent happens at the provider: the browser leaves and comes back to ?pending=.
  const connect = useMutation({
    mutationFn: (provider: Provider) =>
      data<{ authorize_url: string }>(
        api().POST('/api/v1/organizations/{organizationId}/integrations/{provider}/connect', {
          params: { path: { organizationId: orgId, provider } },
        }),
      ),
    onSuccess: ({ authorize_url }) => {
      rememberConnectingOrganization(orgId);
      window.location.assign(authorize_url);
    },
  });
  const mayConnect = canEdit(role);
  const accounts = (integrations.data?.data ?? []).filter((i) =>
    (PROVIDERS as readonly string[]).includes(i.provider),
  );
  // Its accounts, users and mappings are for admins and owners only.
  const invoicing = admin
    ? (integrations.data?.data ?? []).filter((i) => i.provider_type === 'invoicing')
    : [];
  const connectable: readonly Provider[] =
    admin && invoicing.length === 0 ? [...PROVIDERS, ...INVOICING] : PROVIDERS;

  return (
    <Page
      title={t.integrations.title}
      actions={
        mayConnect &&
        connectable.map((provider) => (
          <button
            key={provider}
            type="button"
            disabled={connect.isPending}
            onClick={() => connect.mutate(provider)}
          >
            {t.integrations.connect(t.integrations.providers[provider])}
          </button>
        ))
      }
    >
      <FormError error={connect.error} fields={[]} />
      {callbackError && (
        <p className="alert" role="alert">
          {t.integrations.callbackError(callbackError)}
        </p>
      )}
      {params.get('connected') && (
        <p className="notice" role="status">
          {t.integrations.connected}
        </p>
      )}
      {pending && (
        <PendingGrant
          key={pending}
          orgId={orgId}
          reference={pending}
          onDone={(connected) => setParams(connected ? { connected: '1' } : {}, { replace: true })}
        />
      )}
      {integrations.isPending || calendars.isPending ? (
        <Loading />
      ) : integrations.isError ? (
        <ErrorState error={integrations.error} onRetry={() => integrations.refetch()} />
      ) : calendars.isError ? (
        <ErrorState error={calendars.error} onRetry={() => calendars.refetch()} />
      ) : (
        <>
          {invoicing.map((integration) => (
            <InvoicingPanel
              key={integration.id}
              orgId={orgId}
              zone={me.timezone || 'UTC'}
              integration={integration}
              onReconnect={() => connect.mutate(integration.provider as Provider)}
            />
          ))}
          {accounts.length === 0 ? (
            <Empty>{t.integrations.empty}</Empty>
          ) : (
            <div className="panels">
              {accounts.map((integration) => (
                <AccountPanel
                  key={integration.id}
                  orgId={orgId}
                  zone={me.timezone || 'UTC'}
                  integration={integration}
                  calendars={calendars.data.filter((c) => c.integration.id === integration.id)}
                  manage={admin || integration.connected_by === me.id}
                  onReconnect={() => connect.mutate(integration.provider as Provider)}
                />
              ))}
            </div>
          )}
        </>
      )}
    </Page>
  );
}
