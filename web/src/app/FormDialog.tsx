import { useEffect, useId, useRef, type ReactNode } from 'react';
import { t } from '../strings';
import { FormError } from './ui';

/** A modal form: its fields, Save and Cancel, and the errors no field shows. */
export function FormDialog({
  title,
  error,
  fields,
  saving,
  submitLabel = t.save,
  onSubmit,
  onClose,
  children,
}: {
  title: string;
  error: unknown;
  /** The fields that show their own 422 messages. */
  fields: string[];
  saving: boolean;
  submitLabel?: string;
  onSubmit: (form: HTMLFormElement) => void;
  onClose: () => void;
  children: ReactNode;
}) {
  const id = useId();
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const el = dialog.current!;
    if (!el.open) el.showModal();
    return () => el.close();
  }, []);
  return (
    <dialog
      ref={dialog}
      aria-labelledby={`${id}-title`}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      <form
        onSubmit={(e) => {
          e.preventDefault();
          onSubmit(e.currentTarget);
        }}
      >
        <h2 id={`${id}-title`}>{title}</h2>
        {children}
        <FormError error={error} fields={fields} />
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>
            {t.cancel}
          </button>
          <button type="submit" className="primary" disabled={saving}>
            {submitLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}
