import { useMutation, useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useId, useState } from 'react';
import { api, data } from '../../api/client';
import type { Me, TwoFactorEnrolment } from '../../api/models';
import { Field, formValues } from '../../app/forms';
import { CopyValue, FormError } from '../../app/ui';
import { t } from '../../strings';

// The encoder loads only when someone enrols.
const QrCode = lazy(() => import('../../app/QrCode').then((m) => ({ default: m.QrCode })));

/** Enrol (password → secret → first code → recovery codes, shown once), new codes, disable. */
export function TwoFactor({ me }: { me: Me }) {
  const id = useId();
  const queryClient = useQueryClient();
  const [enrolment, setEnrolment] = useState<TwoFactorEnrolment | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);
  const refreshMe = () => queryClient.invalidateQueries({ queryKey: ['me'] });

  const enrol = useMutation({
    mutationFn: (password: string) =>
      data<TwoFactorEnrolment>(api().POST('/api/v1/me/two-factor', { body: { password } })),
    onSuccess: setEnrolment,
  });
  const confirm = useMutation({
    mutationFn: (code: string) =>
      data<{ recovery_codes: string[] }>(
        api().POST('/api/v1/me/two-factor/confirm', { body: { code } }),
      ),
    onSuccess: (answer) => {
      setEnrolment(null);
      setCodes(answer.recovery_codes);
      return refreshMe();
    },
  });
  const regenerate = useMutation({
    mutationFn: (password: string) =>
      data<{ recovery_codes: string[] }>(
        api().POST('/api/v1/me/two-factor/recovery-codes', { body: { password } }),
      ),
    onSuccess: (answer) => setCodes(answer.recovery_codes),
  });
  const disable = useMutation({
    mutationFn: (body: { password: string; code?: string; recovery_code?: string }) =>
      api().POST('/api/v1/me/two-factor/disable', { body }),
    onSuccess: () => {
      setCodes(null);
      return refreshMe();
    },
  });

  return (
    <section className="panel" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t.profile.twoFactor}</h2>
      <p>{me.two_factor_enabled ? t.profile.twoFactorOn : t.profile.twoFactorOff}</p>

      {codes && (
        <div className="notice" role="region" aria-label={t.profile.recoveryCodes}>
          <h3>{t.profile.recoveryCodes}</h3>
          <p>{t.profile.recoveryCodesHelp}</p>
          <ul className="codes">
            {codes.map((code) => (
              <li key={code}>{code}</li>
            ))}
          </ul>
          <button type="button" onClick={() => setCodes(null)}>
            {t.profile.recoveryCodesDone}
          </button>
        </div>
      )}

      {!me.two_factor_enabled && !enrolment && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            enrol.mutate(formValues(e.currentTarget).password);
          }}
        >
          <Field
            label={t.profile.currentPassword}
            name="password"
            type="password"
            autoComplete="current-password"
            required
            error={enrol.error}
          />
          <FormError error={enrol.error} fields={['password']} />
          <button type="submit" disabled={enrol.isPending}>
            {t.profile.enrol}
          </button>
        </form>
      )}

      {!me.two_factor_enabled && enrolment && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            confirm.mutate(formValues(e.currentTarget).code.trim());
          }}
        >
          <p>{t.profile.enrolHelp}</p>
          <Suspense fallback={null}>
            <QrCode value={enrolment.otpauth_url} label={t.profile.qrCode} />
          </Suspense>
          <p>
            <a href={enrolment.otpauth_url}>{t.profile.otpauthLink}</a>
          </p>
          <CopyValue label={t.profile.secret} value={enrolment.secret} />
          <Field
            label={t.profile.code}
            name="code"
            inputMode="numeric"
            autoComplete="one-time-code"
            required
            error={confirm.error}
          />
          <FormError error={confirm.error} fields={['code']} />
          <div className="actions">
            <button type="submit" className="primary" disabled={confirm.isPending}>
              {t.profile.confirmCode}
            </button>
            <button type="button" onClick={() => setEnrolment(null)}>
              {t.cancel}
            </button>
          </div>
        </form>
      )}

      {me.two_factor_enabled && (
        <>
          <form
            aria-label={t.profile.newRecoveryCodes}
            onSubmit={(e) => {
              e.preventDefault();
              const form = e.currentTarget;
              regenerate.mutate(formValues(form).password, { onSuccess: () => form.reset() });
            }}
          >
            <h3>{t.profile.newRecoveryCodes}</h3>
            <Field
              label={t.profile.currentPassword}
              name="password"
              type="password"
              autoComplete="current-password"
              required
              error={regenerate.error}
            />
            <FormError error={regenerate.error} fields={['password']} />
            <button type="submit" disabled={regenerate.isPending}>
              {t.profile.newRecoveryCodes}
            </button>
          </form>
          <form
            aria-label={t.profile.disable}
            onSubmit={(e) => {
              e.preventDefault();
              const v = formValues(e.currentTarget);
              disable.mutate({
                password: v.password,
                code: v.code.trim() || undefined,
                recovery_code: v.recovery_code.trim() || undefined,
              });
            }}
          >
            <h3>{t.profile.disable}</h3>
            <p className="hint">{t.profile.disableHelp}</p>
            <Field
              label={t.profile.currentPassword}
              name="password"
              type="password"
              autoComplete="current-password"
              required
              error={disable.error}
            />
            <div className="field-row">
              <Field
                label={t.profile.code}
                name="code"
                inputMode="numeric"
                autoComplete="one-time-code"
                error={disable.error}
              />
              <Field label={t.profile.recoveryCode} name="recovery_code" error={disable.error} />
            </div>
            <FormError error={disable.error} fields={['password', 'code', 'recovery_code']} />
            <button type="submit" className="danger" disabled={disable.isPending}>
              {t.profile.disable}
            </button>
          </form>
        </>
      )}
    </section>
  );
}
