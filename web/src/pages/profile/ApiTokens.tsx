import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId } from 'react';
import { api, createApi, data } from '../../api/client';
import type { ApiToken, Me, Page as ListPage, Session, TwoFactorChallenge } from '../../api/models';
import { Field, formValues } from '../../app/forms';
import { CopyValue, Empty, ErrorState, FormError, Loading } from '../../app/ui';
import { t } from '../../strings';
import { formatInstant } from '../../time/week-time';

// A token is a login with a name: a wrong password answers 401, which must not sign this
// browser out, so these calls skip the app client's sign-out on 401.
const loginApi = createApi();

async function issueToken(me: Me, v: Record<string, string>): Promise<Session> {
  const first = await data<Session | TwoFactorChallenge>(
    loginApi.POST('/api/v1/auth/login', {
      body: { email: me.email, password: v.password, token_name: v.token_name },
    }),
  );
  if (!('two_factor_required' in first)) return first;
  return data<Session>(
    loginApi.POST('/api/v1/auth/login/two-factor', {
      body: {
        challenge_token: first.challenge_token,
        code: v.code?.trim(),
        token_name: v.token_name,
      },
    }),
  );
}

/** The caller's API tokens: create (shown once), list, revoke. */
export function ApiTokens({ me }: { me: Me }) {
  const id = useId();
  const queryClient = useQueryClient();
  const zone = me.timezone || 'UTC';
  const tokens = useQuery({
    queryKey: ['me', 'tokens'],
    queryFn: () => data<ListPage<ApiToken>>(api().GET('/api/v1/me/tokens')),
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['me', 'tokens'] });
  const create = useMutation({
    mutationFn: (v: Record<string, string>) => issueToken(me, v),
    onSuccess: refresh,
  });
  const revoke = useMutation({
    mutationFn: (tokenId: number) =>
      api().DELETE('/api/v1/me/tokens/{tokenId}', { params: { path: { tokenId } } }),
    onSettled: refresh,
  });

  return (
    <section className="panel" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t.profile.tokens}</h2>
      <p className="hint">{t.profile.tokensHelp}</p>
      {tokens.isPending ? (
        <Loading />
      ) : tokens.isError ? (
        <ErrorState error={tokens.error} onRetry={() => tokens.refetch()} />
      ) : tokens.data.data.length === 0 ? (
        <Empty>{t.profile.tokensEmpty}</Empty>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t.profile.tokenName}</th>
              <th scope="col">{t.profile.lastUsed}</th>
              <th scope="col">{t.profile.expires}</th>
              <td />
            </tr>
          </thead>
          <tbody>
            {tokens.data.data.map((token) => (
              <tr key={token.id}>
                <td>
                  {token.name}
                  {token.current && ` (${t.profile.thisBrowser})`}
                </td>
                <td>
                  {token.last_used_at ? formatInstant(token.last_used_at, zone) : t.profile.never}
                </td>
                <td>{formatInstant(token.expires_at, zone)}</td>
                <td>
                  {!token.current && (
                    <button
                      type="button"
                      className="link-button"
                      aria-label={t.profile.revokeToken(token.name)}
                      disabled={revoke.isPending}
                      onClick={() => revoke.mutate(token.id)}
                    >
                      {t.profile.revoke}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <FormError error={revoke.error} fields={[]} />
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const form = e.currentTarget;
          create.mutate(formValues(form), { onSuccess: () => form.reset() });
        }}
      >
        <h3>{t.profile.newToken}</h3>
        <Field label={t.profile.tokenName} name="token_name" required error={create.error} />
        <Field
          label={t.profile.currentPassword}
          name="password"
          type="password"
          autoComplete="current-password"
          required
          error={create.error}
        />
        {me.two_factor_enabled && (
          <Field
            label={t.profile.code}
            name="code"
            inputMode="numeric"
            autoComplete="one-time-code"
            required
            error={create.error}
          />
        )}
        <FormError error={create.error} fields={['token_name', 'password', 'code']} />
        <button type="submit" disabled={create.isPending}>
          {t.profile.newToken}
        </button>
      </form>
      {create.data && (
        <div role="region" aria-label={t.profile.tokenShown}>
          <p>{t.profile.tokenShown}</p>
          <CopyValue label={t.profile.tokens} value={create.data.token} />
        </div>
      )}
    </section>
  );
}
