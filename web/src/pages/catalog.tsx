// What the client and project screens share: the archive filter, the source and status cells,
// and the row actions. Provider-owned fields come from the record's `read_only_fields`.
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { t } from '../strings';

export interface CatalogRecord {
  id: number;
  name: string;
  is_active: boolean;
  source?: string;
  read_only_fields: string[];
}

export const isReadOnly = (record: CatalogRecord | undefined, field: string) =>
  record?.read_only_fields.includes(field) ?? false;

/** The body of a form as the API takes it: blank optional fields are null, disabled ones absent. */
export function formBody(form: HTMLFormElement, optional: string[]): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const [key, value] of new FormData(form).entries()) {
    const text = String(value).trim();
    body[key] = text === '' && optional.includes(key) ? null : text;
  }
  return body;
}

/** Create, update (also archive and restore) one kind of record, refreshing the organization's lists. */
export function useCatalogMutations(
  orgId: number,
  save: (id: number | null, body: Record<string, unknown>) => Promise<unknown>,
) {
  const queryClient = useQueryClient();
  const refresh = () => queryClient.invalidateQueries({ queryKey: [orgId] });
  const edit = useMutation({
    mutationFn: ({ id, body }: { id: number | null; body: Record<string, unknown> }) =>
      save(id, body),
    onSuccess: refresh,
  });
  const archive = useMutation({
    mutationFn: (record: CatalogRecord) => save(record.id, { is_active: !record.is_active }),
    onSettled: refresh,
  });
  return { edit, archive };
}

export function ArchivedToggle({
  checked,
  onChange,
}: {
  checked: boolean;
  onChange: (v: boolean) => void;
}) {
  return (
    <label className="checkbox">
      <input type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} />
      {t.catalog.showArchived}
    </label>
  );
}

export function SourceCell({ record }: { record: CatalogRecord }) {
  return <td>{record.source === 'invoicing' ? t.catalog.invoicing : t.catalog.local}</td>;
}

export function StatusCell({ record }: { record: CatalogRecord }) {
  return <td>{record.is_active ? t.catalog.active : t.catalog.archived}</td>;
}

export function RowActions({
  record,
  busy,
  onEdit,
  onArchive,
}: {
  record: CatalogRecord;
  busy: boolean;
  onEdit: () => void;
  onArchive: () => void;
}): ReactNode {
  return (
    <td className="actions">
      <button
        type="button"
        className="link-button"
        aria-label={t.catalog.edit(record.name)}
        onClick={onEdit}
      >
        {t.catalog.editLabel}
      </button>
      <button
        type="button"
        className="link-button"
        disabled={busy}
        aria-label={
          record.is_active ? t.catalog.archive(record.name) : t.catalog.restore(record.name)
        }
        onClick={onArchive}
      >
        {record.is_active ? t.catalog.archiveLabel : t.catalog.restoreLabel}
      </button>
    </td>
  );
}
