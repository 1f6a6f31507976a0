import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api, data, tokenStore } from '../api/client';
import type { Session } from '../api/models';
import { Field, formValues } from '../app/forms';
import { FormError } from '../app/ui';
import { t } from '../strings';

/** Registration; with ?invitation=<token> the new account joins that organization at once. */
export default function SignUp() {
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const queryClient = useQueryClient();
  const invitation = params.get('invitation') ?? undefined;
  const signUp = useMutation({
    mutationFn: (body: { name: string; email: string; password: string }) =>
      data<Session>(
        api().POST('/api/v1/auth/register', { body: { ...body, invitation_token: invitation } }),
      ),
    onSuccess: (session) => {
      tokenStore.set(session.token);
      queryClient.clear();
      navigate('/', { replace: true });
    },
  });
  return (
    <main className="auth">
      <h1>{t.auth.signUp}</h1>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const v = formValues(e.currentTarget);
          signUp.mutate({ name: v.name, email: v.email, password: v.password });
        }}
      >
        <Field label={t.auth.name} name="name" autoComplete="name" required error={signUp.error} />
        <Field
          label={t.auth.email}
          name="email"
          type="email"
          autoComplete="email"
          required
          defaultValue={params.get('email') ?? ''}
          error={signUp.error}
        />
        <Field label={t.auth.password} name="password" type="password" autoComplete="new-password" required error={signUp.error} />
        <FormError error={signUp.error} fields={['name', 'email', 'password']} />
        <button type="submit" className="primary" disabled={signUp.isPending}>
          {t.auth.signUp}
        </button>
      </form>
      <p>
        {t.auth.haveAccount} <Link to={`/login${params.size ? `?${params}` : ''}`}>{t.auth.signIn}</Link>
      </p>
    </main>
  );
}
