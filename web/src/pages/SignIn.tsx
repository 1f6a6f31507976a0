import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api, data, tokenStore } from '../api/client';
import type { Session, TwoFactorChallenge } from '../api/models';
import { Field, formValues } from '../app/forms';
import { FormError } from '../app/ui';
import { t } from '../strings';

const TOKEN_NAME = 'browser';

export default function SignIn() {
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const queryClient = useQueryClient();
  const next = params.get('next') ?? '/';
  const [challenge, setChallenge] = useState<TwoFactorChallenge | null>(null);
  const [useRecovery, setUseRecovery] = useState(false);

  function signedIn(session: Session) {
    tokenStore.set(session.token);
    queryClient.clear();
    navigate(next.startsWith('/') ? next : '/', { replace: true });
  }

  const signIn = useMutation({
    mutationFn: (body: { email: string; password: string }) =>
      data<Session | TwoFactorChallenge>(
        api().POST('/api/v1/auth/login', { body: { ...body, token_name: TOKEN_NAME } }),
      ),
    onSuccess: (answer) =>
      'two_factor_required' in answer ? setChallenge(answer) : signedIn(answer),
  });
  const secondStep = useMutation({
    mutationFn: (factor: { code?: string; recovery_code?: string }) =>
      data<Session>(
        api().POST('/api/v1/auth/login/two-factor', {
          body: { ...factor, challenge_token: challenge!.challenge_token, token_name: TOKEN_NAME },
        }),
      ),
    onSuccess: signedIn,
  });

  if (challenge) {
    const field = useRecovery ? 'recovery_code' : 'code';
    return (
      <main className="auth">
        <h1>{t.auth.twoFactorTitle}</h1>
        <form
          key={field}
          onSubmit={(e) => {
            e.preventDefault();
            secondStep.mutate({ [field]: formValues(e.currentTarget)[field].trim() });
          }}
        >
          <p>{useRecovery ? t.auth.recoveryHelp : t.auth.twoFactorHelp}</p>
          {useRecovery ? (
            <Field
              label={t.auth.recoveryCode}
              name="recovery_code"
              autoComplete="off"
              required
              autoFocus
              error={secondStep.error}
            />
          ) : (
            <Field
              label={t.auth.code}
              name="code"
              inputMode="numeric"
              autoComplete="one-time-code"
              required
              autoFocus
              error={secondStep.error}
            />
          )}
          <FormError error={secondStep.error} fields={['code', 'recovery_code']} />
          <button type="submit" className="primary" disabled={secondStep.isPending}>
            {t.auth.verify}
          </button>
        </form>
        <p>
          <button
            type="button"
            className="link-button"
            onClick={() => {
              secondStep.reset();
              setUseRecovery(!useRecovery);
            }}
          >
            {useRecovery ? t.auth.useAppCode : t.auth.useRecoveryCode}
          </button>
        </p>
        <p>
          <button
            type="button"
            className="link-button"
            onClick={() => {
              secondStep.reset();
              signIn.reset();
              setChallenge(null);
            }}
          >
            {t.auth.startOver}
          </button>
        </p>
      </main>
    );
  }

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
        <Field
          label={t.auth.email}
          name="email"
          type="email"
          autoComplete="email"
          required
          error={signIn.error}
        />
        <Field
          label={t.auth.password}
          name="password"
          type="password"
          autoComplete="current-password"
          required
          error={signIn.error}
        />
        <FormError error={signIn.error} fields={['email', 'password']} />
        <button type="submit" className="primary" disabled={signIn.isPending}>
          {t.auth.signIn}
        </button>
      </form>
      <p>
        <Link to="/forgot-password">{t.auth.forgotPassword}</Link>
      </p>
      <p>
        {t.auth.noAccount}{' '}
        <Link to={`/register${params.size ? `?${params}` : ''}`}>{t.auth.signUp}</Link>
      </p>
    </main>
  );
}
