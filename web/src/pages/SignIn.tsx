import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api, data, tokenStore } from '../api/client';
import type { Session } from '../api/models';
import { Field, formValues } from '../app/forms';
import { FormError } from '../app/ui';
import { t } from '../strings';

export default function SignIn() {
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const queryClient = useQueryClient();
  const next = params.get('next') ?? '/';
  const signIn = useMutation({
    mutationFn: (body: { email: string; password: string }) =>
      data<Session>(api().POST('/api/v1/auth/login', { body: { ...body, token_name: 'browser' } })),
    onSuccess: (session) => {
      tokenStore.set(session.token);
      queryClient.clear();
      navigate(next.startsWith('/') ? next : '/', { replace: true });
    },
  });
  return (
    <main className="auth">
      <h1>{t.auth.signIn}</h1>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const v = formValues(e.currentTarget);
          signIn.mutate({ email: v.email, password: v.password });
        }}
      >
        <Field label={t.auth.email} name="email" type="email" autoComplete="email" required error={signIn.error} />
        <Field label={t.auth.password} name="password" type="password" autoComplete="current-password" required error={signIn.error} />
        <FormError error={signIn.error} fields={['email', 'password']} />
        <button type="submit" className="primary" disabled={signIn.isPending}>
          {t.auth.signIn}
        </button>
      </form>
      <p>
        {t.auth.noAccount} <Link to={`/register${params.size ? `?${params}` : ''}`}>{t.auth.signUp}</Link>
      </p>
    </main>
  );
}
