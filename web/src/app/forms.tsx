import { useId, type InputHTMLAttributes, type ReactNode } from 'react';
import { FieldError } from './ui';

/** A labelled input whose 422 messages (by API field name) sit under it. */
export function Field({
  label,
  name,
  error,
  hint,
  ...input
}: InputHTMLAttributes<HTMLInputElement> & {
  label: string;
  name: string;
  error?: unknown;
  hint?: ReactNode;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} name={name} aria-describedby={`${id}-error`} {...input} />
      {hint && <small>{hint}</small>}
      <FieldError error={error} field={name} id={`${id}-error`} />
    </div>
  );
}

/** A labelled select over value/label pairs, controlled by the caller. */
export function SelectField({
  label,
  value,
  options,
  onChange,
}: {
  label: string;
  value: string;
  options: { value: string; label: string }[];
  onChange: (value: string) => void;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  );
}

export function formValues(form: HTMLFormElement): Record<string, string> {
  return Object.fromEntries(
    [...new FormData(form).entries()].map(([k, v]) => [k, String(v)]),
  ) as Record<string, string>;
}
