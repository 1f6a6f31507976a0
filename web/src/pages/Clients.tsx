import { useState } from 'react';
import { api, data } from '../api/client';
import type { Client } from '../api/models';
import { Field } from '../app/forms';
import { FormDialog } from '../app/FormDialog';
import { Empty, ErrorState, FormError, Loading, Page } from '../app/ui';
import { useOrg } from '../app/useOrg';
import { useClients } from '../planner/planner-data';
import { t } from '../strings';
import {
  ArchivedToggle,
  formBody,
  isReadOnly,
  RowActions,
  SourceCell,
  StatusCell,
  useCatalogMutations,
} from './catalog';

const FIELDS = ['name', 'email'];

export default function Clients() {
  const { orgId, admin } = useOrg();
  const clients = useClients(orgId);
  const [showArchived, setShowArchived] = useState(false);
  const [editing, setEditing] = useState<Client | 'new' | null>(null);
  const path = { organizationId: orgId };
  const { edit, archive } = useCatalogMutations(orgId, (id, body) =>
    id === null
      ? data<Client>(
          api().POST('/api/v1/organizations/{organizationId}/clients', {
            params: { path },
            body: body as never,
          }),
        )
      : data<Client>(
          api().PATCH('/api/v1/organizations/{organizationId}/clients/{clientId}', {
            params: { path: { ...path, clientId: id } },
            body: body as never,
          }),
        ),
  );
  const current = editing === 'new' ? undefined : (editing ?? undefined);
  const shown = (clients.data ?? []).filter((c) => showArchived || c.is_active);

  return (
    <Page
      title={t.clients.title}
      actions={
        <>
          <ArchivedToggle checked={showArchived} onChange={setShowArchived} />
          {admin && (
            <button
              type="button"
              className="primary"
              onClick={() => {
                edit.reset();
                setEditing('new');
              }}
            >
              {t.clients.add}
            </button>
          )}
        </>
      }
    >
      {clients.isPending ? (
        <Loading />
      ) : clients.isError ? (
        <ErrorState error={clients.error} onRetry={() => clients.refetch()} />
      ) : shown.length === 0 ? (
        <Empty>{clients.data.length === 0 ? t.clients.empty : t.clients.emptyArchived}</Empty>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t.clients.name}</th>
              <th scope="col">{t.clients.email}</th>
              <th scope="col">{t.catalog.source}</th>
              <th scope="col">{t.catalog.status}</th>
              {admin && <th scope="col">{t.catalog.actions}</th>}
            </tr>
          </thead>
          <tbody>
            {shown.map((client) => (
              <tr key={client.id}>
                <td>{client.name}</td>
                <td>{client.email ?? '—'}</td>
                <SourceCell record={client} />
                <StatusCell record={client} />
                {admin && (
                  <RowActions
                    record={client}
                    busy={archive.isPending}
                    onEdit={() => {
                      edit.reset();
                      setEditing(client);
                    }}
                    onArchive={() => archive.mutate(client)}
                  />
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <FormError error={archive.error} fields={[]} />
      {editing && (
        <FormDialog
          title={current ? t.clients.edit : t.clients.add}
          error={edit.error}
          fields={FIELDS}
          saving={edit.isPending}
          onClose={() => setEditing(null)}
          onSubmit={(form) =>
            edit.mutate(
              { id: current?.id ?? null, body: formBody(form, ['email']) },
              { onSuccess: () => setEditing(null) },
            )
          }
        >
          {current?.source === 'invoicing' && <p className="hint">{t.catalog.readOnlyHelp}</p>}
          <Field
            label={t.clients.name}
            name="name"
            required
            autoFocus
            defaultValue={current?.name ?? ''}
            disabled={isReadOnly(current, 'name')}
            hint={isReadOnly(current, 'name') ? t.readOnly : undefined}
            error={edit.error}
          />
          <Field
            label={t.clients.email}
            name="email"
            type="email"
            defaultValue={current?.email ?? ''}
            disabled={isReadOnly(current, 'email')}
            hint={isReadOnly(current, 'email') ? t.readOnly : undefined}
            error={edit.error}
          />
        </FormDialog>
      )}
    </Page>
  );
}
