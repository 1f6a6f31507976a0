import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { Link } from 'react-router';
import { api, tokenStore } from '../api/client';
import { ErrorState, Loading } from '../app/ui';
import { t } from '../strings';
import { useLinkToken } from './link-token';

/** The page a verification mail links to: confirms the address as soon as it opens. */
export default function VerifyEmail() {
  const token = useLinkToken();
  // A new link opened in the same tab starts afresh.
  return <VerifyEmailLink key={token} token={token} />;
}

function VerifyEmailLink({ token }: { token: string }) {
  const queryClient = useQueryClient();
  const verify = useMutation({
    mutationFn: () => api().POST('/api/v1/auth/email/verify', { body: { token } }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['me'] }),
  });
  // A link works once: the ref keeps a re-run effect (strict mode) from using it up twice.
  const sent = useRef(false);
  useEffect(() => {
    if (!token || sent.current) return;
    sent.current = true;
    verify.mutate();
  }, [token, verify]);

  return (
    <main className="auth">
      <h1>{t.auth.verifyTitle}</h1>
      {!token ? (
        <p role="alert">{t.auth.linkMissing}</p>
      ) : verify.isError ? (
        <ErrorState error={verify.error} />
      ) : verify.isSuccess ? (
        <p className="notice" role="status">
          {t.auth.verified}
        </p>
      ) : (
        <Loading />
      )}
      <p>
        <Link to={tokenStore.get() ? '/' : '/login'}>{t.auth.continue}</Link>
      </p>
    </main>
  );
}
