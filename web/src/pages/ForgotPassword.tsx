import { useMutation } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, data } from '../api/client';
import { Field, formValues } from '../app/forms';
import { FormError } from '../app/ui';
import { t } from '../strings';

/** Asks for a reset mail; the server answers the same whether the address has an account. */
export default function ForgotPassword() {
  const request = useMutation({
    mutationFn: (email: string) =>
      data<{ message: string }>(api().POST('/api/v1/auth/password/forgot', { body: { email } })),
  });
  return (
    <main className="auth">
      <h1>{t.auth.forgotTitle}</h1>
      <p>{t.auth.forgotHelp}</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          request.mutate(formValues(e.currentTarget).email);
        }}
      >
        <Field
          label={t.auth.email}
          name="email"
          type="email"
          autoComplete="email"
          required
          error={request.error}
        />
        <FormError error={request.error} fields={['email']} />
        <button type="submit" className="primary" disabled={request.isPending}>
          {t.auth.sendLink}
        </button>
      </form>
      {request.data && (
        <p className="notice" role="status">
          {request.data.message}
        </p>
      )}
      <p>
        <Link to="/login">{t.auth.signIn}</Link>
      </p>
    </main>
  );
}
