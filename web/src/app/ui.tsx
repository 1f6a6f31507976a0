// Small shared pieces: loading, empty and error states, field errors, page frame.
import { useState, type ReactNode } from 'react';
import { isRouteErrorResponse, useRouteError } from 'react-router';
import { ApiError } from '../api/client';
import { t } from '../strings';

export function Loading() {
  return (
    <p className="state" role="status">
      {t.loading}
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="state empty">{children}</p>;
}

export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) {
    const fields = Object.values(error.problem.errors ?? {}).flat();
    return fields.length ? `${error.message} ${fields.join(' ')}` : error.message;
  }
  return t.genericError;
}

export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  return (
    <div className="state error" role="alert">
      <p>{errorMessage(error)}</p>
      {onRetry && (
        <button type="button" onClick={onRetry}>
          {t.retry}
        </button>
      )}
    </div>
  );
}

/** The messages a 422 carried for one field, shown under its input. */
export function FieldError({ error, field, id }: { error: unknown; field: string; id?: string }) {
  if (!(error instanceof ApiError)) return null;
  const messages = error.fieldErrors(field);
  if (!messages.length) return null;
  return (
    <span className="field-error" id={id} role="alert">
      {messages.join(' ')}
    </span>
  );
}

/** Error other than the fields a form shows itself. */
export function FormError({ error, fields }: { error: unknown; fields: string[] }) {
  if (!error) return null;
  if (error instanceof ApiError && error.status === 422) {
    const others = Object.entries(error.problem.errors ?? {}).filter(([k]) => !fields.includes(k));
    if (!others.length) return null;
    return (
      <p className="form-error" role="alert">
        {others.map(([, m]) => m.join(' ')).join(' ')}
      </p>
    );
  }
  return (
    <p className="form-error" role="alert">
      {errorMessage(error)}
    </p>
  );
}

export function Page({
  title,
  actions,
  children,
}: {
  title: string;
  actions?: ReactNode;
  children: ReactNode;
}) {
  return (
    <section className="page" aria-labelledby="page-title">
      <header className="page-header">
        <h1 id="page-title">{title}</h1>
        {actions && <div className="page-actions">{actions}</div>}
      </header>
      {children}
    </section>
  );
}

export function RouteError() {
  const error = useRouteError();
  const message = isRouteErrorResponse(error) ? error.statusText : errorMessage(error);
  return (
    <main className="page">
      <h1>{t.genericError}</h1>
      <p role="alert">{message}</p>
      <a href="/">{t.appName}</a>
    </main>
  );
}

/** A secret shown once (token, feed URL, 2FA secret), with a button that copies it. */
export function CopyValue({ label, value }: { label: string; value: string }) {
  const [copied, setCopied] = useState<boolean | null>(null);
  async function copy() {
    try {
      await navigator.clipboard.writeText(value);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  }
  return (
    <div className="copy-value">
      <code aria-label={label}>{value}</code>
      <button type="button" onClick={() => void copy()}>
        {t.profile.copy}
      </button>
      <span role="status">
        {copied === true ? t.profile.copied : copied === false ? t.profile.copyFailed : ''}
      </span>
    </div>
  );
}
