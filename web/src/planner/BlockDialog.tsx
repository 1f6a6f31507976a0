// The block's details, and the keyboard path for everything a drag does: date, start and end
// are plain inputs in the profile's zone, converted to instants by the time module.
import { useEffect, useRef, useState } from 'react';
import type { Calendar, Client, Project, TimeBlock } from '../api/models';
import { ApiError } from '../api/client';
import { FieldError, FormError } from '../app/ui';
import { t } from '../strings';
import { formatClock, fromWallClock, parseClock, toWallClock } from '../time/week-time';
import type { BlockInput } from './planner-data';

export interface DialogTarget {
  block?: TimeBlock;
  date: string;
  startMinutes: number;
  endMinutes: number;
}

interface Props {
  target: DialogTarget;
  zone: string;
  editable: boolean;
  projects: Project[];
  clients: Client[];
  calendars: Calendar[];
  error: unknown;
  saving: boolean;
  onSave: (input: BlockInput) => void;
  onDelete?: () => void;
  onClose: () => void;
}

export function targetOf(block: TimeBlock, zone: string): DialogTarget {
  const start = toWallClock(block.start_time, zone);
  const end = toWallClock(block.end_time, zone);
  const endMinutes = end.date === start.date ? end.minutes : 24 * 60;
  return { block, date: start.date, startMinutes: start.minutes, endMinutes };
}

export function BlockDialog(props: Props) {
  const { target, zone, editable, error } = props;
  const dialog = useRef<HTMLDialogElement>(null);
  const block = target.block;
  const [projectId, setProjectId] = useState<string>(String(block?.project_id ?? ''));

  useEffect(() => {
    const el = dialog.current!;
    if (!el.open) el.showModal();
    return () => el.close();
  }, []);

  const activeProjects = props.projects.filter((p) => p.is_active || p.id === block?.project_id);
  const activeClients = props.clients.filter((c) => c.is_active || c.id === block?.client_id);
  const invalid = (field: string) =>
    error instanceof ApiError && error.fieldErrors(field).length > 0 ? true : undefined;

  function submit(form: HTMLFormElement) {
    const v = Object.fromEntries(new FormData(form).entries()) as Record<string, string>;
    const end = v.end === '00:00' ? 24 * 60 : parseClock(v.end);
    const project = props.projects.find((p) => String(p.id) === v.project_id);
    props.onSave({
      title: v.title,
      description: v.description || null,
      start_time: fromWallClock({ date: v.date, minutes: parseClock(v.start) }, zone),
      end_time: fromWallClock({ date: v.date, minutes: end }, zone),
      timezone: zone,
      project_id: v.project_id ? Number(v.project_id) : null,
      client_id: v.client_id ? Number(v.client_id) : (project?.client_id ?? null),
      calendar_id: v.calendar_id ? Number(v.calendar_id) : null,
      is_billable: v.is_billable === 'on',
    });
  }

  return (
    <dialog
      ref={dialog}
      className="block-dialog"
      aria-labelledby="block-dialog-title"
      onCancel={(e) => {
        e.preventDefault();
        props.onClose();
      }}
    >
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          if (editable) submit(e.currentTarget);
        }}
      >
        <h2 id="block-dialog-title">{block ? t.planner.editBlock : t.planner.newBlock}</h2>
        <fieldset disabled={!editable}>
          <div className="field">
            <label htmlFor="block-title">{t.planner.blockTitle}</label>
            <input
              id="block-title"
              name="title"
              required
              defaultValue={block?.title ?? ''}
              autoFocus
              aria-invalid={invalid('title')}
            />
            <FieldError error={error} field="title" />
          </div>
          <div className="field-row">
            <div className="field">
              <label htmlFor="block-date">{t.planner.date}</label>
              <input id="block-date" name="date" type="date" required defaultValue={target.date} />
            </div>
            <div className="field">
              <label htmlFor="block-start">{t.planner.start}</label>
              <input
                id="block-start"
                name="start"
                type="time"
                step={900}
                required
                defaultValue={formatClock(target.startMinutes)}
                aria-invalid={invalid('start_time')}
              />
              <FieldError error={error} field="start_time" />
            </div>
            <div className="field">
              <label htmlFor="block-end">{t.planner.end}</label>
              <input
                id="block-end"
                name="end"
                type="time"
                step={900}
                required
                defaultValue={formatClock(target.endMinutes % (24 * 60))}
                aria-invalid={invalid('end_time')}
              />
              <FieldError error={error} field="end_time" />
            </div>
          </div>
          <div className="field-row">
            <div className="field">
              <label htmlFor="block-project">{t.planner.project}</label>
              <select
                id="block-project"
                name="project_id"
                value={projectId}
                onChange={(e) => setProjectId(e.target.value)}
              >
                <option value="">{t.planner.none}</option>
                {activeProjects.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.name}
                  </option>
                ))}
              </select>
              <FieldError error={error} field="project_id" />
            </div>
            <div className="field">
              <label htmlFor="block-client">{t.planner.client}</label>
              <select id="block-client" name="client_id" defaultValue={block?.client_id ?? ''}>
                <option value="">{t.planner.none}</option>
                {activeClients.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.name}
                  </option>
                ))}
              </select>
              <FieldError error={error} field="client_id" />
            </div>
          </div>
          <div className="field">
            <label htmlFor="block-calendar">{t.planner.calendar}</label>
            <select id="block-calendar" name="calendar_id" defaultValue={block?.calendar_id ?? ''}>
              <option value="">{t.planner.noCalendar}</option>
              {props.calendars.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
            </select>
            <FieldError error={error} field="calendar_id" />
          </div>
          <div className="field checkbox">
            <input
              id="block-billable"
              name="is_billable"
              type="checkbox"
              defaultChecked={block?.is_billable ?? false}
            />
            <label htmlFor="block-billable">{t.planner.billable}</label>
          </div>
          <div className="field">
            <label htmlFor="block-description">{t.planner.description}</label>
            <textarea
              id="block-description"
              name="description"
              rows={3}
              defaultValue={block?.description ?? ''}
            />
          </div>
          {block?.sync_error && <p className="form-error">{block.sync_error}</p>}
          {block?.invoicing_sync_status === 'error' && block.invoicing_sync_error && (
            <p className="form-error">{t.planner.invoicingError(block.invoicing_sync_error)}</p>
          )}
          {block?.approval_status === 'rejected' && (
            <div className="notice">
              <p>{t.planner.rejectedNote(block.rejection_note ?? '')}</p>
              {editable && <p>{t.planner.rejectedHelp}</p>}
            </div>
          )}
        </fieldset>
        <FormError
          error={error}
          fields={['title', 'start_time', 'end_time', 'project_id', 'client_id', 'calendar_id']}
        />
        <div className="dialog-actions">
          {editable && block && props.onDelete && (
            <button type="button" className="danger" onClick={props.onDelete}>
              {t.delete}
            </button>
          )}
          <button type="button" onClick={props.onClose}>
            {editable ? t.cancel : t.close}
          </button>
          {editable && (
            <button type="submit" className="primary" disabled={props.saving}>
              {t.save}
            </button>
          )}
        </div>
      </form>
    </dialog>
  );
}
