import { useMutation } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api } from '../api/client';
import { Field, formValues } from '../app/forms';
import { FormError } from '../app/ui';
import { t } from '../strings';
import { useLinkToken } from './link-token';

/** The page a reset mail links to; the token is in the URL fragment, never sent to a server. */
export default function ResetPassword() {
  const token = useLinkToken();
  // A new link opened in the same tab starts afresh.
  return <ResetPasswordForm key={token} token={token} />;
}

function ResetPasswordForm({ token }: { token: string }) {
  const reset = useMutation({
    mutationFn: (password: string) =>
      api().POST('/api/v1/auth/password/reset', { body: { token, password } }),
  });
  return (
    <main className="auth">
      <h1>{t.auth.resetTitle}</h1>
      {!token ? (
        <p role="alert">{t.auth.linkMissing}</p>
      ) : reset.isSuccess ? (
        <p className="notice" role="status">
          {t.auth.passwordReset}
        </p>
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            reset.mutate(formValues(e.currentTarget).password);
          }}
        >
          <Field
            label={t.auth.newPassword}
            name="password"
            type="password"
            autoComplete="new-password"
            required
            error={reset.error}
          />
          {/* An unusable link is the token's field error: shown with the form's own. */}
          <FormError error={reset.error} fields={['password']} />
          <button type="submit" className="primary" disabled={reset.isPending}>
            {t.auth.setPassword}
          </button>
        </form>
      )}
      <p>
        {(!token || reset.isError) && (
          <>
            <Link to="/forgot-password">{t.auth.forgotPassword}</Link>{' '}
          </>
        )}
        <Link to="/login">{t.auth.signIn}</Link>
      </p>
    </main>
  );
}
