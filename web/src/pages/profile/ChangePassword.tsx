import { useMutation } from '@tanstack/react-query';
import { useId } from 'react';
import { api } from '../../api/client';
import { Field, formValues } from '../../app/forms';
import { FormError } from '../../app/ui';
import { t } from '../../strings';

/** PUT /me/password: the server signs out every other token of the account. */
export function ChangePassword() {
  const id = useId();
  const change = useMutation({
    mutationFn: (body: { current_password: string; password: string }) =>
      api().PUT('/api/v1/me/password', { body }),
  });
  return (
    <section className="panel" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t.profile.password}</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const form = e.currentTarget;
          const v = formValues(form);
          change.mutate(
            { current_password: v.current_password, password: v.password },
            { onSuccess: () => form.reset() },
          );
        }}
      >
        <Field
          label={t.profile.currentPassword}
          name="current_password"
          type="password"
          autoComplete="current-password"
          required
          error={change.error}
        />
        <Field
          label={t.profile.newPassword}
          name="password"
          type="password"
          autoComplete="new-password"
          required
          error={change.error}
        />
        <FormError error={change.error} fields={['current_password', 'password']} />
        <button type="submit" disabled={change.isPending}>
          {t.profile.changePassword}
        </button>{' '}
        {change.isSuccess && <span role="status">{t.profile.passwordChanged}</span>}
      </form>
    </section>
  );
}
