import { useId, useState } from 'react';
import { api, data } from '../api/client';
import type { Project } from '../api/models';
import { Field } from '../app/forms';
import { FormDialog } from '../app/FormDialog';
import { Empty, ErrorState, FieldError, FormError, Loading, Page } from '../app/ui';
import { useOrg } from '../app/useOrg';
import { useClients, useProjects } from '../planner/planner-data';
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

const FIELDS = ['name', 'client_id', 'color', 'hourly_rate'];
const DEFAULT_COLOR = '#5b6ee1';

export default function Projects() {
  const { orgId, admin } = useOrg();
  const id = useId();
  const projects = useProjects(orgId);
  const clients = useClients(orgId);
  const [showArchived, setShowArchived] = useState(false);
  const [editing, setEditing] = useState<Project | 'new' | null>(null);
  const path = { organizationId: orgId };
  const { edit, archive } = useCatalogMutations(orgId, (projectId, body) =>
    projectId === null
      ? data<Project>(
          api().POST('/api/v1/organizations/{organizationId}/projects', {
            params: { path },
            body: body as never,
          }),
        )
      : data<Project>(
          api().PATCH('/api/v1/organizations/{organizationId}/projects/{projectId}', {
            params: { path: { ...path, projectId } },
            body: body as never,
          }),
        ),
  );
  const current = editing === 'new' ? undefined : (editing ?? undefined);
  const shown = (projects.data ?? []).filter((p) => showArchived || p.is_active);
  const clientName = (clientId: number | null) =>
    clients.data?.find((c) => c.id === clientId)?.name ?? '—';
  // The current client stays choosable even when archived.
  const clientChoices = (clients.data ?? []).filter(
    (c) => c.is_active || c.id === current?.client_id,
  );

  function submit(form: HTMLFormElement) {
    const body = formBody(form, ['client_id', 'hourly_rate']);
    if (typeof body.client_id === 'string') body.client_id = Number(body.client_id);
    edit.mutate({ id: current?.id ?? null, body }, { onSuccess: () => setEditing(null) });
  }

  return (
    <Page
      title={t.projects.title}
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
              {t.projects.add}
            </button>
          )}
        </>
      }
    >
      {projects.isPending ? (
        <Loading />
      ) : projects.isError ? (
        <ErrorState error={projects.error} onRetry={() => projects.refetch()} />
      ) : shown.length === 0 ? (
        <Empty>{projects.data.length === 0 ? t.projects.empty : t.projects.emptyArchived}</Empty>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t.projects.name}</th>
              <th scope="col">{t.projects.client}</th>
              <th scope="col" className="num">
                {t.projects.rate}
              </th>
              <th scope="col">{t.catalog.source}</th>
              <th scope="col">{t.catalog.status}</th>
              {admin && <th scope="col">{t.catalog.actions}</th>}
            </tr>
          </thead>
          <tbody>
            {shown.map((project) => (
              <tr key={project.id}>
                <td>
                  <span
                    className="swatch"
                    aria-hidden="true"
                    style={{ background: project.color ?? DEFAULT_COLOR }}
                  />
                  {project.name}
                </td>
                <td>{clientName(project.client_id)}</td>
                <td className="num">{project.hourly_rate ?? '—'}</td>
                <SourceCell record={project} />
                <StatusCell record={project} />
                {admin && (
                  <RowActions
                    record={project}
                    busy={archive.isPending}
                    onEdit={() => {
                      edit.reset();
                      setEditing(project);
                    }}
                    onArchive={() => archive.mutate(project)}
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
          title={current ? t.projects.edit : t.projects.add}
          error={edit.error}
          fields={FIELDS}
          saving={edit.isPending}
          onClose={() => setEditing(null)}
          onSubmit={submit}
        >
          {current?.source === 'invoicing' && <p className="hint">{t.catalog.readOnlyHelp}</p>}
          <Field
            label={t.projects.name}
            name="name"
            required
            autoFocus
            defaultValue={current?.name ?? ''}
            disabled={isReadOnly(current, 'name')}
            hint={isReadOnly(current, 'name') ? t.readOnly : undefined}
            error={edit.error}
          />
          <div className="field">
            <label htmlFor={`${id}-client`}>{t.projects.client}</label>
            <select
              id={`${id}-client`}
              name="client_id"
              defaultValue={String(current?.client_id ?? '')}
              disabled={isReadOnly(current, 'client_id')}
              aria-describedby={`${id}-client-error`}
            >
              <option value="">{t.projects.noClient}</option>
              {clientChoices.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
            </select>
            {isReadOnly(current, 'client_id') && <small>{t.readOnly}</small>}
            <FieldError error={edit.error} field="client_id" id={`${id}-client-error`} />
          </div>
          <div className="field-row">
            <Field
              label={t.projects.rate}
              name="hourly_rate"
              inputMode="decimal"
              defaultValue={current?.hourly_rate ?? ''}
              disabled={isReadOnly(current, 'hourly_rate')}
              hint={isReadOnly(current, 'hourly_rate') ? t.readOnly : undefined}
              error={edit.error}
            />
            <Field
              label={t.projects.color}
              name="color"
              type="color"
              defaultValue={current?.color ?? DEFAULT_COLOR}
              error={edit.error}
            />
          </div>
        </FormDialog>
      )}
    </Page>
  );
}
